import { getHeapStatistics, setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
// The launch-time values live in JSON so that `npm run dev-host` (main/host/dev-launch.mjs, plain
// Node) reads the same ones without a TypeScript loader.
import launch from './core-launch.json' with { type: 'json' }

/**
 * V8 flags the core process starts with, in the app (utilityProcess execArgv) and in the dev/test
 * host (node's own arguments); they only take effect at launch, not from inside.
 *
 * --max-semi-space-size=1: V8 grows the young generation to 16 MiB per semi-space (32 MiB resident)
 * under the start-up burst of a large queue and keeps it; the core then idles, so 1 MiB costs a few
 * more minor GCs during a sync and saves ~28 MiB of RSS at rest (BENCHMARKS.md, core memory).
 *
 * Not --expose-gc (the collections at rest get gc() at run time, restGc below): any V8 flag at
 * launch that enters V8's flag hash makes Node reject the code cache built into its binary for
 * every built-in module (NODE_DEBUG_NATIVE=CODE_CACHE: 53 of 53 rejected on Node 24 with
 * --expose-gc, all accepted with --max-semi-space-size=1 alone; Node 20 rejects both), so http,
 * net, streams, url… were compiled from source on the first screen's path.
 */
export const CORE_EXEC_ARGV: readonly string[] = launch.execArgv

/**
 * Environment the core process starts with (the app's utilityProcess env, the benches' hosts):
 * glibc malloc's own settings, read once at the process's start, so they cannot be set from
 * inside. Neither is a V8 flag: Node's built-in code cache is untouched.
 *
 * MALLOC_ARENA_MAX=1: glibc gives each thread that allocates its own 64 MiB arena; on Node 24
 * V8's worker threads (compilation, GC) left ~6 arenas holding 11 MiB resident after the start
 * of a 1,000-item core, for a core whose JavaScript runs on one thread. One arena: −5 to −8 MiB
 * at rest, the same CPU (BENCHMARKS.md, core memory at rest, session 8).
 * MALLOC_TRIM_THRESHOLD_=131072: glibc raises its trim threshold (up to 32 MiB) after large
 * blocks are freed, and then keeps the freed top of its heap; a fixed 128 KiB returns it (−1 to
 * −3 MiB at rest).
 * A process whose malloc is not glibc's (Chromium's PartitionAlloc, if Electron's utility process
 * routes malloc there) ignores both.
 */
export const CORE_ENV: Readonly<Record<string, string>> = launch.env

/**
 * The environment a core starts with: `base` (the launching process's own) over CORE_ENV, so a
 * variable the operator set themselves (MALLOC_ARENA_MAX=4 to try more arenas) wins over ours.
 */
export function coreEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...CORE_ENV }
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value
  return env
}

/** How long the core must have been idle after a burst of work for the rest collection to run. */
export const REST_AFTER_MS = 2_000

/** Grown less than this since the last rest collection: not worth a full GC (V8's own do). */
const REST_GROWTH_BYTES = 1 << 20

let lastWork = 0
let restTimer: NodeJS.Timeout | null = null
let heapAfterRest = 0
/** Whether a collection is coming anyway (a sync's replicas about to sleep), one per sync. */
const collectionsComing = new Set<() => boolean>()

/**
 * A sync that runs collectAtRest itself once its read-only replicas sleep: while `coming()` says
 * so, the rest collection after requests is left to it (the start's requests would otherwise
 * compact the whole loaded queue once, and then again once it slept). Returns the unregistration.
 */
export function collectionComing(coming: () => boolean): () => void {
  collectionsComing.add(coming)
  return () => {
    collectionsComing.delete(coming)
  }
}

/**
 * One full, compacting collection now (the core is at rest: its replicas just fell asleep).
 * Returns false when this V8 gives no gc().
 *
 * A plain gc() frees a dropped replica's objects but compacts only the pages V8's heuristics pick:
 * the survivors stay spread over most of the old space's pages, which stay committed (after a
 * 1,000-item queue slept: 11 MB used of 25 MB committed, until V8's memory reducer runs ~20 s
 * later). Compacting this one collection moves the survivors together and releases the emptied
 * pages at once. Node 20's gc() takes no options (an argument means a minor GC, so the
 * heap-shrinking "last resort" collection is out of reach); the flag is read at each full GC and
 * is set for this one only, so no other collection pays for compaction.
 *
 * Newer V8 (Node 24's 13.6, Electron 45's) keeps the pages a collection freed in a pool, resident,
 * until a memory-reducing collection: after plain gc()s a 1,000-item core at rest held 185 heap
 * pages (47 MB) for 15 MB committed, 133.5 MiB RSS against Node 20's 77. There gc() takes options,
 * and the "last resort" flavour is that memory-reducing collection (`Mark-Compact (reduce)`,
 * pooled 0 MB).
 */
export function collectAtRest(): boolean {
  const gc = restGc()
  if (!gc) return false
  setFlagsFromString('--compact-on-every-full-gc')
  try {
    if (GC_TAKES_OPTIONS) gc({ type: 'major', execution: 'sync', flavor: 'last-resort' })
    else gc()
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc')
  }
  heapAfterRest = getHeapStatistics().total_heap_size
  return true
}

/** V8's gc extension; options from V8 12 on (before, any argument meant a minor collection). */
type GcFunction = (options?: { type: 'major'; execution: 'sync'; flavor: 'last-resort' }) => void
const GC_TAKES_OPTIONS = Number(process.versions.v8.split('.')[0]) >= 12

/** gc(), once got (undefined: not asked for yet; null: this V8 would not give it). */
let gcFunction: GcFunction | null | undefined

/**
 * gc(): the global one with --expose-gc, else set the flag now and take it from a new context
 * (V8 installs it in contexts created after the flag). Only at the first collection at rest:
 * changing a flag changes V8's flag hash, so built-ins and cached code loaded afterwards compile
 * again — by then the core has loaded and flushed its compile cache (the start is long over).
 */
function restGc(): GcFunction | null {
  const global = (globalThis as { gc?: unknown }).gc
  if (typeof global === 'function') return global as GcFunction
  if (gcFunction === undefined) {
    try {
      setFlagsFromString('--expose-gc')
      const got: unknown = runInNewContext('gc')
      gcFunction = typeof got === 'function' ? (got as GcFunction) : null
    } catch {
      gcFunction = null
    }
  }
  return gcFunction
}

/** Whether collectAtRest can run (false only once this V8 refused to give gc()). */
export function exposesGc(): boolean {
  return gcFunction !== null
}

/**
 * The core did some work (a window's request): once it has been idle REST_AFTER_MS, one
 * compacting collection (collectAtRest) returns what the burst left — a popover's first
 * `queue.forMe` leaves ~2-3 MiB of garbage that an idle V8 keeps resident. At most one timer,
 * armed on the first work after a rest, and no collection when V8's heap has not grown by
 * REST_GROWTH_BYTES since the last one (a champion typing pauses often).
 */
export function workDone(): void {
  if (!exposesGc()) return
  lastWork = Date.now()
  if (restTimer) return
  armRest(REST_AFTER_MS)
}

function armRest(delayMs: number): void {
  restTimer = setTimeout(() => {
    restTimer = null
    const idle = Date.now() - lastWork
    if (idle < REST_AFTER_MS) {
      armRest(REST_AFTER_MS - idle)
      return
    }
    if (getHeapStatistics().total_heap_size < heapAfterRest + REST_GROWTH_BYTES) return
    // No re-arming: that collection comes when they sleep (a pinned one is not at rest).
    for (const coming of collectionsComing) if (coming()) return
    collectAtRest()
  }, delayMs)
  // Never what keeps the process alive.
  restTimer.unref()
}
