import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { decodeClientMessage } from '../../sync-server/protocol/messages'
import type { Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

function peer(id: number, access: 'read' | 'write'): Peer & { frames: Uint8Array[] } {
  return {
    id,
    access,
    frames: [],
    send(frame) {
      this.frames.push(frame)
    },
  }
}

describe('coalesced fan-out to read-only connections', () => {
  it('writers get each stored update at once; readers one merged update for a burst', async () => {
    const dir = tempDir('porte-voix-coalesce-')
    const db = openDatabase(dir)
    const rooms = new RoomManager(new SqliteStore(db), silentLogger, {
      idleUnloadMs: 60_000,
      compactEvery: 1000,
      readerFanoutMs: 50,
    })
    try {
      const room = await rooms.acquire({ workspaceId: 'ws_co', doc: 'directory' })
      const author = peer(1, 'write')
      const coEditor = peer(2, 'write')
      const employees = [peer(3, 'read'), peer(4, 'read')]
      for (const p of [author, coEditor, ...employees]) room.addPeer(p)
      const client = new Y.Doc()
      const stored: Promise<void>[] = []
      client.on('update', (u: Uint8Array) => stored.push(room.applyClientUpdate(u, author).stored))
      for (let i = 0; i < 20; i++) client.getText('t').insert(i, 'k')
      await Promise.all(stored)
      expect(coEditor.frames).toHaveLength(20)
      expect(author.frames).toHaveLength(0)
      await waitFor('readers to get the burst', () => employees.every((e) => e.frames.length > 0))
      for (const employee of employees) {
        expect(employee.frames).toHaveLength(1)
        const message = decodeClientMessage(employee.frames[0] as Uint8Array)
        expect(message.kind).toBe('sync-update')
        const replica = new Y.Doc()
        if (message.kind === 'sync-update') Y.applyUpdate(replica, message.update)
        expect(replica.getText('t').toString()).toBe('k'.repeat(20))
      }
      rooms.release(room)
    } finally {
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    }
  })
})
