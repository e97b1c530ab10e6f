import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore, type StoredRoom } from '../../sync-server/persistence/sqlite-store'
import { loadDoc, type Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'

/** A store whose appends and loads can be made to fail, as a full or broken disk does. */
class FaultyStore extends SqliteStore {
  failAppends = false
  failLoads = false
  override append(room: string, firstSeq: number, updates: readonly Uint8Array[]): void {
    if (this.failAppends) throw new Error('database or disk is full')
    super.append(room, firstSeq, updates)
  }
  override load(room: string): StoredRoom {
    if (this.failLoads) throw new Error('disk I/O error')
    return super.load(room)
  }
}

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function setup() {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-room-storage-'))
  dirs.push(dir)
  const db = openDatabase(dir)
  const store = new FaultyStore(db)
  const lines: string[] = []
  const rooms = new RoomManager(
    store,
    createLogger((line) => lines.push(line)),
    { idleUnloadMs: 60_000, compactEvery: 1000 },
  )
  return { db, store, rooms, lines }
}

/** A peer that records what it was sent and whether it was told to go. */
function recorder(id: number): Peer & { frames: Uint8Array[]; closedWith: number | null } {
  return {
    id,
    access: 'write',
    frames: [],
    closedWith: null,
    send(frame) {
      this.frames.push(frame)
    },
    close(code) {
      this.closedWith = code
    },
  }
}

function editor() {
  const doc = new Y.Doc()
  const updates: Uint8Array[] = []
  doc.on('update', (u: Uint8Array) => updates.push(u))
  return { doc, next: () => updates.shift() as Uint8Array }
}

describe('room storage faults, in process', () => {
  it('a reload that fails does not leave the room on a destroyed doc: its peers go, the next load stores and broadcasts', async () => {
    const { db, store, rooms, lines } = setup()
    const ref = { workspaceId: 'ws_reload', doc: 'queue' as const }
    const room = await rooms.acquire(ref)
    const watcher = recorder(2)
    const writer = recorder(1)
    room.addPeer(watcher)
    room.addPeer(writer)
    const client = editor()
    client.doc.getText('t').insert(0, 'kept')
    await room.applyClientUpdate(client.next(), writer).stored
    expect(watcher.frames).toHaveLength(1)

    // The disk fails for appends and for the reload that follows the failed append.
    store.failAppends = true
    store.failLoads = true
    client.doc.getText('t').insert(4, ' refused')
    const refused = client.next()
    await expect(room.applyClientUpdate(refused, writer).stored).rejects.toThrow(
      /could not store update/,
    )
    await room.idle() // the reload after the failed append ran (and failed)
    expect(lines.join('\n')).toMatch(/room reload failed, closing its connections/)
    expect(watcher.closedWith).toBe(1013)
    expect(writer.closedWith).toBe(1013)
    // A late frame on the broken room is refused, never applied in memory only.
    expect(() => room.applyClientUpdate(refused, writer)).toThrow(/storage/)

    // Storage is back: connections reconnect to a fresh load, and what they send is stored
    // and broadcast again.
    store.failAppends = false
    store.failLoads = false
    const again = await rooms.acquire(ref)
    expect(again).not.toBe(room)
    expect(again.doc.getText('t').toString()).toBe('kept')
    const watcher2 = recorder(3)
    again.addPeer(watcher2)
    again.applyClientUpdate(refused, writer)
    client.doc.getText('t').insert(0, '> ')
    await again.applyClientUpdate(client.next(), writer).stored
    expect(watcher2.frames).toHaveLength(2)
    expect(loadDoc(store, 'ws_reload/queue').doc.getText('t').toString()).toBe('> kept refused')
    rooms.release(again)
    await rooms.closeAll()
    db.close()
  })

  it('a stored room holding data that can never integrate loads, drops it, works, and compacts it away', async () => {
    const { db, store, rooms, lines } = setup()
    const name = 'ws_poisoned/queue'
    const good = editor()
    good.doc.getText('t').insert(0, 'good')
    const ghost = editor()
    ghost.doc.getText('g').insert(0, 'never sent')
    ghost.next()
    ghost.doc.getText('g').insert(0, 'orphan ')
    // Stored by a relay from before the fix: a good update, then an orphan.
    store.append(name, 1, [good.next(), ghost.next()])
    const before = loadDoc(store, name)
    expect(before.dropped).not.toBeNull()
    expect(before.doc.store.pendingStructs).toBeNull()

    const room = await rooms.acquire({ workspaceId: 'ws_poisoned', doc: 'queue' })
    expect(lines.join('\n')).toMatch(
      /dropped stored data that can never integrate room=ws_poisoned/,
    )
    const watcher = recorder(2)
    room.addPeer(watcher)
    good.doc.getText('t').insert(4, ' and more')
    await room.applyClientUpdate(good.next(), recorder(1)).stored
    expect(watcher.frames).toHaveLength(1)
    expect(room.doc.store.pendingStructs).toBeNull()
    rooms.release(room)
    await rooms.closeAll()
    // Compacted on unload: the orphan is gone from storage for good.
    const stored = store.load(name)
    expect(stored.updates).toHaveLength(0)
    const after = loadDoc(store, name)
    expect(after.dropped).toBeNull()
    expect(after.doc.getText('t').toString()).toBe('good and more')
    db.close()
  })
})
