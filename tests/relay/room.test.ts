import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { ProtocolError } from '../../sync-server/protocol/messages'
import { loadDoc } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { tempDir } from '../helpers/process'

const throws = (fn: () => void) => {
  try {
    fn()
    return false
  } catch {
    return true
  }
}

function setup() {
  const db = openDatabase(tempDir('porte-voix-room-'))
  const store = new SqliteStore(db)
  const rooms = new RoomManager(store, silentLogger, { idleUnloadMs: 60_000, compactEvery: 1000 })
  return { db, store, rooms }
}

describe('room, in process', () => {
  it('an update that decodes but fails to integrate is refused, and nothing of it is kept or sent', async () => {
    // Yjs-decodable updates that still throw when applied (found by search, deterministic seed).
    const base = new Y.Doc()
    base.getText('t').insert(0, 'hello, relay')
    base.getMap('m').set('k', { a: 1 })
    base.getText('t').delete(2, 3)
    const valid = Y.encodeStateAsUpdate(base)
    const candidates = fc.sample(
      fc.array(fc.tuple(fc.nat(valid.length - 1), fc.nat(255)), { minLength: 1, maxLength: 6 }),
      { numRuns: 30_000, seed: 1 },
    )
    const tricky = candidates
      .map((edits) => {
        const copy = Uint8Array.from(valid)
        for (const [at, value] of edits) copy[at] = value
        return copy
      })
      .filter(
        (u) => !throws(() => Y.decodeUpdate(u)) && throws(() => Y.applyUpdate(new Y.Doc(), u)),
      )
    expect(tricky.length).toBeGreaterThan(0)

    const { db, store, rooms } = setup()
    const room = await rooms.acquire({ workspaceId: 'ws_tricky', doc: 'queue' })
    const sent: Uint8Array[] = []
    room.addPeer({ id: 2, send: (frame) => sent.push(frame) })
    const peer = { id: 1, send() {} }
    const client = new Y.Doc()
    client.getText('t').insert(0, 'stored before')
    room.applyClientUpdate(Y.encodeStateAsUpdate(client), peer)
    const before = Y.encodeStateAsUpdate(room.doc)
    let refused = 0
    for (const update of tricky) {
      try {
        room.applyClientUpdate(update, peer)
      } catch (error) {
        expect(error).toBeInstanceOf(ProtocolError)
        refused++
      }
    }
    expect(refused).toBeGreaterThan(0)
    // Whatever was refused left no trace: the room's doc equals what SQLite holds.
    const stored = loadDoc(store, 'ws_tricky/queue')
    expect(stored.skipped).toBe(0)
    expect(Y.encodeStateVector(room.doc)).toEqual(Y.encodeStateVector(stored.doc))
    expect(room.doc.getText('t').toString()).toBe(stored.doc.getText('t').toString())
    expect(sent.length).toBeLessThanOrEqual(1 + tricky.length - refused)
    if (refused === tricky.length) expect(Y.encodeStateAsUpdate(room.doc)).toEqual(before)
    rooms.release(room)
    await rooms.closeAll()
    db.close()
  })

  it('a room with an unreadable stored update still loads everything else', () => {
    const { db, store } = setup()
    const a = new Y.Doc()
    const updates: Uint8Array[] = []
    a.on('update', (u: Uint8Array) => updates.push(u))
    a.getMap('m').set('one', 1)
    a.getMap('m').set('two', 2)
    store.append('ws_x/queue', 1, [
      updates[0] as Uint8Array,
      Uint8Array.from([0xff, 0xff, 0xff]),
      updates[1] as Uint8Array,
    ])
    const loaded = loadDoc(store, 'ws_x/queue')
    expect(loaded.skipped).toBe(1)
    expect(loaded.doc.getMap('m').toJSON()).toEqual({ one: 1, two: 2 })
    expect(loaded.lastSeq).toBe(3)
    db.close()
  })
})
