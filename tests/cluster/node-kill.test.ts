import { describe, expect, it } from 'vitest'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'
import { clientOn, clusterSuite, moveTo } from './support'

const EDITS = 1500
const KILL_AFTER_OBSERVED = 400

const suite = clusterSuite()
const { providers, raws } = suite

describe('a relay node killed mid-stream', () => {
  it('loses no edit any client had received; its clients move to another node and converge; a late node loads it all', async () => {
    const cluster = await suite.start(3, { args: ['--compact-every', '200'] })
    const [a, b, c] = cluster.nodes
    if (!a || !b || !c) throw new Error('nodes')
    const ws = await a.createWorkspace('Acme')
    const champion = await a.issueToken({ workspaceId: ws, name: 'Chloé', role: 'champion' })
    const employee = await a.issueToken({ workspaceId: ws, name: 'Émile', role: 'employee' })

    // The writer and one observer on A (the node to be killed), read-only observers on B and C:
    // readers never hand anything back, so what they hold came from storage's fan-out.
    const writer = clientOn(a, ws, champion.token)
    const onA = clientOn(a, ws, employee.token)
    providers.push(writer, onA)
    const [onB, onC] = await Promise.all(
      [b, c].map((n) =>
        RawClient.connect(roomUrl(n.url, ws, 'queue', employee.token), { sendLocalUpdates: false }),
      ),
    )
    if (!onB || !onC) throw new Error('observers')
    raws.push(onB, onC)
    await Promise.all([onB.sync(), onC.sync()])
    await waitFor('providers synced', () => writer.synced && onA.synced)
    // Both move to B once A is gone (as a load balancer would send them elsewhere); the writer
    // is held back until storage was checked, so it cannot hand back what it had sent.
    for (const p of [writer, onA])
      p.on('connection-close', () => {
        moveTo(p, b)
        if (p === writer) p.shouldConnect = false
      })

    const edits = writer.doc.getArray<number>('edits')
    const observed = (doc: { getArray<T>(name: string): { toArray(): T[] } }) =>
      doc.getArray<number>('edits').toArray()
    let sent = 0
    const received = new Set<number>()
    const push = async () => {
      while (sent < EDITS && writer.shouldConnect) {
        // Stay at most 200 edits ahead of the slowest observer, so the kill lands mid-stream.
        const behind = Math.min(observed(onB.doc).length, observed(onC.doc).length)
        if (sent - behind < 200) for (let i = 0; i < 10 && sent < EDITS; i++) edits.push([sent++])
        await new Promise((r) => setTimeout(r, 0))
      }
    }
    const stream = push()
    await waitFor(
      'observers to receive edits',
      () => observed(onB.doc).length >= KILL_AFTER_OBSERVED,
      {
        timeoutMs: 60_000,
      },
    )
    await a.kill()
    // Everything any client had received by the kill (nothing more arrives from A now).
    for (const doc of [onA.doc, onB.doc, onC.doc]) for (const e of observed(doc)) received.add(e)
    await stream
    expect(await a.exited).toMatchObject({ signal: 'SIGKILL' })
    expect(received.size).toBeGreaterThanOrEqual(KILL_AFTER_OBSERVED)
    expect(sent).toBeLessThan(EDITS)

    // A node started late loads the room from PostgreSQL's snapshot plus the stream: it holds
    // every received edit, before the writer (which has them all) reconnects anywhere.
    const late = await cluster.add()
    const fresh = await RawClient.connect(roomUrl(late.url, ws, 'queue', employee.token), {
      sendLocalUpdates: false,
    })
    raws.push(fresh)
    await fresh.sync()
    const stored = new Set(observed(fresh.doc))
    expect([...received].filter((e) => !stored.has(e))).toEqual([])
    expect(late.logs()).toMatch(/room loaded/)

    // The killed node's clients reconnect (to B), the stream goes on to its end there, and
    // everyone converges on every edit made.
    writer.connect()
    await push()
    expect(sent).toBe(EDITS)
    const all = (doc: { getArray<T>(name: string): { toArray(): T[] } }) =>
      observed(doc).length === EDITS
    await waitFor(
      'every edit everywhere',
      () => all(onA.doc) && all(onB.doc) && all(onC.doc) && all(fresh.doc),
      { timeoutMs: 60_000 },
    )
    expect(new Set(observed(onB.doc)).size).toBe(EDITS)
    expect(writer.serverUrl).toBe(b.url)
  })
})
