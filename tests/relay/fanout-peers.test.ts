import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { decodeClientMessage } from '../../sync-server/protocol/messages'
import { NOTIFY_FRAME, type Peer, type Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

type TestPeer = Peer & { frames: Uint8Array[] }

function peer(id: number, access: 'read' | 'write', notifyOnly = false): TestPeer {
  return {
    id,
    access,
    notifyOnly,
    frames: [],
    send(frame) {
      this.frames.push(frame)
    },
  }
}

/** The text a peer's update frames add up to. */
function textOf(frames: Uint8Array[]): string {
  const doc = new Y.Doc()
  for (const frame of frames) {
    const message = decodeClientMessage(frame)
    if (message.kind === 'sync-update') Y.applyUpdate(doc, message.update)
  }
  return doc.getText('t').toString()
}

const cleanups: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup()
})

async function openRoom(readerFanoutMs: number): Promise<Room> {
  const dir = tempDir('porte-voix-fanout-peers-')
  const db = openDatabase(dir)
  const rooms = new RoomManager(new SqliteStore(db), silentLogger, {
    idleUnloadMs: 60_000,
    compactEvery: 1000,
    readerFanoutMs,
  })
  cleanups.push(async () => {
    await rooms.closeAll()
    db.close()
    removeTempDir(dir)
  })
  return rooms.acquire({ workspaceId: 'ws_fp', doc: 'directory' })
}

/** `author` types `text` at the end of the room's text, one update per character. */
async function type(room: Room, author: Peer, client: Y.Doc, text: string): Promise<void> {
  const stored: Promise<void>[] = []
  const onUpdate = (u: Uint8Array) => stored.push(room.applyClientUpdate(u, author).stored)
  client.on('update', onUpdate)
  for (const ch of text) client.getText('t').insert(client.getText('t').length, ch)
  client.off('update', onUpdate)
  await Promise.all(stored)
}

// The room sorts its peers once, when they join, by how updates reach them (issue 11.3): these
// check that who joined, left or only listens is still sent exactly what it was before.
describe('fan-out by kind of peer', () => {
  it('peers that left are sent nothing more, a reader that left before the merge included', async () => {
    const room = await openRoom(60)
    const author = peer(1, 'write')
    const coEditor = peer(2, 'write')
    const leavingEditor = peer(3, 'write')
    const reader = peer(4, 'read')
    const leavingReader = peer(5, 'read')
    const listener = peer(6, 'read', true)
    for (const p of [author, coEditor, leavingEditor, reader, leavingReader, listener])
      room.addPeer(p)
    const client = new Y.Doc()

    await type(room, author, client, 'ab')
    expect(author.frames).toHaveLength(0)
    expect(textOf(coEditor.frames)).toBe('ab')
    expect(textOf(leavingEditor.frames)).toBe('ab')
    // The listener is told, never sent the update; readers wait for the merge.
    expect(listener.frames).toEqual([NOTIFY_FRAME, NOTIFY_FRAME])
    expect(reader.frames).toHaveLength(0)

    room.removePeer(leavingEditor)
    room.removePeer(leavingReader)
    await type(room, author, client, 'cd')
    expect(textOf(coEditor.frames)).toBe('abcd')
    expect(textOf(leavingEditor.frames)).toBe('ab')
    await waitFor('the merged send', () => reader.frames.length > 0)
    expect(reader.frames).toHaveLength(1)
    expect(textOf(reader.frames)).toBe('abcd')
    expect(leavingReader.frames).toHaveLength(0)
    expect(listener.frames).toHaveLength(4)
    expect(listener.frames.every((f) => f === NOTIFY_FRAME)).toBe(true)

    // A reader joining later is in the next merge; one that left is in none.
    const lateReader = peer(7, 'read')
    room.addPeer(lateReader)
    await type(room, author, client, 'e')
    await waitFor('the second merged send', () => reader.frames.length > 1)
    // (It synced 'abcd' first, as a client would: its merge carries 'e' alone.)
    expect(lateReader.frames).toHaveLength(1)
    expect(textOf([reader.frames[0] as Uint8Array, ...lateReader.frames])).toBe('abcde')
    expect(textOf(reader.frames)).toBe('abcde')
    expect(leavingReader.frames).toHaveLength(0)
  })

  it('with no merge window readers get each update at once', async () => {
    const room = await openRoom(0)
    const author = peer(1, 'write')
    const reader = peer(2, 'read')
    room.addPeer(author)
    room.addPeer(reader)
    await type(room, author, new Y.Doc(), 'xyz')
    expect(reader.frames).toHaveLength(3)
    expect(textOf(reader.frames)).toBe('xyz')
    expect(author.frames).toHaveLength(0)
  })

  it('a writer alone with its readers is sent none of its own updates, and readers get them', async () => {
    const room = await openRoom(40)
    const author = peer(1, 'write')
    const readers = [peer(2, 'read'), peer(3, 'read')]
    for (const p of [author, ...readers]) room.addPeer(p)
    await type(room, author, new Y.Doc(), 'hello')
    expect(author.frames).toHaveLength(0)
    await waitFor('the merged send', () => readers.every((r) => r.frames.length > 0))
    for (const r of readers) expect(textOf(r.frames)).toBe('hello')
  })
})
