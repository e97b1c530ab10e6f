import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { type Cluster, clientOn, moveTo, prng, startCluster } from './support'

const CLIENTS = 6
const STEPS = 200

let redis: TestServer
let postgres: TestServer
let cluster: Cluster | undefined
const clients: WebsocketProvider[] = []

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
})
afterAll(async () => {
  for (const c of clients) c.destroy()
  await cluster?.stop()
  await Promise.all([redis?.stop(), postgres?.stop()])
})

describe('three relay nodes on Redis + PostgreSQL', () => {
  // Property-style: for each seed, random inserts, deletes, disconnects and moves between nodes;
  // once everyone is back, every client holds the same document: every insert but the deleted.
  it.each([11, 12, 13])('converges under random edits and disconnects (seed %i)', async (seed) => {
    cluster ??= await startCluster(3, redis, postgres, { args: ['--compact-every', '40'] })
    const nodes = cluster.nodes
    const first = nodes[0]
    if (!first) throw new Error('no node')
    const ws = await first.createWorkspace(`Acme ${seed}`)
    const mine: WebsocketProvider[] = []
    for (let i = 0; i < CLIENTS; i++) {
      const { token } = await first.issueToken({
        workspaceId: ws,
        name: `Champion ${i}`,
        role: 'champion',
      })
      const node = nodes[i % nodes.length] ?? first
      const client = clientOn(node, ws, token)
      mine.push(client)
      clients.push(client)
    }
    await waitFor('clients synced', () => mine.every((c) => c.synced))

    const random = prng(seed)
    const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)] as T
    const inserted = new Set<string>()
    const deleted = new Set<string>()
    for (let step = 0; step < STEPS; step++) {
      const client = pick(mine)
      const edits = client.doc.getArray<string>('edits')
      const roll = random()
      if (roll < 0.08 && client.shouldConnect) {
        client.disconnect()
      } else if (roll < 0.2 && !client.shouldConnect) {
        moveTo(client, pick(nodes))
        client.connect()
      } else if (roll < 0.3 && edits.length > 0) {
        const index = Math.floor(random() * edits.length)
        const value = edits.get(index)
        edits.delete(index, 1)
        deleted.add(value)
      } else {
        const value = `${seed}-${step}`
        edits.insert(Math.floor(random() * (edits.length + 1)), [value])
        inserted.add(value)
      }
      // Let frames move now and then, so edits interleave with other nodes' fan-out.
      if (step % 5 === 0) await new Promise((r) => setTimeout(r, 0))
    }
    for (const client of mine) {
      if (!client.shouldConnect) {
        moveTo(client, pick(nodes))
        client.connect()
      }
    }
    const expected = [...inserted].filter((v) => !deleted.has(v)).sort()
    await waitFor(
      'every client holding the same document',
      () => {
        const docs = mine.map((c) => JSON.stringify(c.doc.getArray<string>('edits').toArray()))
        const same = docs.every((d) => d === docs[0])
        const values = [...(mine[0]?.doc.getArray<string>('edits').toArray() ?? [])].sort()
        return (
          mine.every((c) => c.synced) && same && JSON.stringify(values) === JSON.stringify(expected)
        )
      },
      { timeoutMs: 60_000 },
    )
    expect(inserted.size).toBeGreaterThan(100)
    for (const client of mine) client.destroy()
  })
})
