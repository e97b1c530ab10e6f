import Redis from 'ioredis'
import { describe, expect, it } from 'vitest'
import { suiteServers } from '../helpers/suite-servers'

/*
 * The Redis store's appends of one event-loop turn leave in one socket write (the store
 * connection is corked until setImmediate; storage/redis/doc-store.ts #batchTurn), not through
 * ioredis's auto-pipelining. What that must keep: every room's seqs consecutive and in call
 * order, nothing held back after the turn, and appends caught in the corked write when Redis goes
 * away rejected (refused, so never broadcast), not resolved nor left hanging. On a redis-server
 * of the test's own; runs once, on the relay-cluster project.
 */
const cluster = process.env.PORTE_VOIX_TEST_RELAY_BACKEND === 'cluster'

const update = (i: number) => new Uint8Array([i % 256, 1, 2, 3])

describe.skipIf(!cluster)(
  'the Redis store batches a turn of appends (relay-cluster project)',
  () => {
    const servers = suiteServers()
    const open = servers.openDocStore

    it('keeps every room in call order with consecutive seqs, and sends a later turn too', async () => {
      const store = await open()
      const admin = new Redis(servers.redis.url)
      try {
        const rooms = ['batch-a', 'batch-b', 'batch-c']
        await Promise.all(rooms.map((room) => store.load(room)))
        // One turn: 3 rooms × 20 appends, interleaved, some of several updates.
        const calls: { room: string; count: number; done: Promise<number> }[] = []
        for (let i = 0; i < 60; i++) {
          const room = rooms[i % 3] as string
          const count = 1 + (i % 2)
          const updates = Array.from({ length: count }, (_, j) => update(i * 2 + j))
          calls.push({ room, count, done: store.append(room, updates) })
        }
        const seqs = await Promise.all(calls.map((c) => c.done))
        for (const room of rooms) {
          const mine = calls
            .map((c, i) => ({ ...c, last: seqs[i] as number }))
            .filter((c) => c.room === room)
          let expected = 0
          for (const c of mine) {
            expected += c.count
            expect(c.last).toBe(expected)
          }
          const entries = (await admin.xrangeBuffer(`pv:{${room}}:s`, '-', '+')) as [
            Buffer,
            Buffer[],
          ][]
          expect(entries.map(([id]) => id.toString())).toEqual(
            Array.from({ length: expected }, (_, i) => `0-${i + 1}`),
          )
        }
        // The socket is uncorked after the turn: an append of a later turn is answered.
        await new Promise((r) => setTimeout(r, 20))
        await expect(store.append('batch-a', [update(200)])).resolves.toBe(31)
      } finally {
        admin.disconnect()
        await store.close()
      }
    })

    it('rejects the appends of a turn whose write Redis never answered', async () => {
      const store = await open()
      try {
        await store.load('batch-down')
        await store.append('batch-down', [update(1)])
        const pending = Array.from({ length: 5 }, (_, i) => store.append('batch-down', [update(i)]))
        const settled = pending.map((p) =>
          p.then(
            () => 'stored',
            () => 'refused',
          ),
        )
        // Killed in the same turn (down sends SIGKILL before it awaits): the corked write goes to
        // a dead server or a closed socket.
        const downed = servers.redis.down({ kill: true })
        const outcomes = await Promise.race([
          Promise.all(settled),
          new Promise<string[]>((r) => setTimeout(() => r(['hung']), 15_000)),
        ])
        expect(outcomes).toEqual(Array(5).fill('refused'))
        await downed
        await servers.redis.up()
      } finally {
        await store.close()
      }
    })
  },
)
