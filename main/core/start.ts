/**
 * How the app's utility process (process-entry.ts) and the dev host (main/host/main.ts) start
 * the core, so that a window's first screen does not wait for the whole core:
 * 1. SQLite opens (this module loads only the store, the contract and the ranking);
 * 2. windows attach at once: `status.get`, `settings.get` and `queue.forMe` are answered from
 *    SQLite (first-screen.ts), anything else waits;
 * 3. the core's module (services, Yjs, sync, feeds, nudges, studio) is imported once the first
 *    screen's three methods have been answered, when a frame needs it, or START_DELAY_MS after
 *    the start (no window, or one that asks less), whichever comes first; it opens on the same store with its replicas deferred (core.ts), and every window is
 *    handed over to it, held frames first.
 */
import type { Transport } from '../../common/contract/client'
import type { Core, CoreOptions } from './core'
import { FirstScreen } from './first-screen'
import { openTables } from './store/tables'

/** With no window asking, the core itself loads this long after the start. */
const START_DELAY_MS = 1_000

export type CoreStart = {
  /** Serve a window (or any client): the first screen at once, the rest once the core is open. */
  attach(transport: Transport): void
  /** The core, once loaded and open; rejected when it cannot open. */
  readonly core: Promise<Core>
  /** Close whatever is open (the core, or the store alone when the core never loaded). */
  close(): Promise<void>
}

/** Open the store and begin the start; throws when SQLite cannot open (nothing is left open). */
export function startCore(options: CoreOptions): CoreStart {
  const step = options.onStartStep ?? (() => {})
  // The tables alone: the document log (and Yjs with it) comes with the core's module.
  const store = openTables(options.dataDir)
  step('SQLite open')
  let loading: Promise<Core> | null = null
  let closed = false
  let timer: NodeJS.Timeout | undefined
  let settle: { resolve(core: Core): void; reject(error: unknown): void } = {
    resolve: () => {},
    reject: () => {},
  }
  const core = new Promise<Core>((resolve, reject) => {
    settle = { resolve, reject }
  })
  // Observed by whoever awaits it; not an unhandled rejection otherwise.
  core.catch(() => {})
  const load = (why: 'asked' | 'timer'): Promise<Core> => {
    loading ??= (async () => {
      clearTimeout(timer)
      step(`core module import started (${why})`)
      // Not a static import: this is what the first screen does not wait for.
      const { Core } = await import('./core')
      step('core module loaded')
      if (closed) throw new Error('closed before the core opened')
      const opened = await Core.open({
        ...options,
        deferReplicas: true,
        opened: store,
      })
      first.handOver(opened)
      // No window asked within the delay: nothing to let go first, the replicas load (and the
      // sync starts) now rather than after the core's own delay.
      if (why === 'timer') opened.replicasNeeded()
      return opened
    })().then(
      (opened) => {
        settle.resolve(opened)
        return opened
      },
      (error: unknown) => {
        // Core.open closes the store it was given when it fails; before that, it is closed here.
        store.close()
        settle.reject(error)
        throw error
      },
    )
    loading.catch(() => {})
    return loading
  }
  const clock = options.clock
  const traced = new Set<string>()
  const first = new FirstScreen(store, {
    log: options.log ?? (() => {}),
    needCore: () => void load('asked'),
    answered: (method) => {
      if (traced.has(method)) return
      traced.add(method)
      step(`${method} answered from SQLite`)
    },
    ...(clock ? { now: () => new Date(clock.now()) } : {}),
  })
  // A real timer, not the core's clock (a simulated one in tests would never run it).
  timer = setTimeout(() => void load('timer'), START_DELAY_MS)
  timer.unref()
  return {
    attach: (transport) => first.attach(transport),
    core,
    close: async () => {
      if (closed) return
      closed = true
      clearTimeout(timer)
      if (!loading) {
        store.close()
        return
      }
      const opened = await loading.catch(() => null)
      await opened?.close()
    },
  }
}
