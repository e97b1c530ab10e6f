import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { SimulatedClock, SystemClock } from '../../main/core/lifecycle'
import { fakeInvitation } from '../helpers/core'
import { waitFor } from '../helpers/wait'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function dataDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'pv-life-'))
  dirs.push(dir)
  return dir
}

/** Resources keeping the event loop alive, by kind (timers, sockets...). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>()
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1)
  return counts
}

describe('nothing outlives Core.close()', () => {
  for (const kind of ['simulated', 'system'] as const) {
    it(`a champion's core, joined, syncing and polling, leaves no timer on the ${kind} clock`, async () => {
      const clock = kind === 'simulated' ? new SimulatedClock(Date.now()) : new SystemClock()
      const before = activeResources()
      const core = await Core.open({ dataDir: dataDir(), clock, joinWaitMs: 1, maxBackoffMs: 50 })
      // Nobody listens on port 9: the sync retries, the outbox waits, feeds will be polled.
      const joining = core.join(fakeInvitation({ role: 'champion' }))
      if (clock instanceof SimulatedClock) clock.advance(1)
      await joining
      core.feeds.start()
      expect(clock.pending).toBeGreaterThan(0)
      await core.close()
      expect(clock.pending).toBe(0)
      await core.close() // idempotent
      // Sockets and y-websocket's own reconnect timers are gone too, once connects under way
      // have been cancelled by the OS.
      await waitFor(
        'no resource left by the core',
        () => {
          const after = activeResources()
          return [...after].every(([resource, count]) => count <= (before.get(resource) ?? 0))
            ? true
            : null
        },
        { timeoutMs: 10_000 },
      )
    })
  }
})
