import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { Logger } from '../../sync-server/log'
import type { Peer } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import type { RoomHooks } from '../../sync-server/storage/types'
import { removeTempDir, tempDir } from '../helpers/process'
import { openStoredDocs } from '../helpers/relay-storage'

/**
 * A room hook that throws synchronously is one that failed, like one that rejects: logged, and it
 * never reaches the client (storage/types.ts RoomHooks). On SQLite (default project) and Redis +
 * PostgreSQL (relay-cluster). Before (issue 11 review, F5) the throw escaped the room: onChange's
 * made applyClientUpdate throw (the connection closes its writer with 1011 although the change
 * was queued), onStore's turned a delivered change into a refusal.
 */

type Seen = { sent: number; failures: string[] }

async function withHooks(
  hooks: RoomHooks,
  run: (s: Seen, edit: () => Promise<void>) => Promise<void>,
) {
  const dir = tempDir('porte-voix-hooks-throw-')
  const seen: Seen = { sent: 0, failures: [] }
  const log: Logger = {
    info() {},
    warn() {},
    error(message, fields) {
      if (message === 'room hook failed') seen.failures.push(`${fields?.hook}: ${fields?.error}`)
    },
  }
  const store = await openStoredDocs(dir)
  const rooms = new RoomManager(store, log, { idleUnloadMs: 60_000, compactEvery: 1000, hooks })
  try {
    const room = await rooms.acquire({ workspaceId: 'ws_hooks', doc: 'directory' })
    // A sync frame (first byte 0) for each update the watching peer is sent.
    room.addPeer({ id: 2, access: 'write', send: (frame) => void (frame[0] === 0 && seen.sent++) })
    const origin: Peer = { id: 1, access: 'write', send() {} }
    const client = new Y.Doc()
    let n = 0
    const edit = () => {
      const before = Y.encodeStateVector(client)
      client.getMap('m').set(`k${n++}`, 'v')
      return room.applyClientUpdate(Y.encodeStateAsUpdate(client, before), origin).stored
    }
    await run(seen, edit)
    await room.idle()
    expect(room.doc.getMap('m').size).toBe(n)
    expect(await store.countUpdates(room.name)).toBe(n)
    rooms.release(room)
  } finally {
    await rooms.closeAll()
    await store.close()
    removeTempDir(dir)
  }
}

describe('room hooks that throw synchronously', () => {
  it('onChange: the change is stored and sent, the failure logged', async () => {
    const hooks: RoomHooks = {
      onChange() {
        throw new Error('tracker down')
      },
    }
    await withHooks(hooks, async (seen, edit) => {
      let first: Promise<void> | undefined
      expect(() => {
        first = edit()
      }).not.toThrow()
      await first
      await edit()
      expect(seen.sent).toBe(2)
      expect(seen.failures).toEqual(['onChange: tracker down', 'onChange: tracker down'])
    })
  })

  it('onStore: the change stays delivered (stored resolves), the failure logged', async () => {
    const hooks: RoomHooks = {
      onStore() {
        throw new Error('board down')
      },
    }
    await withHooks(hooks, async (seen, edit) => {
      await edit()
      expect(seen.sent).toBe(1)
      expect(seen.failures).toEqual(['onStore: board down'])
    })
  })

  it('onConnect: the peer joins, the failure logged', async () => {
    const hooks: RoomHooks = {
      onConnect() {
        throw new Error('presence log down')
      },
    }
    // withHooks adds its watching peer: that must not throw.
    await withHooks(hooks, async (seen, edit) => {
      await edit()
      expect(seen.sent).toBe(1)
      expect(seen.failures).toEqual(['onConnect: presence log down'])
    })
  })
})
