import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import type { Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import { removeTempDir, tempDir } from '../helpers/process'

describe('group commit', () => {
  it('commits the appends of one event-loop turn in one transaction, and broadcasts only after it', async () => {
    const dir = tempDir('porte-voix-group-commit-')
    const db = openDatabase(dir)
    const raw = new SqliteStore(db)
    const store = new SqliteDocStore(raw)
    const rooms = new RoomManager(store, silentLogger, { idleUnloadMs: 60_000, compactEvery: 1000 })
    try {
      const names = ['ws_gc1', 'ws_gc2', 'ws_gc3']
      const loaded = await Promise.all(
        names.map((workspaceId) => rooms.acquire({ workspaceId, doc: 'directory' })),
      )
      const sent: number[] = []
      const origin: Peer = { id: 1, access: 'write', send() {} }
      loaded.forEach((room, i) => {
        room.addPeer({ id: 10 + i, send: () => sent.push(i) })
      })
      const before = { ...store.commits }
      const pending: Promise<void>[] = []
      // One turn: 30 edits over three rooms.
      for (let n = 0; n < 10; n++) {
        for (const room of loaded) {
          const doc = new Y.Doc()
          doc.getMap('m').set(`k${n}`, n)
          pending.push(room.applyClientUpdate(Y.encodeStateAsUpdate(doc), origin).stored)
        }
      }
      // Nothing is durable yet, so nothing was sent.
      expect(sent).toEqual([])
      expect(raw.countUpdates('ws_gc1/directory')).toBe(0)
      await Promise.all(pending)
      expect(store.commits.transactions - before.transactions).toBe(1)
      expect(store.commits.appends - before.appends).toBe(30)
      expect(sent).toHaveLength(30)
      for (const name of names) expect(raw.countUpdates(`${name}/directory`)).toBe(10)
      for (const room of loaded) rooms.release(room)
    } finally {
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    }
  })

  it('a failed group commit sends nothing of it, and the rooms take the next edits', async () => {
    const dir = tempDir('porte-voix-group-commit-')
    const db = openDatabase(dir)
    class Failing extends SqliteStore {
      failing = false
      override append(room: string, firstSeq: number, updates: readonly Uint8Array[]): void {
        if (this.failing) throw new Error('database or disk is full')
        super.append(room, firstSeq, updates)
      }
    }
    const raw = new Failing(db)
    const rooms = new RoomManager(raw, silentLogger, { idleUnloadMs: 60_000, compactEvery: 1000 })
    try {
      const room = await rooms.acquire({ workspaceId: 'ws_gcf', doc: 'directory' })
      const sent: Uint8Array[] = []
      room.addPeer({ id: 2, send: (f) => sent.push(f) })
      const origin: Peer = { id: 1, access: 'write', send() {} }
      const client = new Y.Doc()
      const updates: Uint8Array[] = []
      client.on('update', (u: Uint8Array) => updates.push(u))
      client.getMap('m').set('a', 1)
      client.getMap('m').set('b', 2)
      raw.failing = true
      const results = updates.map((u) => room.applyClientUpdate(u, origin).stored)
      const settled = await Promise.allSettled(results)
      expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected'])
      await room.idle()
      expect(sent).toEqual([])
      expect(room.doc.getMap('m').toJSON()).toEqual({})
      raw.failing = false
      for (const u of updates) await room.applyClientUpdate(u, origin).stored
      expect(sent).toHaveLength(2)
      expect(raw.countUpdates('ws_gcf/directory')).toBe(2)
      rooms.release(room)
    } finally {
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    }
  })
})
