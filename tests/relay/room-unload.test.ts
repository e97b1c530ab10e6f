import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { NOTIFY_FRAME, type Peer, UNLOAD_COMPACT_MIN } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { waitFor } from '../helpers/wait'

// Issue 11.3: idle unloads stay off the hot path — a room with a short stored log is unloaded
// without folding it (hundreds of directory rooms went idle on one turn and were each compacted),
// and relay-side listeners (the short links' indexer) are told of changes, never sent them.

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function setup(options: { idleUnloadMs: number; readerFanoutMs?: number }) {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-room-unload-'))
  dirs.push(dir)
  const db = openDatabase(dir)
  const store = new SqliteStore(db)
  const lines: string[] = []
  const rooms = new RoomManager(
    store,
    createLogger((line) => lines.push(line)),
    {
      compactEvery: 10_000,
      ...options,
    },
  )
  return { db, store, rooms, lines }
}

function recorder(id: number, extra: Partial<Peer> = {}): Peer & { frames: Uint8Array[] } {
  return {
    id,
    frames: [],
    send(frame) {
      this.frames.push(frame)
    },
    ...extra,
  }
}

describe('idle unloads', () => {
  it(`fold a room's log only from ${UNLOAD_COMPACT_MIN} stored updates; a shorter log is kept and replayed`, async () => {
    const { db, store, rooms, lines } = setup({ idleUnloadMs: 1 })
    const short = await rooms.acquire({ workspaceId: 'ws_short', doc: 'queue' })
    for (let i = 0; i < 3; i++) await short.changeByRelay((doc) => doc.getText('t').insert(0, 'a'))
    const long = await rooms.acquire({ workspaceId: 'ws_long', doc: 'queue' })
    for (let i = 0; i < UNLOAD_COMPACT_MIN; i++)
      await long.changeByRelay((doc) => doc.getText('t').insert(0, 'b'))
    rooms.release(short)
    rooms.release(long)
    await waitFor('both rooms unloaded', () => rooms.loadedCount === 0)
    await waitFor('unload lines', () =>
      lines.filter((l) => l.includes('room unloaded')).length === 2 ? true : null,
    )
    expect(lines.join('\n')).not.toMatch(/room compacted room=ws_short\/queue/)
    expect(lines.join('\n')).toMatch(/room compacted room=ws_long\/queue why=unload/)
    expect(store.load('ws_short/queue').updates).toHaveLength(3)
    expect(store.load('ws_long/queue').updates).toHaveLength(0)

    const again = await rooms.acquire({ workspaceId: 'ws_short', doc: 'queue' })
    expect(again.doc.getText('t').toString()).toBe('aaa')
    rooms.release(again)
    await rooms.closeAll()
    // A shutdown folds every room, however short its log.
    expect(store.load('ws_short/queue').updates).toHaveLength(0)
    db.close()
  })
})

describe('notify-only peers', () => {
  it('are told of each stored change, never sent updates or presence, and start no readers merge', async () => {
    const { db, rooms } = setup({ idleUnloadMs: 60_000, readerFanoutMs: 60_000 })
    const room = await rooms.acquire({ workspaceId: 'ws_n', doc: 'queue' })
    const listener = recorder(-1, { notifyOnly: true })
    const champion = recorder(1, { access: 'write' })
    room.addPeer(listener)
    room.addPeer(champion)
    await room.changeByRelay((doc) => doc.getText('t').insert(0, 'x'))
    await room.changeByRelay((doc) => doc.getText('t').insert(0, 'y'))
    expect(champion.frames).toHaveLength(2)
    expect(listener.frames).toEqual([NOTIFY_FRAME, NOTIFY_FRAME])
    room.broadcast(new Uint8Array([1, 2, 3]), null)
    expect(listener.frames).toHaveLength(2)
    // No reader is on the room: a reader joining now is sent nothing merged (nothing was held).
    const reader = recorder(2, { access: 'read' })
    room.addPeer(reader)
    room.diffFor(new Uint8Array([0]), reader)
    await room.changeByRelay((doc) => doc.getText('t').insert(0, 'z'))
    expect(reader.frames).toHaveLength(0)
    expect(listener.frames).toHaveLength(3)
    room.removePeer(reader)
    room.removePeer(listener)
    room.removePeer(champion)
    rooms.release(room)
    await rooms.closeAll()
    db.close()
  })
})
