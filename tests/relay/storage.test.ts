import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { loadDoc, type Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import type { ChangePayload, StorePayload } from '../../sync-server/storage/types'
import { removeTempDir, tempDir } from '../helpers/process'

function setup(hooks = {}) {
  const dir = tempDir('porte-voix-storage-')
  const db = openDatabase(dir)
  const raw = new SqliteStore(db)
  const store = new SqliteDocStore(raw)
  const rooms = new RoomManager(store, silentLogger, {
    idleUnloadMs: 60_000,
    compactEvery: 1000,
    hooks,
  })
  return {
    raw,
    store,
    rooms,
    async close() {
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    },
  }
}

function writer(id: number): Peer & { frames: Uint8Array[] } {
  return {
    id,
    access: 'write',
    member: `mem_${id}`,
    frames: [],
    send(frame) {
      this.frames.push(frame)
    },
  }
}

describe('the storage seam (SQLite)', () => {
  it('assigns seqs in the store, in call order across rooms', async () => {
    const h = setup()
    try {
      const a = new Y.Doc()
      a.getText('t').insert(0, 'a')
      const u = Y.encodeStateAsUpdate(a)
      const seqs = await Promise.all([
        h.store.append('ws_s/queue', [u, u]),
        h.store.append('ws_s/curation', [u]),
        h.store.append('ws_s/queue', [u]),
      ])
      expect(seqs).toEqual([2, 1, 3])
      expect((await h.store.load('ws_s/queue')).lastSeq).toBe(3)
    } finally {
      await h.close()
    }
  })

  it('compaction folds what is stored, so another writer’s updates the room never saw survive it', async () => {
    const h = setup()
    const ref = { workspaceId: 'ws_two', doc: 'directory' as const }
    try {
      const room = await h.rooms.acquire(ref)
      const mine = new Y.Doc()
      mine.getMap('m').set('mine', 1)
      await room.applyClientUpdate(Y.encodeStateAsUpdate(mine), writer(1)).stored
      // Another node appends to the same room's log; this room never applies it.
      const theirs = new Y.Doc()
      theirs.getMap('m').set('theirs', 2)
      await h.store.append(room.name, [Y.encodeStateAsUpdate(theirs)])
      mine.getMap('m').set('again', 3)
      await room.applyClientUpdate(Y.encodeStateAsUpdate(mine), writer(1)).stored
      await room.compact('periodic')
      const stored = loadDoc(h.raw, room.name)
      expect(stored.doc.getMap('m').toJSON()).toEqual({ mine: 1, theirs: 2, again: 3 })
      h.rooms.release(room)
    } finally {
      await h.close()
    }
  })

  it('calls onChange before the broadcast and onStore after the durable append, with the seqs', async () => {
    const events: string[] = []
    let stored: StorePayload | null = null
    const h = setup({
      onLoad: () => {
        events.push('load')
      },
      onConnect: () => {
        events.push('connect')
      },
      onChange: (p: ChangePayload) => {
        events.push(`change:${p.origin.kind}`)
      },
      onStore: (p: StorePayload) => {
        stored = p
        events.push('store')
      },
    })
    try {
      const room = await h.rooms.acquire({ workspaceId: 'ws_hooks', doc: 'directory' })
      const watcher = writer(2)
      room.addPeer({
        ...watcher,
        send: (frame) => {
          events.push('broadcast')
          watcher.frames.push(frame)
        },
      })
      const doc = new Y.Doc()
      doc.getMap('m').set('k', 1)
      await room.applyClientUpdate(Y.encodeStateAsUpdate(doc), writer(1)).stored
      await new Promise((resolve) => setImmediate(resolve))
      expect(events).toEqual(['load', 'connect', 'change:peer', 'broadcast', 'store'])
      expect(stored).toMatchObject({ room: 'ws_hooks/directory', firstSeq: 1, lastSeq: 1 })
      h.rooms.release(room)
    } finally {
      await h.close()
    }
  })
})
