import * as decoding from 'lib0/decoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import type { Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'

/** A peer that applies every sync frame it is sent to its own doc, and counts presence frames. */
function peer(id: number, access: 'write' | 'read' = 'write') {
  const doc = new Y.Doc()
  const p: Peer & { doc: Y.Doc; presence: number } = {
    id,
    access,
    member: `mem_${id}`,
    memberName: `Member ${id}`,
    doc,
    presence: 0,
    send(frame) {
      const d = decoding.createDecoder(frame)
      const kind = decoding.readVarUint(d)
      if (kind === 1) {
        p.presence++
        return
      }
      if (kind !== 0) return
      decoding.readVarUint(d)
      Y.applyUpdate(doc, decoding.readVarUint8Array(d))
    },
  }
  return p
}

function edit(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('m').set(text, text)
  return Y.encodeStateAsUpdate(doc)
}

describe('the Redis + PostgreSQL DocStore', () => {
  let redis: TestServer
  let postgres: TestServer
  beforeAll(async () => {
    ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  })
  afterAll(async () => {
    await Promise.all([redis?.stop(), postgres?.stop()])
  })
  const open = () =>
    RedisDocStore.open({ redisUrl: redis.url, postgresUrl: postgres.url, log: silentLogger })

  it('assigns seqs in Redis, loads snapshot + stream, compacts into PostgreSQL then trims', async () => {
    const a = await open()
    const b = await open()
    try {
      const room = 'ws_seq/directory'
      await a.load(room)
      const seqs = await Promise.all([
        a.append(room, [edit('a1'), edit('a2')]),
        b.append(room, [edit('b1')]),
        a.append(room, [edit('a3')]),
      ])
      expect([...seqs].sort()).toEqual([2, 3, 4])
      const compacted = await b.compact(room, 3)
      expect(compacted).toMatchObject({ uptoSeq: 3, removedUpdates: 3 })
      expect(await a.countUpdates(room)).toBe(1)
      const stored = await a.load(room)
      expect(stored).toMatchObject({ snapshotSeq: 3, lastSeq: 4 })
      expect(stored.updates).toHaveLength(1)
      const doc = new Y.Doc()
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const u of stored.updates) Y.applyUpdate(doc, u)
      expect(Object.keys(doc.getMap('m').toJSON()).sort()).toEqual(['a1', 'a2', 'a3', 'b1'])
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('refuses a compaction while another holds the lease', async () => {
    const a = await open()
    try {
      const room = 'ws_lease/directory'
      await a.load(room)
      await a.append(room, [edit('x')])
      const lease = await a.leases.acquire(`pv:{${room}}:l`, 10_000)
      expect(lease).not.toBeNull()
      expect(await a.compact(room, 1)).toMatchObject({ removedUpdates: 0 })
      expect(await a.countUpdates(room)).toBe(1)
      await lease?.release()
      expect(await a.compact(room, 1)).toMatchObject({ removedUpdates: 1, uptoSeq: 1 })
    } finally {
      await a.close()
    }
  })

  it('fans a change out to the peers of another node, presence too, and resyncs after a trim', async () => {
    const stores = [await open(), await open()]
    const managers = stores.map(
      (s) => new RoomManager(s, silentLogger, { idleUnloadMs: 60_000, compactEvery: 1_000_000 }),
    )
    const ref = { workspaceId: 'ws_fan', doc: 'directory' as const }
    try {
      const [roomA, roomB] = await Promise.all(managers.map((m) => m.acquire(ref)))
      if (!roomA || !roomB) throw new Error('rooms')
      const [writerA, readerB] = [peer(1), peer(2, 'read')]
      roomA.addPeer(writerA)
      roomB.addPeer(readerB)
      await roomA.applyClientUpdate(edit('one'), writerA).stored
      await waitFor('edit at the other node', () => readerB.doc.getMap('m').get('one') === 'one')
      expect(roomB.doc.getMap('m').get('one')).toBe('one')

      // Presence from a writer on A reaches the reader on B.
      const aw = new Awareness(new Y.Doc())
      aw.setLocalState({ user: { name: 'Member 1' } })
      roomA.applyAwareness(encodeAwarenessUpdate(aw, [aw.clientID]), writerA)
      await waitFor('presence at the other node', () => readerB.presence > 0)
      aw.destroy()

      // B's reader is paused behind a compaction that trims what it had not read yet.
      const before = stores[1]?.countUpdates(roomB.name)
      expect(await before).toBe(1)
      for (const key of ['two', 'three']) await roomA.applyClientUpdate(edit(key), writerA).stored
      await waitFor('edits at B', () => readerB.doc.getMap('m').get('three') === 'three')
      await roomA.compact('periodic')
      expect(await stores[0]?.countUpdates(roomA.name)).toBe(0)
      await roomA.applyClientUpdate(edit('four'), writerA).stored
      await waitFor(
        'edit after the trim at B',
        () => readerB.doc.getMap('m').get('four') === 'four',
      )
      managers[0]?.release(roomA)
      managers[1]?.release(roomB)
    } finally {
      await Promise.all(managers.map((m) => m.closeAll()))
    }
  })

  it('refuses appends while Redis is down, and takes them again once it is back', async () => {
    const s = await open()
    try {
      const room = 'ws_down/directory'
      await s.load(room)
      expect(await s.append(room, [edit('before')])).toBe(1)
      await redis.down()
      await expect(s.append(room, [edit('during')])).rejects.toThrow()
      await redis.up()
      const seq = await waitFor('append accepted again', () =>
        s.append(room, [edit('after')]).catch(() => 0),
      )
      expect(seq).toBe(2)
      expect((await s.load(room)).lastSeq).toBe(2)
    } finally {
      await s.close()
    }
  })
})
