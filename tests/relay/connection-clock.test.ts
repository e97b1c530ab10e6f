import { EventEmitter } from 'node:events'
import { afterEach, describe, expect, it, vi } from 'vitest'
import type { WebSocket } from 'ws'
import * as Y from 'yjs'
import type { RoomRef } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import { createLogger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { encodeSync, SYNC_STEP1 } from '../../sync-server/protocol/messages'
import { Connection, connectionClock, elapsed } from '../../sync-server/rooms/connection'
import { RoomManager } from '../../sync-server/rooms/room-manager'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * Issue 11.3: a connection's times stay small integers however long the relay runs. Counted in
 * ms since the module loaded, they passed 2³¹ (V8's small-integer range) after 24.8 days and
 * were boxed; the clock now wraps every 2³⁰ ms and is read only through `elapsed`. Driven through
 * the process's one clock (Date, faked here).
 */

const DAY = 24 * 3600 * 1000
const TICKS = 2 ** 30
const HEARTBEAT = [1, 1, 0]

afterEach(() => {
  vi.useRealTimers()
})

describe("the connection's clock", () => {
  it('stays a small non-negative integer after 24.8 days, a year, and a clock set back', () => {
    const now = Date.now()
    for (const later of [0, 25 * DAY, 60 * DAY, 365 * DAY, -DAY]) {
      const t = connectionClock(now + later)
      expect(Number.isInteger(t)).toBe(true)
      expect(t).toBeGreaterThanOrEqual(0)
      expect(t).toBeLessThan(TICKS)
    }
    // Spans across the wrap are exact.
    expect(elapsed(TICKS - 500, 700)).toBe(1200)
    expect(elapsed(connectionClock(now + 25 * DAY), connectionClock(now + 25 * DAY + 9000))).toBe(
      9000,
    )
  })

  it('sends heartbeats and refills the sync bucket across the wrap', async () => {
    const real = Date.now()
    // 2 s before the clock wraps (the first wrap is 12.4 days after the module loaded).
    const start = real + (TICKS - connectionClock(real)) - 2000
    // Advancing with real time: waitFor's deadline is read from Date, and a frozen Date left a
    // failing wait hanging to vitest's timeout instead of failing with its own message.
    vi.useFakeTimers({ toFake: ['Date'], now: start, shouldAdvanceTime: true })
    const dir = tempDir('porte-voix-conn-clock-')
    const db = openDatabase(dir)
    const lines: string[] = []
    const log = createLogger((line) => lines.push(line))
    const rooms = new RoomManager(new SqliteStore(db), log, {
      idleUnloadMs: 60_000,
      compactEvery: 1000,
      heartbeatMs: 3_600_000,
    })
    const ws = new FakeSocket()
    const ref: RoomRef = { workspaceId: 'ws_clock', doc: 'queue' }
    const iat = Math.floor(start / 1000)
    const claims: TokenClaims = {
      sub: 'mem_clock',
      ws: ref.workspaceId,
      role: 'champion',
      name: 'Clock',
      iat,
      exp: iat + 3600,
    }
    const connection = new Connection(
      ws as unknown as WebSocket,
      claims,
      ref,
      rooms,
      log,
      () => {},
      { maxMessageBytes: 16 * 1024 },
    )
    try {
      const step1 = encodeSync(SYNC_STEP1, Y.encodeStateVector(new Y.Doc()))
      const ask = () => ws.emit('message', Buffer.from(step1), true)
      // Sync step 2 frames (a writer's answer comes with our step 1 too).
      const answers = () => ws.sent.filter((f) => f[0] === 0 && f[1] === 1).length
      // The burst: five sync requests answered, the sixth refused.
      for (let i = 0; i < 6; i++) ask()
      // The sixth is refused (no answer follows it).
      await waitFor('the sixth refused', () =>
        lines.some((l) => l.includes('sync request over the rate limit')),
      )
      await waitFor('five answers', () => answers() >= 5)
      expect(answers()).toBe(5)
      // Past the wrap: 10 s since the last send, so a heartbeat is due; one token is back (3 s).
      vi.setSystemTime(start + 10_500)
      expect(connectionClock()).toBeLessThan(10_000)
      const before = ws.sent.length
      connection.heartbeat(Date.now(), 10_000)
      expect(ws.sent.slice(before).map((f) => [...f])).toEqual([HEARTBEAT])
      // Not again before another 10 s.
      connection.heartbeat(Date.now(), 10_000)
      expect(ws.sent.length).toBe(before + 1)
      ask()
      await waitFor('a sixth answer', () => answers() === 6)
    } finally {
      connection.close(1000, 'done')
      await rooms.closeAll()
      db.close()
      removeTempDir(dir)
    }
  })
})

/** What Connection uses of a ws WebSocket (no `_sender`/`_socket`: frames go through `send`). */
class FakeSocket extends EventEmitter {
  readonly OPEN = 1
  readyState = 1
  bufferedAmount = 0
  readonly sent: Uint8Array[] = []
  send(frame: Uint8Array): void {
    this.sent.push(frame)
  }
  close(): void {
    this.readyState = 3
  }
  terminate(): void {
    this.readyState = 3
  }
  ping(): void {}
}
