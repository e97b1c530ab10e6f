import * as encoding from 'lib0/encoding'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type Logger, silentLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import type { Peer, Room } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { removeTempDir, tempDir } from '../helpers/process'

// Issue 11.3, session 10: presence not renewed for 30 s is removed by one interval for every
// room, not by one interval per room's Awareness (1,000 rooms: 333 timer callbacks a second).

/** An awareness update: `count, (clientID, clock, JSON state)*`. */
function presence(clientId: number, clock: number, state: unknown): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, 1)
  encoding.writeVarUint(e, clientId)
  encoding.writeVarUint(e, clock)
  encoding.writeVarString(e, JSON.stringify(state))
  return encoding.toUint8Array(e)
}

/** Active timers of this process (ref'd ones: y-protocols' intervals are). */
const timers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

describe('presence timeouts (issue 11.3)', () => {
  const dirs: string[] = []
  afterEach(() => {
    vi.useRealTimers()
    for (const dir of dirs.splice(0)) removeTempDir(dir)
  })

  async function withRooms(
    count: number,
    run: (rooms: Room[]) => Promise<void>,
    log: Logger = silentLogger,
  ): Promise<void> {
    const dir = tempDir('porte-voix-presence-timeouts-')
    dirs.push(dir)
    const db = openDatabase(dir)
    const manager = new RoomManager(new SqliteStore(db), log, {
      idleUnloadMs: 600_000,
      compactEvery: 10_000,
    })
    const rooms: Room[] = []
    try {
      for (let i = 0; i < count; i++)
        rooms.push(await manager.acquire({ workspaceId: `ws_presence${i}`, doc: 'queue' }))
      await run(rooms)
      for (const room of rooms) manager.release(room)
    } finally {
      await manager.closeAll()
      db.close()
    }
  }

  it('loading 40 rooms adds no timer per room', async () => {
    const before = timers()
    await withRooms(40, async () => {
      // Before: each room's Awareness kept an interval of its own (40 more).
      expect(timers() - before).toBeLessThan(5)
    })
  })

  it('removes presence not renewed for 30 s, keeps renewed presence, in every room', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    await withRooms(3, async (rooms) => {
      const removed: { room: number; ids: number[]; origin: unknown }[] = []
      rooms.forEach((room, i) => {
        room.awareness.on(
          'update',
          ({ removed: ids }: { removed: number[] }, origin: unknown) =>
            ids.length > 0 && removed.push({ room: i, ids, origin }),
        )
        const peer: Peer = { id: i + 1, access: 'write', member: `m${i}`, send() {} }
        room.addPeer(peer)
        room.applyAwareness(presence(100 + i, 1, { cursor: i }), peer)
      })
      // As if 29 s (room 0) and 31 s (rooms 1, 2) had passed since each was last renewed.
      const age = (i: number, ms: number) => {
        const meta = (rooms[i] as Room).awareness.meta.get(100 + i)
        if (meta) meta.lastUpdated -= ms
      }
      age(0, 29_000)
      age(1, 31_000)
      age(2, 31_000)
      vi.advanceTimersByTime(3_000)
      expect(removed).toEqual([
        { room: 1, ids: [101], origin: 'timeout' },
        { room: 2, ids: [102], origin: 'timeout' },
      ])
      expect((rooms[0] as Room).awareness.getStates().size).toBe(1)
      // Room 0's turn two seconds later (checked every 3 s).
      age(0, 2_000)
      vi.advanceTimersByTime(3_000)
      expect(removed.at(-1)).toEqual({ room: 0, ids: [100], origin: 'timeout' })
      for (const room of rooms) expect(room.awareness.getStates().size).toBe(0)
    })
  })

  it('a room whose removal throws is logged and skips neither the other rooms nor the next check', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] })
    const errors: unknown[] = []
    const log: Logger = {
      ...silentLogger,
      error: (message, fields) => errors.push({ message, fields }),
    }
    await withRooms(
      2,
      async (rooms) => {
        rooms.forEach((room, i) => {
          const peer: Peer = { id: i + 1, access: 'write', member: `m${i}`, send() {} }
          room.addPeer(peer)
          room.applyAwareness(presence(100 + i, 1, { cursor: i }), peer)
        })
        // Room 0's fan-out of the removal throws (as a failing send or publish would).
        const failing = () => {
          throw new Error('send failed')
        }
        ;(rooms[0] as Room).awareness.on('update', failing)
        const age = (i: number) => {
          const meta = (rooms[i] as Room).awareness.meta.get(100 + i)
          if (meta) meta.lastUpdated -= 31_000
        }
        age(0)
        age(1)
        // Before: the throw left the interval's callback (an uncaught exception from the timer)
        // and room 1, after it, kept its outdated presence.
        vi.advanceTimersByTime(3_000)
        expect((rooms[1] as Room).awareness.getStates().size).toBe(0)
        expect(errors).toEqual([
          {
            message: 'presence timeout failed',
            fields: { room: (rooms[0] as Room).name, error: 'send failed' },
          },
        ])
        // The next check still runs: room 1's renewed-then-outdated presence goes too.
        const peer: Peer = { id: 9, access: 'write', member: 'm9', send() {} }
        ;(rooms[1] as Room).addPeer(peer)
        ;(rooms[1] as Room).applyAwareness(presence(101, 2, { cursor: 2 }), peer)
        age(1)
        vi.advanceTimersByTime(3_000)
        expect((rooms[1] as Room).awareness.getStates().size).toBe(0)
        // Not at the rooms' unload (its destroy clears the local state).
        ;(rooms[0] as Room).awareness.off('update', failing)
      },
      log,
    )
  })
})
