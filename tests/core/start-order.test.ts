import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { FirstScreen } from '../../main/core/first-screen'
import { openTables, type StoreTables } from '../../main/core/store/tables'
import { fileOpener } from '../../main/host/opener'
import { clientOf, fakeInvitation, startCore } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

/**
 * Issue 7.8: nothing heavy runs on the core's event loop before the first screen is out. The
 * core's module (~0.8 MB compiled on that loop) is imported only once the popover's three first
 * methods (queue.forMe, status.get, settings.get) have all been answered from SQLite, when a frame
 * needs the core, or by the start's own timer — not as soon as queue.forMe alone went out.
 */

let dataDir: string

beforeAll(async () => {
  dataDir = tempDir('porte-voix-start-order-')
  const core = await Core.open({ dataDir, joinWaitMs: 200, opener: fileOpener(dataDir, () => {}) })
  try {
    const client = clientOf(core)
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'employee', workspaceId: 'ws_start_order' }),
    })
  } finally {
    await core.close()
  }
})

afterAll(() => removeTempDir(dataDir))

/** A first screen on the stored tables, counting when it says the core is needed. */
function firstScreen(store: StoreTables) {
  const asked: string[] = []
  const answered: string[] = []
  const first = new FirstScreen(store, {
    log: () => {},
    needCore: () => asked.push(`after ${answered.join(', ')}`),
    answered: (method) => answered.push(method),
  })
  return { client: clientOf(first), asked }
}

/** One macrotask turn: the first screen asks for the core in a later one than its last answer. */
const nextTurn = () => new Promise((resolve) => setImmediate(resolve))

describe('the start asks for the core', () => {
  it("once the first screen's three methods are answered, not after queue.forMe alone", async () => {
    const store = openTables(dataDir)
    try {
      const { client, asked } = firstScreen(store)
      await client.call('queue.forMe', { limit: 20 })
      await nextTurn()
      expect(asked).toEqual([])
      await client.call('status.get', {})
      await nextTurn()
      expect(asked).toEqual([])
      await client.call('settings.get', {})
      await nextTurn()
      expect(asked).toEqual(['after queue.forMe, status.get, settings.get'])
      // Asked again by a window later: the core is already loading (start.ts loads it once).
      await client.call('status.get', {})
      await nextTurn()
      expect(asked).toHaveLength(1)
    } finally {
      store.close()
    }
  })

  it('at once for a frame only the core answers', async () => {
    const store = openTables(dataDir)
    try {
      const { client, asked } = firstScreen(store)
      await client.call('queue.forMe', { limit: 20 })
      // Held (answered only once the core is handed over): the core is asked for now.
      void client.call('stats.mine', {}).catch(() => {})
      await nextTurn()
      expect(asked).toEqual(['after queue.forMe'])
    } finally {
      store.close()
    }
  })
})

/** The start's steps a host traced (PORTE_VOIX_START_TRACE), in order. */
function startSteps(logs: string): string[] {
  return [...logs.matchAll(/start \+\d+ ms \(at \d+\): (.+)/g)].map((m) => m[1] ?? '')
}

describe('the built core host (what the app runs)', () => {
  it("accepts the window and answers its first screen before the core's module import starts", async () => {
    // The start's own timer (1 s, no window asked) would win on a loaded machine: set far off,
    // the window's answers are what start the import, every time.
    const host = await startCore({
      dataDir,
      env: { ...process.env, PORTE_VOIX_START_TRACE: '1', PORTE_VOIX_START_DELAY_MS: '600000' },
    })
    try {
      // As the popover does: the three together.
      await Promise.all([
        host.client.call('queue.forMe', { limit: 20 }),
        host.client.call('status.get', {}),
        host.client.call('settings.get', {}),
      ])
      // A request only the core answers: the core loads, and answers it.
      expect(await host.client.call('stats.mine', {})).toBeTruthy()
      const order = startSteps(host.logs())
      const at = (step: string) => {
        const index = order.findIndex((line) => line.startsWith(step))
        expect(index, `${step} in ${order.join(' | ')}`).toBeGreaterThanOrEqual(0)
        return index
      }
      expect(order[at('core module import started')]).toBe('core module import started (asked)')
      for (const method of ['queue.forMe', 'status.get', 'settings.get']) {
        expect(at(`${method} answered from SQLite`)).toBeLessThan(at('core module import started'))
      }
      expect(at('first window connected')).toBeLessThan(at('core module import started'))
      expect(at('core module import started')).toBeLessThan(at('core module loaded'))
    } finally {
      await host.stop()
    }
  })

  it('loads the core by its timer when no window asks', async () => {
    const host = await startCore({
      dataDir,
      env: { ...process.env, PORTE_VOIX_START_TRACE: '1', PORTE_VOIX_START_DELAY_MS: '0' },
    })
    try {
      const loaded = await waitFor('the core loaded by the timer', () =>
        startSteps(host.logs()).includes('core module loaded') ? startSteps(host.logs()) : null,
      )
      expect(loaded).toContain('core module import started (timer)')
    } finally {
      await host.stop()
    }
  })
})
