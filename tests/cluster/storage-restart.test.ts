import { beforeAll, describe, expect, it } from 'vitest'
import type { RelayProcess } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from '../relay/support'
import { clientOn, clusterSuite } from './support'

const EDITS = 1000

const suite = clusterSuite()
const { providers, raws } = suite

beforeAll(async () => {
  await suite.start(3, { args: ['--compact-every', '50'] })
})

type Edits = { getArray<T>(name: string): { toArray(): T[]; push(items: T[]): void } }
const observed = (doc: Edits) => doc.getArray<number | string>('edits').toArray()

/** A writer on the first node and read-only observers on the two others, all y-websocket. */
async function team(name: string) {
  const [a, b, c] = suite.cluster?.nodes ?? []
  if (!a || !b || !c) throw new Error('nodes')
  const ws = await a.createWorkspace(name)
  const champion = await a.issueToken({ workspaceId: ws, name: 'Chloé', role: 'champion' })
  const employee = await a.issueToken({ workspaceId: ws, name: 'Émile', role: 'employee' })
  const writer = clientOn(a, ws, champion.token)
  const observers = [clientOn(b, ws, employee.token), clientOn(c, ws, employee.token)]
  providers.push(writer, ...observers)
  await waitFor('synced', () => writer.synced && observers.every((o) => o.synced))
  const closes: number[] = []
  writer.on('connection-close', (event) => {
    if (event) closes.push(event.code)
  })
  let sent = 0
  /** Push numbered edits, staying at most 100 ahead of the observers, until `until` or `stop`. */
  const push = async (until: number, stop: () => boolean = () => false) => {
    while (sent < until && !stop()) {
      const behind = Math.min(...observers.map((o) => observed(o.doc).length))
      if (writer.wsconnected && sent - behind < 100)
        for (let i = 0; i < 10 && sent < until; i++)
          writer.doc.getArray<number>('edits').push([sent++])
      await new Promise((r) => setTimeout(r, 0))
    }
  }
  const received = () => {
    const all = new Set<number | string>()
    for (const o of observers) for (const e of observed(o.doc)) all.add(e)
    return all
  }
  return { a, b, c, ws, employee, writer, observers, closes, push, received, sent: () => sent }
}

/** What a node started now loads for the room (PostgreSQL snapshot + Redis stream). */
async function loadedByNewNode(
  ws: string,
  token: string,
): Promise<{
  node: RelayProcess
  stored: Set<number | string>
}> {
  const cluster = suite.cluster
  if (!cluster) throw new Error('cluster')
  const node = await cluster.add()
  const fresh = await RawClient.connect(roomUrl(node.url, ws, 'queue', token), {
    sendLocalUpdates: false,
  })
  raws.push(fresh)
  await fresh.sync()
  return { node, stored: new Set(observed(fresh.doc)) }
}

describe('storage restarted under three nodes', () => {
  it('Redis restarted mid-stream: writes refused with 1013 while it is down, no acknowledged edit lost, service resumes by itself', async () => {
    const t = await team('Acme R')
    const streaming = t.push(EDITS)
    await waitFor('edits flowing', () => t.received().size >= 300, { timeoutMs: 60_000 })
    let acked = new Set<number | string>()
    await suite.redis.restart({
      kill: true,
      whileDown: async () => {
        // What clients had received is what was acknowledged (stored before it was sent).
        acked = t.received()
        // The writer's next append is refused and its connection told to try again later.
        await waitFor('writer refused', () => t.closes.some((c) => c === 1013 || c === 1011), {
          timeoutMs: 30_000,
        })
        // An edit made while Redis is down stays with the writer (unacknowledged), sent nowhere.
        t.writer.doc.getArray<string>('edits').push(['while-down'])
        expect(t.received().has('while-down')).toBe(false)
      },
    })
    // No manual step: the writer's provider reconnects, its edits (the one made while down
    // included) are stored, and the stream goes on to its end.
    await streaming
    await waitFor(
      'every edit at every observer',
      () => t.observers.every((o) => observed(o.doc).length === EDITS + 1),
      { timeoutMs: 60_000 },
    )
    expect(acked.size).toBeGreaterThanOrEqual(300)
    const { stored } = await loadedByNewNode(t.ws, t.employee.token)
    expect([...acked].filter((e) => !stored.has(e))).toEqual([])
    expect(stored.has('while-down')).toBe(true)
    expect(stored.size).toBe(EDITS + 1)
  })

  it('PostgreSQL restarted mid-stream: edits stay acknowledged (they are in Redis), a room that needs PostgreSQL to load is refused until it is back, nothing lost', async () => {
    const t = await team('Acme P')
    const streaming = t.push(EDITS)
    await waitFor('edits flowing', () => t.received().size >= 200, { timeoutMs: 60_000 })
    const other = await t.a.createWorkspace('Acme P2')
    const otherToken = (await t.a.issueToken({ workspaceId: other, name: 'Éva', role: 'employee' }))
      .token
    await suite.postgres.restart({
      kill: true,
      whileDown: async () => {
        // Appends go to Redis only: the stream keeps being stored and fanned out across nodes,
        // while compactions fail (logged, the stream kept) until PostgreSQL is back.
        const before = t.received().size
        await waitFor(
          'edits stored while PostgreSQL is down',
          () => t.received().size >= before + 150,
          {
            timeoutMs: 60_000,
          },
        )
        await waitFor('a compaction refused', () => /compaction failed/.test(t.a.logs()))
        // A new connection needs PostgreSQL twice: its membership (the relational tables are
        // there, issue 11.2; the member cache is off while the LISTEN connection is down) and,
        // for a room not loaded anywhere, its snapshot. It is refused, never served an empty or
        // partial document (and y-websocket retries).
        const attempt = await tryConnect(roomUrl(t.b.url, other, 'queue', otherToken))
        if ('ws' in attempt) {
          const closed = await new Promise<number>((done) => attempt.ws.on('close', done))
          expect(closed).toBe(1011)
        } else expect(attempt.refused.status).toBeGreaterThanOrEqual(500)
      },
    })
    await streaming
    await waitFor(
      'every edit at every observer',
      () => t.observers.every((o) => observed(o.doc).length === EDITS),
      { timeoutMs: 60_000 },
    )
    // By itself: the same room loads now.
    const served = await waitFor('room served again', async () => {
      const client = await RawClient.connect(roomUrl(t.b.url, other, 'queue', otherToken), {
        sendLocalUpdates: false,
      })
      raws.push(client)
      try {
        await client.sync()
        return client
      } catch {
        return null
      }
    })
    expect(served.closeEvent).toBeNull()
    const { stored } = await loadedByNewNode(t.ws, t.employee.token)
    expect(stored.size).toBe(EDITS)
  })
})
