import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { insertItem, itemsMap, writeWorkspaceSettings } from '../../common/doc/queue-doc'
import { movesTargets } from '../../sync-server/links/indexer'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { NOTIFY_FRAME, type Peer, type Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import type { StorePayload } from '../../sync-server/storage/types'
import { makeItem } from '../helpers/items'

// Issue 11.3: the per-change work stock does not have is gated by what the change touched — the
// links indexer's pass only for a change that may move a link target, the board's look at the
// queue only for a change under settings or challenges. Every keystroke used to cost both.

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

/** A notify-only peer that keeps the frames it is sent (`wants` as the indexer's, or none). */
function recorder(id: number, wants?: Peer['wants']): Peer & { frames: Uint8Array[] } {
  return {
    id,
    notifyOnly: true,
    ...(wants ? { wants } : {}),
    frames: [],
    send(frame) {
      this.frames.push(frame)
    },
  }
}

/**
 * A queue room on SQLite in a temp dir, an indexer-like peer on it, and what each stored change
 * touched (the onStore hook's `touches`, asked as the relay's board look and the items).
 */
async function gatedRoom() {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-change-gates-'))
  dirs.push(dir)
  const db = openDatabase(dir)
  const stored: { settingsOrChallenges: boolean; items: boolean }[] = []
  const rooms = new RoomManager(
    new SqliteStore(db),
    createLogger(() => {}),
    {
      idleUnloadMs: 60_000,
      compactEvery: 10_000,
      hooks: {
        onStore: (payload: StorePayload) => {
          stored.push({
            settingsOrChallenges: payload.touches?.(['settings', 'challenges']) ?? true,
            items: payload.touches?.(['items']) ?? true,
          })
        },
      },
    },
  )
  const room = await rooms.acquire({ workspaceId: 'ws_gates', doc: 'queue' })
  const indexer = recorder(-1, movesTargets)
  room.addPeer(indexer)
  return {
    room,
    indexer,
    stored,
    async close() {
      room.removePeer(indexer)
      rooms.release(room)
      await rooms.closeAll()
      db.close()
    },
  }
}

describe('per-change hooks gated by what a change touched', () => {
  it('tell the indexer only of changes that may move a link target, and say which roots a change touched', async () => {
    const { room, indexer, stored, close } = await gatedRoom()
    // Closed however the test ends: a failed assertion must not leave the SQLite handle open.
    try {
      const everything = recorder(-2)
      room.addPeer(everything)
      const item = () => room.doc.getMap<Y.Map<unknown>>('items').get('it_1') as Y.Map<unknown>
      const steps: [string, (doc: Y.Doc) => void, boolean][] = [
        [
          'an item added',
          (doc) => {
            const map = new Y.Map<unknown>()
            doc.getMap('items').set('it_1', map)
            map.set('url', 'https://example.com/a')
            map.set('title', 'A')
            map.set('why', new Y.Text('because'))
          },
          true,
        ],
        ['its title', () => item().set('title', 'A, again'), false],
        ['a keystroke in its why', () => (item().get('why') as Y.Text).insert(0, 'x'), false],
        ['another root', (doc) => doc.getArray<number>('bench').push([1]), false],
        ['its url', () => item().set('url', 'https://example.com/b'), true],
        ['its objective', () => item().set('objective', 'traffic'), true],
        [
          'a campaign added',
          (doc) => {
            const campaign = new Y.Map<unknown>()
            doc.getMap('campaigns').set('ca_1', campaign)
            campaign.set('name', 'Spring')
          },
          true,
        ],
        [
          "a campaign's other field",
          (doc) => (doc.getMap('campaigns').get('ca_1') as Y.Map<unknown>).set('status', 'x'),
          false,
        ],
        [
          "a campaign's name",
          (doc) => (doc.getMap('campaigns').get('ca_1') as Y.Map<unknown>).set('name', 'Summer'),
          true,
        ],
        ['a setting', (doc) => doc.getMap('settings').set('points', { share: 2 }), false],
        ['the item deleted', (doc) => doc.getMap('items').delete('it_1'), true],
      ]
      const told: string[] = []
      for (const [what, change, moves] of steps) {
        const before = indexer.frames.length
        await room.changeByRelay(change)
        if (indexer.frames.length > before) told.push(what)
        if (moves) expect(indexer.frames.length, what).toBe(before + 1)
      }
      expect(told).toEqual(steps.filter(([, , moves]) => moves).map(([what]) => what))
      expect(indexer.frames.every((frame) => frame === NOTIFY_FRAME)).toBe(true)
      // A notify-only peer that does not say what it wants is told of every change.
      expect(everything.frames).toHaveLength(steps.length)
      // Only the setting touched settings or challenges (the board's look); items as expected.
      expect(stored.map((s) => s.settingsOrChallenges)).toEqual(
        steps.map(([what]) => what === 'a setting'),
      )
      const underItems = ['an item added', 'its title', 'a keystroke in its why', 'its url']
      expect(stored.map((s) => s.items)).toEqual(
        steps.map(([what]) => [...underItems, 'its objective', 'the item deleted'].includes(what)),
      )
      room.removePeer(everything)
    } finally {
      await close()
    }
  })

  // The same gates on the two other ways a change reaches a room: a champion's update (validated,
  // then stored) and an update another cluster node stored (applied and fanned out, not stored).
  const paths: [string, (room: Room, update: Uint8Array, seq: number) => Promise<void>][] = [
    [
      "a client's update (applyClientUpdate)",
      async (room, update) => {
        const origin: Peer = { id: 1, access: 'write', send() {} }
        await room.applyClientUpdate(update, origin).stored
      },
    ],
    [
      "another node's update (applyRemote)",
      async (room, update, seq) => {
        room.applyRemote([update], seq)
      },
    ],
  ]
  for (const [path, apply] of paths) {
    it(`tell the indexer of a url change and not of a title keystroke: ${path}`, async () => {
      const { room, indexer, stored, close } = await gatedRoom()
      try {
        // The writer's (or the other node's) own doc, in sync with the room's.
        const client = new Y.Doc()
        Y.applyUpdate(client, Y.encodeStateAsUpdate(room.doc))
        const updates: Uint8Array[] = []
        client.on('update', (update: Uint8Array) => updates.push(update))
        const item = () => itemsMap(client).get('it_1') as Y.Map<unknown>
        const steps: [string, () => void, boolean][] = [
          [
            'an item added',
            () => insertItem(client, makeItem('it_1', { status: 'published' })),
            true,
          ],
          ['its title', () => item().set('title', 'Title, again'), false],
          ['a keystroke in its why', () => (item().get('why') as Y.Text).insert(0, 'x'), false],
          ['its url', () => item().set('url', 'https://example.com/b'), true],
          [
            'a setting',
            () => writeWorkspaceSettings(client, { points: { share: 3, click: 1, conversion: 9 } }),
            false,
          ],
        ]
        const told: string[] = []
        let seq = 0
        for (const [what, change] of steps) {
          const before = indexer.frames.length
          updates.length = 0
          change()
          expect(updates, what).toHaveLength(1)
          await apply(room, updates[0] as Uint8Array, ++seq)
          if (indexer.frames.length > before) told.push(what)
        }
        expect(told).toEqual(steps.filter(([, , moves]) => moves).map(([what]) => what))
        expect(indexer.frames.every((frame) => frame === NOTIFY_FRAME)).toBe(true)
        expect(room.doc.getMap('items').toJSON()).toEqual(itemsMap(client).toJSON())
        // Only the client's changes are stored here (another node stored its own): of them, only
        // the setting schedules the board's look.
        if (path.includes('applyClientUpdate'))
          expect(stored.map((s) => s.settingsOrChallenges)).toEqual(
            steps.map(([what]) => what === 'a setting'),
          )
        else expect(stored).toEqual([])
        client.destroy()
      } finally {
        await close()
      }
    })
  }
})
