import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { type Logger, silentLogger } from '../../sync-server/log'
import { instrumentAppend } from '../../sync-server/metrics/instrument-store'
import { RelayMetrics } from '../../sync-server/metrics/metrics'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { type Peer, type Room, StorageError } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import type { RoomHooks, StorePayload } from '../../sync-server/storage/types'
import { removeTempDir, tempDir } from '../helpers/process'

/**
 * Issue 11.3: on the SQLite store a change is sent in the same job as the flush that made it
 * durable (DocStore.appendThen), not from a promise, a queue task and awaits. Order, refusals,
 * hooks, compaction and metrics stay as on the asynchronous path.
 */

class Failing extends SqliteStore {
  failing = false
  compactFails = false
  override compact(room: string, snapshot: Uint8Array, uptoSeq: number): number {
    if (this.compactFails) throw new Error('database or disk is full')
    return super.compact(room, snapshot, uptoSeq)
  }
  /** Reads of a room's last seq that fail (a transient I/O error) before they work again. */
  lastSeqFailures = 0
  override append(room: string, firstSeq: number, updates: readonly Uint8Array[]): void {
    if (this.failing) throw new Error('database or disk is full')
    super.append(room, firstSeq, updates)
  }
  override lastSeq(room: string): number {
    if (this.lastSeqFailures > 0) {
      this.lastSeqFailures--
      throw new Error('disk I/O error')
    }
    return super.lastSeq(room)
  }
}

type Setup = {
  raw: Failing
  store: SqliteDocStore
  rooms: RoomManager
  room: Room
  /** What the watching peer was sent, as the key each update set. */
  sent: string[]
  /** Why the watching peer was asked to reconnect, if it was. */
  closed: string[]
  origin: Peer
  /** An update from a fresh client setting `key`. */
  edit(key: string): Uint8Array
}

async function withRoom(
  options: { journal?: boolean; hooks?: RoomHooks; compactEvery?: number; log?: Logger },
  run: (s: Setup) => Promise<void>,
): Promise<void> {
  const dir = tempDir('porte-voix-sync-settle-')
  const db = openDatabase(dir)
  const raw = new Failing(db)
  const store = new SqliteDocStore(raw, { journal: options.journal ?? false })
  const rooms = new RoomManager(store, options.log ?? silentLogger, {
    idleUnloadMs: 60_000,
    compactEvery: options.compactEvery ?? 1000,
    hooks: options.hooks,
  })
  try {
    const room = await rooms.acquire({ workspaceId: 'ws_settle', doc: 'directory' })
    const sent: string[] = []
    const closed: string[] = []
    const keys = new Map<string, string>()
    room.addPeer({
      id: 2,
      access: 'write',
      close: (_code, reason) => void closed.push(reason),
      send: (frame) => {
        // Presence (a room's destroy() removes its own): not what these tests count.
        if (frame[0] === 1) return
        // The frame carries the client's own bytes: find which edit it is.
        for (const [bytes, key] of keys)
          if (Buffer.from(frame).toString('hex').endsWith(bytes)) {
            sent.push(key)
            return
          }
        sent.push('?')
      },
    })
    const origin: Peer = { id: 1, access: 'write', send() {} }
    const edit = (key: string) => {
      const doc = new Y.Doc()
      doc.getMap('m').set(key, key)
      const update = Y.encodeStateAsUpdate(doc)
      keys.set(Buffer.from(update).toString('hex'), key)
      return update
    }
    await run({ raw, store, rooms, room, sent, closed, origin, edit })
    rooms.release(room)
  } finally {
    await rooms.closeAll()
    db.close()
    removeTempDir(dir)
  }
}

/**
 * `update` applied to `room` while its store's appendThen throws: after queuing the append
 * (`queued`, breaking appendThen's contract in storage/types.ts) or instead of it. The store's
 * own appendThen is back for whatever comes next.
 */
function applyWhileAppendThrows(
  store: SqliteDocStore,
  room: Room,
  update: Uint8Array,
  origin: Peer,
  { queued }: { queued: boolean },
): ReturnType<Room['applyClientUpdate']> {
  const appendThen = store.appendThen.bind(store)
  store.appendThen = (name, captured, settled) => {
    if (queued) appendThen(name, captured, settled)
    throw new Error('disk I/O error')
  }
  try {
    return room.applyClientUpdate(update, origin)
  } finally {
    store.appendThen = appendThen
  }
}

describe('a change on a store that settles in its flush (issue 11.3)', () => {
  for (const journal of [false, true]) {
    it(`is sent inside the flush, in order, with no promise in between (journal ${journal ? 'on' : 'off'})`, async () => {
      await withRoom({ journal }, async ({ store, room, sent, origin, edit }) => {
        const results = ['a', 'b', 'c'].map((k) => room.applyClientUpdate(edit(k), origin))
        // Nothing is durable yet, so nothing was sent.
        expect(sent).toEqual([])
        expect(store.flush()).toBe(true)
        // Sent by the flush itself: no microtask ran since.
        expect(sent).toEqual(['a', 'b', 'c'])
        for (const r of results) await r.stored
        expect(room.lastSeq).toBe(3)
        expect(await store.countUpdates(room.name)).toBe(3)
      })
    })
  }

  it('runs a compaction asked for between two changes after the first is stored, in order', async () => {
    await withRoom({}, async ({ store, room, sent, origin, edit }) => {
      room.applyClientUpdate(edit('a'), origin)
      const compacted = room.compact('periodic')
      room.applyClientUpdate(edit('b'), origin)
      room.applyClientUpdate(edit('c'), origin)
      await compacted
      await room.idle()
      expect(sent).toEqual(['a', 'b', 'c'])
      // It waited for what was in flight (all three, stored by one flush), then folded it.
      expect(await store.countUpdates(room.name)).toBe(0)
      expect(room.doc.getMap('m').toJSON()).toEqual({ a: 'a', b: 'b', c: 'c' })
    })
  })

  it('sends a change after the one whose onChange hook answered with a promise, not before', async () => {
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => {
      release = resolve
    })
    let calls = 0
    const stored: number[] = []
    const hooks: RoomHooks = {
      // The first change's hook is slow; the next ones answer at once.
      onChange: () => (calls++ === 0 ? held : undefined),
      onStore: (p: StorePayload) => {
        stored.push(p.lastSeq)
      },
    }
    await withRoom({ hooks }, async ({ store, room, sent, origin, edit }) => {
      const a = room.applyClientUpdate(edit('a'), origin)
      const b = room.applyClientUpdate(edit('b'), origin)
      expect(store.flush()).toBe(true)
      // Stored, but 'a' waits for its hook and 'b' must not overtake it.
      expect(sent).toEqual([])
      release()
      await a.stored
      await b.stored
      expect(sent).toEqual(['a', 'b'])
      expect(stored).toEqual([1, 2])
      // Once the room's order is empty again, changes go out inside the flush.
      room.applyClientUpdate(edit('c'), origin)
      await room.idle()
      room.applyClientUpdate(edit('d'), origin)
      store.flush()
      expect(sent).toEqual(['a', 'b', 'c', 'd'])
    })
  })

  it('sends nothing of a refused flush, tells no onStore, reloads, then takes the next edits', async () => {
    const stored: number[] = []
    const hooks: RoomHooks = { onStore: (p) => void stored.push(p.lastSeq) }
    await withRoom({ hooks }, async ({ raw, store, room, sent, origin, edit }) => {
      const refusals: unknown[] = []
      const results = [edit('a'), edit('b')].map((u) => room.applyClientUpdate(u, origin))
      for (const r of results) r.outcome.onRefused((error) => refusals.push(error))
      raw.failing = true
      expect(store.flush()).toBe(false)
      raw.failing = false
      expect(sent).toEqual([])
      await room.idle()
      expect(refusals).toHaveLength(2)
      for (const error of refusals) expect(error).toBeInstanceOf(StorageError)
      await expect(results[0]?.stored).rejects.toBeInstanceOf(StorageError)
      expect(stored).toEqual([])
      // Reloaded from storage: the refused edits are gone from memory too.
      expect(room.doc.getMap('m').toJSON()).toEqual({})
      await room.applyClientUpdate(edit('c'), origin).stored
      expect(sent).toEqual(['c'])
      expect(stored).toEqual([1])
    })
  })

  it('never sends a change applied on top of one refused at once, though the store kept it', async () => {
    await withRoom({}, async ({ raw, store, room, sent, origin, edit }) => {
      // One client's two consecutive edits: B's item follows A's, so B means nothing without A.
      const client = new Y.Doc()
      client.getMap('m').set('a', 'a')
      const a = Y.encodeStateAsUpdate(client)
      const before = Y.encodeStateVector(client)
      client.getMap('m').set('b', 'b')
      const b = Y.encodeStateAsUpdate(client, before)
      // The room's counter is not cached (an older Room of the name unloaded) and its first read
      // fails: A is refused at once, B (the next read works) is queued and stored.
      store.forget(room.name)
      raw.lastSeqFailures = 1
      const results = [a, b].map((u) => room.applyClientUpdate(u, origin))
      await room.idle()
      await expect(results[0]?.stored).rejects.toBeInstanceOf(StorageError)
      // Sent, B would leave the peer with a struct it can never integrate (4b07e7b refused it;
      // 1791841 sent it, once the reload A's refusal queued had reset the room).
      await expect(results[1]?.stored).rejects.toBeInstanceOf(StorageError)
      expect(sent).toEqual([])
      // Stored, but the reload dropped it (it cannot integrate), so nobody is served it either.
      expect(await store.countUpdates(room.name)).toBe(1)
      expect(room.doc.getMap('m').toJSON()).toEqual({})
      await room.applyClientUpdate(edit('c'), origin).stored
      expect(sent).toEqual(['c'])
    })
  })

  it('refuses a change whose store threw instead of calling back, reloads, and goes on', async () => {
    await withRoom({}, async ({ store, room, sent, origin, edit }) => {
      const refused = applyWhileAppendThrows(store, room, edit('a'), origin, { queued: false })
      await expect(refused.stored).rejects.toBeInstanceOf(StorageError)
      // idle() does not wait for a callback that will never come.
      await room.idle()
      expect(room.doc.getMap('m').toJSON()).toEqual({})
      await room.applyClientUpdate(edit('b'), origin).stored
      expect(sent).toEqual(['b'])
    })
  })

  it('breaks the room when its store queued an append, threw, and then stored it anyway', async () => {
    await withRoom({}, async ({ store, rooms, room, sent, closed, origin, edit }) => {
      // appendThen's contract (storage/types.ts): it never throws once it has queued. This store
      // breaks it: the change is refused and sent to no one, then stored by the next flush.
      const refused = applyWhileAppendThrows(store, room, edit('a'), origin, { queued: true })
      await expect(refused.stored).rejects.toBeInstanceOf(StorageError)
      store.flush()
      // idle() still resolves (one settlement counted, not two).
      await room.idle()
      expect(sent).toEqual([])
      expect(await store.countUpdates(room.name)).toBe(1)
      // Stored but never sent: kept going, the room would serve it to newcomers (its reload has
      // it) and never to the peers it has. It breaks instead, and they reconnect to a fresh load.
      expect(room.broken).toBe(true)
      expect(closed).toEqual(['storage unavailable'])
      await rooms.with(room.ref, (fresh) => {
        expect(fresh).not.toBe(room)
        expect(fresh.doc.getMap('m').toJSON()).toEqual({ a: 'a' })
      })
    })
  })

  it("settles the flush's other rooms when breaking a room fails (a peer's close throws)", async () => {
    await withRoom({}, async ({ store, rooms, room, origin, edit }) => {
      room.addPeer({
        id: 3,
        access: 'write',
        send() {},
        close() {
          throw new Error('socket gone')
        },
      })
      const other = await rooms.acquire({ workspaceId: 'ws_settle_other', doc: 'directory' })
      let otherSent = 0
      other.addPeer({
        id: 4,
        access: 'write',
        send: (frame) => void (frame[0] === 0 && otherSent++),
      })
      const refused = applyWhileAppendThrows(store, room, edit('a'), origin, { queued: true })
      // In the same flush as the broken room's late callback.
      const kept = other.applyClientUpdate(edit('x'), origin)
      await expect(refused.stored).rejects.toBeInstanceOf(StorageError)
      const late = new Promise((resolve) => setTimeout(() => resolve('still pending'), 2000))
      expect(await Promise.race([kept.stored.then(() => 'stored'), late])).toBe('stored')
      expect(otherSent).toBe(1)
      expect(room.broken).toBe(true)
      rooms.release(other)
    })
  })

  it('compacts every N updates from the flush, and stored settles after that compaction', async () => {
    await withRoom({ compactEvery: 4 }, async ({ store, room, origin, edit }) => {
      // Spread: the first periodic compaction runs at 4 (up to a tenth more: still 4).
      const results = ['a', 'b', 'c', 'd'].map((k) => room.applyClientUpdate(edit(k), origin))
      for (const r of results) await r.stored
      expect(await store.countUpdates(room.name)).toBe(0)
    })
  })

  it('settles a delivered change whose compaction failed in a way the room did not expect', async () => {
    // The room catches the store's compaction error and logs it; here logging it throws too.
    const log: Logger = {
      ...silentLogger,
      error(message) {
        if (message === 'compaction failed') throw new Error('log sink gone')
      },
    }
    await withRoom({ compactEvery: 1, log }, async ({ raw, room, sent, origin, edit }) => {
      raw.compactFails = true
      const result = room.applyClientUpdate(edit('a'), origin)
      const late = new Promise((resolve) => setTimeout(() => resolve('still pending'), 2000))
      // Delivered, so settled well (no refusal for its client, no unhandled rejection).
      expect(await Promise.race([result.stored.then(() => 'stored'), late])).toBe('stored')
      expect(sent).toEqual(['a'])
      raw.compactFails = false
    })
  })

  it('counts each stored update once in the metrics, whichever append a caller used', async () => {
    await withRoom({}, async ({ store, room, origin, edit }) => {
      const metrics = new RelayMetrics({ connections: () => 0, rooms: () => 1 })
      instrumentAppend(store, metrics)
      await room.applyClientUpdate(edit('a'), origin).stored
      await store.append(room.name, [edit('b')])
      expect(metrics.updates.value).toBe(2)
      await new Promise((resolve) => setImmediate(resolve))
      expect(metrics.fanout.count).toBe(2)
      expect(metrics.storageErrors.value).toBe(0)
    })
  })

  it('times a change to the end of the flush that sent it, not a loop iteration later', async () => {
    await withRoom({}, async ({ store, room, sent, origin, edit }) => {
      const metrics = new RelayMetrics({ connections: () => 0, rooms: () => 1 })
      instrumentAppend(store, metrics)
      room.applyClientUpdate(edit('a'), origin)
      expect(store.flush()).toBe(true)
      // Sent inside the flush, and observed by then (a setImmediate would also time the next
      // iteration's I/O).
      expect(sent).toEqual(['a'])
      expect(metrics.fanout.count).toBe(1)
    })
  })
})
