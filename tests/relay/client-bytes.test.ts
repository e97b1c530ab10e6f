import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { buildDoc, type Peer, type Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import type { AppendSettled } from '../../sync-server/storage/types'
import { removeTempDir, tempDir } from '../helpers/process'

/** The SQLite DocStore, keeping what each append was handed (the very arrays). */
class Recording extends SqliteDocStore {
  readonly appended: Uint8Array[] = []
  override append(room: string, updates: readonly Uint8Array[]): Promise<number> {
    this.appended.push(...updates)
    return super.append(room, updates)
  }
  override appendThen(room: string, updates: readonly Uint8Array[], settled: AppendSettled): void {
    this.appended.push(...updates)
    super.appendThen(room, updates, settled)
  }
}

/** The update a sync frame carries (messageSync, SYNC_UPDATE, varUint8Array). */
function payloadOf(frame: Uint8Array): Uint8Array {
  expect(frame[0]).toBe(0)
  expect(frame[1]).toBe(SYNC_UPDATE)
  let length = 0
  let shift = 0
  let at = 2
  for (;;) {
    const byte = frame[at++] as number
    length += (byte & 0x7f) * 2 ** shift
    shift += 7
    if (byte < 0x80) break
  }
  return frame.subarray(at, at + length)
}

async function withRoom(
  doc: 'queue' | 'directory',
  run: (room: Room, store: Recording, sent: Uint8Array[], origin: Peer) => Promise<void>,
): Promise<void> {
  const dir = tempDir('porte-voix-client-bytes-')
  const db = openDatabase(dir)
  const store = new Recording(new SqliteStore(db))
  const rooms = new RoomManager(store, silentLogger, { idleUnloadMs: 60_000, compactEvery: 1000 })
  try {
    const room = await rooms.acquire({ workspaceId: 'ws_bytes', doc })
    const sent: Uint8Array[] = []
    room.addPeer({ id: 2, access: 'write', send: (frame) => sent.push(frame) })
    const origin: Peer = { id: 1, access: 'write', send() {} }
    await run(room, store, sent, origin)
    // Whatever path a change took, what is stored rebuilds the room's doc.
    const stored = buildDoc(await store.load(room.name)).doc
    expect(Y.encodeStateVector(stored)).toEqual(Y.encodeStateVector(room.doc))
    expect(stored.getArray('a').toJSON()).toEqual(room.doc.getArray('a').toJSON())
    rooms.release(room)
  } finally {
    await rooms.closeAll()
    db.close()
    removeTempDir(dir)
  }
}

describe("a client's update stored and sent as its own bytes (issue 11.3)", () => {
  it('an update whose structs are all new is stored and broadcast as the bytes the client sent', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const client = new Y.Doc()
      const updates: Uint8Array[] = []
      client.on('update', (u: Uint8Array) => updates.push(u))
      client.getArray('a').push([1])
      client.getArray('a').push([2])
      for (const update of updates) await room.applyClientUpdate(update, origin).stored
      // The very arrays: Yjs did not encode the transactions again.
      expect(store.appended).toHaveLength(2)
      expect(store.appended[0]).toBe(updates[0])
      expect(store.appended[1]).toBe(updates[1])
      expect(sent.map(payloadOf)).toEqual(updates)
      expect(room.doc.getArray('a').toJSON()).toEqual([1, 2])
    })
  })

  it('an update repeating what the room has stores only what was new (Yjs encodes it)', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const client = new Y.Doc()
      const updates: Uint8Array[] = []
      client.on('update', (u: Uint8Array) => updates.push(u))
      client.getArray('a').push([1])
      await room.applyClientUpdate(updates[0] as Uint8Array, origin).stored
      client.getArray('a').push([2])
      // The client's whole state: its first push again, and the new one.
      const whole = Y.encodeStateAsUpdate(client)
      await room.applyClientUpdate(whole, origin).stored
      expect(store.appended).toHaveLength(2)
      expect(store.appended[1]).not.toBe(whole)
      // Stored: only what was new (the second push), which needs the first to apply.
      const alone = new Y.Doc()
      Y.applyUpdate(alone, store.appended[1] as Uint8Array)
      expect(alone.store.pendingStructs).not.toBeNull()
      // What was sent for it applies to a doc at the first state as the client's second push.
      const peer = new Y.Doc()
      Y.applyUpdate(peer, updates[0] as Uint8Array)
      Y.applyUpdate(peer, payloadOf(sent[1] as Uint8Array))
      expect(peer.getArray('a').toJSON()).toEqual([1, 2])
      // Nothing new at all: nothing stored, nothing sent.
      await room.applyClientUpdate(whole, origin).stored
      expect(store.appended).toHaveLength(2)
      expect(sent).toHaveLength(2)
    })
  })

  it('a part that can never integrate is cut out: only the integrated part is stored and sent', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const other = new Y.Doc()
      other.getArray('a').push(['base'])
      const missingBase = Y.encodeStateAsUpdate(other)
      const sv = Y.encodeStateVector(other)
      other.getArray('a').push(['on top'])
      const onTop = Y.encodeStateAsUpdate(other, sv)
      const client = new Y.Doc()
      client.getArray('a').push(['mine'])
      const mixed = Y.mergeUpdates([onTop, Y.encodeStateAsUpdate(client)])
      const result = room.applyClientUpdate(mixed, origin)
      expect(result.dropped).not.toBeNull()
      await result.stored
      expect(store.appended).toHaveLength(1)
      expect(store.appended[0]).not.toBe(mixed)
      expect(room.doc.getArray('a').toJSON()).toEqual(['mine'])
      const peer = new Y.Doc()
      Y.applyUpdate(peer, payloadOf(sent[0] as Uint8Array))
      expect(peer.getArray('a').toJSON()).toEqual(['mine'])
      expect(peer.store.pendingStructs).toBeNull()
      expect(missingBase.byteLength).toBeGreaterThan(0)
    })
  })

  it('deletions go through Yjs: one that deletes is stored, one that repeats a deletion is not', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const client = new Y.Doc()
      const updates: Uint8Array[] = []
      client.on('update', (u: Uint8Array) => updates.push(u))
      client.getArray('a').push([1, 2, 3])
      client.getArray('a').delete(1, 1)
      for (const update of updates) await room.applyClientUpdate(update, origin).stored
      expect(room.doc.getArray('a').toJSON()).toEqual([1, 3])
      expect(store.appended).toHaveLength(2)
      await room.applyClientUpdate(updates[1] as Uint8Array, origin).stored
      expect(store.appended).toHaveLength(2)
      expect(sent).toHaveLength(2)
    })
  })

  it('bytes after the delete set are never stored or sent (Yjs ignores them when it applies)', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const client = new Y.Doc()
      const updates: Uint8Array[] = []
      client.on('update', (u: Uint8Array) => updates.push(u))
      client.getArray('a').push(['x'])
      const update = updates[0] as Uint8Array
      const padded = new Uint8Array(update.byteLength + 5000)
      padded.set(update)
      padded.fill(7, update.byteLength)
      await room.applyClientUpdate(padded, origin).stored
      expect(room.doc.getArray('a').toJSON()).toEqual(['x'])
      expect(store.appended).toHaveLength(1)
      expect(store.appended[0]?.byteLength).toBeLessThan(update.byteLength + 100)
      expect(payloadOf(sent[0] as Uint8Array).byteLength).toBeLessThan(update.byteLength + 100)
    })
  })

  it('content an update adds and deletes itself is stored collected, as Yjs encodes it, not as sent', async () => {
    await withRoom('directory', async (room, store, sent, origin) => {
      const secret = 'added and deleted in one update'
      // A crafted update: the insertion and its deletion in one (a y-websocket client would
      // have collected the content before sending).
      const client = new Y.Doc({ gc: false })
      const before = Y.encodeStateVector(client)
      client.getArray('a').push(['kept'])
      client.getArray<string>('a').push([secret])
      client.getArray('a').delete(1, 1)
      const crafted = Y.encodeStateAsUpdate(client, before)
      expect(new TextDecoder().decode(crafted)).toContain(secret)
      await room.applyClientUpdate(crafted, origin).stored
      expect(room.doc.getArray('a').toJSON()).toEqual(['kept'])
      expect(store.appended).toHaveLength(1)
      expect(store.appended[0]).not.toBe(crafted)
      expect(new TextDecoder().decode(store.appended[0])).not.toContain(secret)
      expect(new TextDecoder().decode(payloadOf(sent[0] as Uint8Array))).not.toContain(secret)
    })
  })
})
