/**
 * How the app's utility process (process-entry.ts) and the dev host (main/host/main.ts) start
 * the core, so that a window's first screen does not wait for the whole core:
 * 1. SQLite opens; this module loads only SQLite, zod/mini, the queue table and the ranking;
 * 2. windows attach at once: the popover's `status.get`, `settings.get` and `queue.forMe` (with a
 *    limit) are answered by the quick first screen (first-screen-quick.ts: stored answers, the
 *    queue ranked from the table's columns), before the contract's module loads;
 * 3. the full first screen (first-screen.ts: the contract's validation, every first-screen
 *    request answered from SQLite, the rest held) loads once those three are out, when a frame
 *    needs it, or START_DELAY_MS after the start; the windows go to it, frames it was passed
 *    first;
 * 4. the core's module (services, Yjs, sync, feeds, nudges, studio) is imported right after it (or
 *    when a frame needs the core); it opens on the same store with its replicas deferred
 *    (core.ts), and every window is handed over to it, held frames first. The core open, and at
 *    close, the first screen's answers are stored for the next start.
 */
import type { Transport } from '../../common/contract/client'
import type { Core, CoreOptions } from './core'
import type { FirstScreen } from './first-screen'
import { QuickFirstScreen } from './first-screen-quick'
import { closeDatabase, databasePath, openDatabase } from './store/database'
import type { StoreTables } from './store/tables'

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
export function startCore(
  options: CoreOptions & {
    /** Instead of START_DELAY_MS (tests that must know which of window and timer came first). */
    startDelayMs?: number
  },
): CoreStart {
  const step = options.onStartStep ?? (() => {})
  // The database alone: the tables' classes (zod for the session and settings) come with the
  // full first screen, the document log (and Yjs) with the core's module.
  const db = openDatabase({ file: databasePath(options.dataDir) })
  step('SQLite open')
  let store: StoreTables | null = null
  let loading: Promise<Core> | null = null
  let full: Promise<FirstScreen> | null = null
  /** The full first screen once loaded: it serves every window attached after. */
  let fullScreen: FirstScreen | null = null
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
  const clock = options.clock
  const now = clock ? () => new Date(clock.now()) : () => new Date()
  const traced = new Set<string>()
  const answered = (method: string) => {
    if (traced.has(method)) return
    traced.add(method)
    step(`${method} answered from SQLite`)
  }

  const loadFull = (): Promise<FirstScreen> => {
    full ??= (async () => {
      const [{ FirstScreen }, { tablesOn }] = await Promise.all([
        import('./first-screen'),
        import('./store/tables'),
      ])
      if (closed) throw new Error('closed before the core opened')
      const tables = tablesOn(db)
      store = tables
      const first = new FirstScreen(tables, {
        log: options.log ?? (() => {}),
        needCore: () => void load('asked'),
        answered,
        now,
      })
      fullScreen = first
      step('full first screen loaded')
      quick.handOver((transport, frames) => {
        const listeners: ((text: string) => void)[] = []
        first.attach({
          send: (text) => transport.send(text),
          onMessage: (listener) => {
            listeners.push(listener)
            transport.onMessage(listener)
          },
          onClose: (listener) => transport.onClose(listener),
        })
        for (const text of frames) for (const listener of listeners) listener(text)
      })
      return first
    })()
    return full
  }
  const load = (why: 'asked' | 'timer'): Promise<Core> => {
    loading ??= (async () => {
      clearTimeout(timer)
      const first = await loadFull()
      step(`core module import started (${why})`)
      // Not a static import: this is what the first screen does not wait for.
      const { Core } = await import('./core')
      step('core module loaded')
      if (closed || !store) throw new Error('closed before the core opened')
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
        void storeAnswers()
        return opened
      },
      (error: unknown) => {
        // Core.open closes the store it was given when it fails; before that, it is closed here.
        closeStore()
        settle.reject(error)
        throw error
      },
    )
    loading.catch(() => {})
    return loading
  }
  /** The first screen's answers, for the next start's quick first screen. */
  const storeAnswers = async () => {
    if (!store || closed) return
    try {
      const { storeFirstScreenAnswers } = await import('./first-screen')
      if (!closed) storeFirstScreenAnswers(store)
    } catch (error) {
      options.log?.(`first screen: could not store its answers: ${String(error)}`)
    }
  }
  const closeStore = () => {
    if (store) store.close()
    else closeDatabase(db)
  }

  let quick: QuickFirstScreen
  try {
    quick = new QuickFirstScreen(db, {
      log: options.log ?? (() => {}),
      now,
      answered: (method) => {
        answered(method)
        quickOut(method)
      },
      needFull: () => void loadFull().catch(() => {}),
    })
  } catch (error) {
    // Nothing is left open when the start cannot begin.
    db.close()
    throw error
  }
  /**
   * Once the popover's three methods have all been answered, the rest loads, in a later
   * macrotask: the contract and the core's module compile on this event loop, and nothing of the
   * first screen (a window's WebSocket accept, its other answers) must wait behind them.
   */
  const quickAnswered = new Set<string>()
  const quickOut = (method: string) => {
    if (quickAnswered.size === 3) return
    quickAnswered.add(method)
    if (quickAnswered.size === 3) {
      step('first screen answered without the contract')
      setImmediate(() => void load('asked'))
    }
  }
  // A real timer, not the core's clock (a simulated one in tests would never run it).
  // Re-armed by each window that connects, but never past three delays from the start: windows
  // that keep connecting without asking must not hold the core back.
  const delayMs = options.startDelayMs ?? START_DELAY_MS
  const latest = performance.now() + 3 * delayMs
  const armTimer = () => {
    clearTimeout(timer)
    timer = setTimeout(
      () => void load('timer'),
      Math.max(0, Math.min(delayMs, latest - performance.now())),
    )
    timer.unref()
  }
  armTimer()
  return {
    attach: (transport) => {
      // Once the full first screen is there, it serves (and hands over to the core) alone.
      if (fullScreen) {
        fullScreen.attach(transport)
        return
      }
      quick.attach(transport)
      // A window that just connected is about to ask for its first screen (its three answers
      // load the rest): the timer's load would compete with them on a loaded machine.
      if (!loading && !full) armTimer()
    },
    core,
    close: async () => {
      if (closed) return
      closed = true
      clearTimeout(timer)
      if (!loading) {
        closeStore()
        return
      }
      const opened = await loading.catch(() => null)
      if (opened && store) {
        try {
          const { storeFirstScreenAnswers } = await import('./first-screen')
          storeFirstScreenAnswers(store)
        } catch (error) {
          options.log?.(`first screen: could not store its answers: ${String(error)}`)
        }
      }
      await opened?.close()
    },
  }
}
