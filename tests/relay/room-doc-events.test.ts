import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { removeTempDir, tempDir } from '../helpers/process'

// Issue 11.3, session 10: a room's doc emits its events without lib0's per-call Map and array
// (Room's emitQuickly). Listeners must see exactly what lib0's emit gives them: the same events
// in the same order with the same arguments, a listener added during an emit not called by it, a
// listener removed during an emit still called by it, and a throwing listener stopping the rest.

const EVENTS = [
  'beforeAllTransactions',
  'beforeTransaction',
  'beforeObserverCalls',
  'afterTransaction',
  'afterTransactionCleanup',
  'afterAllTransactions',
  'update',
] as const

/** Listen to every event of `doc` with two listeners each (the first one adds and removes others). */
function record(doc: Y.Doc): string[] {
  const log: string[] = []
  const late = (name: string) => () => log.push(`${name}:late`)
  for (const name of EVENTS) {
    const lateListener = late(name)
    let added = false
    doc.on(name, (...args: unknown[]) => {
      const first = args[0]
      const what =
        first instanceof Uint8Array
          ? `bytes ${first.byteLength}`
          : first instanceof Y.Transaction
            ? `tr ${first.local} ${[...first.changed.keys()].length}`
            : first === doc
              ? 'doc'
              : typeof first
      log.push(`${name}:a ${what} ${args.length}`)
      // Added during the emit: lib0 does not call it this time, only from the next emit on.
      if (!added) {
        doc.on(name, lateListener)
        added = true
      }
    })
    const second = () => log.push(`${name}:b`)
    doc.on(name, second)
    // A listener that removes the second one while the event is being emitted: lib0 copied the
    // listeners first, so the second one is still called this time.
    if (name === 'afterTransaction') {
      const remover = () => {
        doc.off(name, second)
        log.push(`${name}:remover`)
      }
      doc.on(name, remover)
    }
  }
  return log
}

function edit(doc: Y.Doc, source: Y.Doc, round: number): void {
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(source, Y.encodeStateVector(doc)), 'client')
  doc.transact(() => {
    doc.getMap('m').set(`k${round}`, round)
    doc.getArray('a').delete(0, 1)
  }, 'relay')
}

describe("a room's doc events (issue 11.3)", () => {
  it('reach listeners as lib0 emits them, and the room does not use lib0 emit', async () => {
    const dir = tempDir('porte-voix-doc-events-')
    const db = openDatabase(dir)
    const rooms = new RoomManager(new SqliteStore(db), silentLogger, {
      idleUnloadMs: 60_000,
      compactEvery: 10_000,
    })
    try {
      const room = await rooms.acquire({ workspaceId: 'ws_events', doc: 'directory' })
      const plain = new Y.Doc()
      // The same client id and content: the same changes then encode to the same bytes.
      plain.clientID = room.doc.clientID
      plain.gc = room.doc.gc
      Y.applyUpdate(plain, Y.encodeStateAsUpdate(room.doc))
      for (const name of room.doc.share.keys()) plain.getMap(name)
      // The room's doc carries its own emit (the quick one); a plain doc carries lib0's.
      expect(room.doc.emit).not.toBe(plain.emit)
      expect(plain.emit).toBe(Y.Doc.prototype.emit)
      // The same history from another client on both, then the same local changes (room.doc
      // directly: Room itself would log them as uncaptured; listeners are what is compared).
      const source = new Y.Doc()
      const roomLog = record(room.doc)
      const plainLog = record(plain)
      for (let round = 0; round < 3; round++) {
        source.getArray('a').push([round, round])
        edit(room.doc, source, round)
        edit(plain, source, round)
      }
      expect(roomLog.length).toBeGreaterThan(60)
      expect(roomLog).toEqual(plainLog)
      // A throwing listener stops the ones after it and reaches the caller, as with lib0.
      const thrown = (doc: Y.Doc) => {
        const calls: string[] = []
        doc.on('afterAllTransactions', () => {
          calls.push('first')
          throw new Error('listener failed')
        })
        doc.on('afterAllTransactions', () => calls.push('second'))
        expect(() => doc.transact(() => doc.getMap('m').set('x', 1))).toThrow('listener failed')
        return calls
      }
      expect(thrown(room.doc)).toEqual(thrown(plain))
      rooms.release(room)
    } finally {
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    }
  })
})
