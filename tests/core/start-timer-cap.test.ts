import { afterEach, describe, expect, it, vi } from 'vitest'
import type { Transport } from '../../common/contract/client'
// What the start imports once it loads (start.ts's dynamic imports), loaded first so that the
// load the timer starts does not wait for this test runner's module transform.
import '../../main/core/core'
import '../../main/core/first-screen'
import '../../main/core/store/tables'
import { startCore } from '../../main/core/start'
import { fileOpener } from '../../main/host/opener'
import { removeTempDir, tempDir } from '../helpers/process'

/**
 * Issue 7.8, 0634ca8: each window that connects re-arms the start's timer (its three answers,
 * coming next, load the rest), but windows that keep connecting without asking never hold the
 * core's load back past three delays from the start. The start's timer and clock are faked
 * (setTimeout and performance.now, which start.ts uses), so the test sees exactly when it fires.
 */

const DELAY_MS = 1_000

/** A window that connects and never asks for anything. */
function silentWindow(): Transport {
  return { send: () => {}, onMessage: () => {}, onClose: () => {} }
}

const dirs: string[] = []
afterEach(() => {
  vi.useRealTimers()
  for (const dir of dirs.splice(0)) removeTempDir(dir)
})

function begin() {
  const dataDir = tempDir('porte-voix-start-cap-')
  dirs.push(dataDir)
  const steps: string[] = []
  const start = startCore({
    dataDir,
    opener: fileOpener(dataDir, () => {}),
    startDelayMs: DELAY_MS,
    onStartStep: (step) => steps.push(step),
  })
  return { start, steps }
}

describe("the start's timer, re-armed by connecting windows", () => {
  it('loads the core three delays after the start while windows keep connecting without asking', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const { start, steps } = begin()
    try {
      // A window every half delay: each re-arms the timer, which alone would never fire.
      for (let i = 0; i < 5; i++) {
        vi.advanceTimersByTime(DELAY_MS / 2)
        start.attach(silentWindow())
      }
      // 2.5 delays: re-armed, still waiting (a window that just connected is about to ask).
      expect(vi.getTimerCount(), 'the start timer, re-armed').toBe(1)
      vi.advanceTimersByTime(DELAY_MS / 2)
      // Three delays: it fired (the load cleared it), although a window connected 0.5 delay ago.
      expect(vi.getTimerCount(), 'the start timer fired at three delays').toBe(0)
      // Later windows change nothing: the load has begun.
      start.attach(silentWindow())
      expect(vi.getTimerCount()).toBe(0)
      // The load itself (imports, SQLite, the core's open) on real time.
      vi.useRealTimers()
      await start.core
      expect(steps).toContain('core module import started (timer)')
    } finally {
      vi.useRealTimers()
      await start.close()
    }
  })

  it('still waits a whole delay after a window that connected early', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] })
    const { start } = begin()
    try {
      vi.advanceTimersByTime(DELAY_MS / 2)
      start.attach(silentWindow())
      // One delay from the start: the window's re-arm moved it to 1.5 delays.
      vi.advanceTimersByTime(DELAY_MS / 2)
      expect(vi.getTimerCount()).toBe(1)
      vi.advanceTimersByTime(DELAY_MS / 2)
      expect(vi.getTimerCount()).toBe(0)
      vi.useRealTimers()
      await start.core
    } finally {
      vi.useRealTimers()
      await start.close()
    }
  })
})
