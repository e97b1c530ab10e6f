import * as decoding from 'lib0/decoding'
import { describe, expect, it } from 'vitest'
import { Awareness, encodeAwarenessUpdate } from 'y-protocols/awareness'
import * as Y from 'yjs'
import { itemsMap } from '../../common/doc/queue-doc'
import { silentLogger } from '../../sync-server/log'
import type { Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { PgSnapshots } from '../../sync-server/storage/postgres/snapshots'
import { suiteServers } from '../helpers/suite-servers'
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
  const servers = suiteServers()
  const open = servers.openDocStore

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

  it('loads a room whose compaction crashed after the snapshot commit, before the trim', async () => {
    const a = await open()
    const snapshots = new PgSnapshots(servers.postgres.url, silentLogger)
    try {
      const room = 'ws_crash/directory'
      await a.load(room)
      await a.append(room, [edit('s1'), edit('s2'), edit('s3')])
      // The snapshot of seqs 1–2 is committed; the process dies before XTRIM.
      const folded = new Y.Doc()
      for (const k of ['s1', 's2']) Y.applyUpdate(folded, edit(k))
      await snapshots.put(room, Y.encodeStateAsUpdate(folded), 2)
      expect(await a.countUpdates(room)).toBe(3)
      const stored = await a.load(room)
      expect(stored).toMatchObject({ snapshotSeq: 2, lastSeq: 3 })
      expect(stored.updates).toHaveLength(1)
      // The next compaction trims what the snapshot already covers too.
      expect(await a.compact(room, 3)).toMatchObject({ uptoSeq: 3, removedUpdates: 3 })
      expect(await snapshots.get(room)).toMatchObject({ upto: 3 })
    } finally {
      await snapshots.close()
      await a.close()
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

  it('hands a node that missed trimmed entries everything stored, then the entries after it', async () => {
    const [a, b] = [await open(), await open()]
    try {
      const room = 'ws_gap/directory'
      await a.load(room)
      await a.append(room, [edit('one'), edit('two')])
      await a.compact(room, 2)
      expect(await a.countUpdates(room)).toBe(0)
      // B follows from seq 0 as if it had loaded before the compaction and read nothing since.
      const fed: string[] = []
      const doc = new Y.Doc()
      const seen = (d: Y.Doc) => Object.keys(d.getMap('m').toJSON()).sort().join(',')
      b.watch(room, 0, {
        updates: (updates) => {
          for (const u of updates) Y.applyUpdate(doc, u)
          fed.push(`updates:${seen(doc)}`)
        },
        resync: (stored) => {
          if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
          for (const u of stored.updates) Y.applyUpdate(doc, u)
          fed.push(`resync:${stored.snapshotSeq}:${seen(doc)}`)
        },
        awareness: () => {},
      })
      await a.append(room, [edit('three')])
      await waitFor('B fed', () => fed.length > 0 && seen(doc) === 'one,three,two')
      expect(fed).toEqual(['resync:2:one,three,two'])
      await a.append(room, [edit('four')])
      await waitFor('B fed the next entry', () => fed.length === 2)
      expect(fed[1]).toBe('updates:four,one,three,two')
    } finally {
      await Promise.all([a.close(), b.close()])
    }
  })

  it('rolls a refused update back at once, so the next writer is not refused meanwhile', async () => {
    const store = await open()
    const rooms = new RoomManager(store, silentLogger, {
      idleUnloadMs: 60_000,
      compactEvery: 1_000_000,
    })
    try {
      const room = await rooms.acquire({ workspaceId: 'ws_refuse', doc: 'queue' })
      const [faulty, good] = [peer(1), peer(2)]
      await room.applyClientUpdate(edit('before'), good).stored
      // A new item with no link cannot be repaired: refused, and the doc rebuilt from storage.
      const bad = new Y.Doc()
      const map = new Y.Map<unknown>()
      itemsMap(bad).set('itm_nolink', map)
      map.set('id', 'itm_nolink')
      map.set('status', 'published')
      map.set('title', 'No link')
      expect(() => room.applyClientUpdate(Y.encodeStateAsUpdate(bad), faulty)).toThrow()
      // The very next frame, in the same turn, is taken and stored.
      await room.applyClientUpdate(edit('after'), good).stored
      expect(itemsMap(room.doc).has('itm_nolink')).toBe(false)
      expect(Object.keys(room.doc.getMap('m').toJSON()).sort()).toEqual(['after', 'before'])
      const stored = await store.load(room.name)
      expect(stored.updates).toHaveLength(2)
      rooms.release(room)
    } finally {
      await rooms.closeAll()
    }
  })

  it('refuses appends while Redis is down, and takes them again once it is back', async () => {
    const s = await open()
    try {
      const room = 'ws_down/directory'
      await s.load(room)
      expect(await s.append(room, [edit('before')])).toBe(1)
      await servers.redis.down()
      await expect(s.append(room, [edit('during')])).rejects.toThrow()
      await servers.redis.up()
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
