import { getHeapStatistics, setFlagsFromString } from 'node:v8'

/**
 * V8 flags the core process starts with, in the app (utilityProcess execArgv) and in the dev/test
 * host (node's own arguments); they only take effect at launch, not from inside.
 *
 * --max-semi-space-size=1: V8 grows the young generation to 16 MiB per semi-space (32 MiB resident)
 * under the start-up burst of a large queue and keeps it; the core then idles, so 1 MiB costs a few
 * more minor GCs during a sync and saves ~28 MiB of RSS at rest (BENCHMARKS.md, core memory).
 *
 * --expose-gc: when read-only replicas fall asleep (sync/workspace-sync.ts, sleep), one full GC
 * returns their pages at once; an idle V8 may otherwise not collect the old space for a long time.
 */
export const CORE_EXEC_ARGV: readonly string[] = ['--max-semi-space-size=1', '--expose-gc']

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
 * Returns false without --expose-gc.
 *
 * A plain gc() frees a dropped replica's objects but compacts only the pages V8's heuristics pick:
 * the survivors stay spread over most of the old space's pages, which stay committed (after a
 * 1,000-item queue slept: 11 MB used of 25 MB committed, until V8's memory reducer runs ~20 s
 * later). Compacting this one collection moves the survivors together and releases the emptied
 * pages at once. Node 20's gc() takes no options (an argument means a minor GC, so the
 * heap-shrinking "last resort" collection is out of reach); the flag is read at each full GC and
 * is set for this one only, so no other collection pays for compaction.
 */
export function collectAtRest(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc
  if (!gc) return false
  setFlagsFromString('--compact-on-every-full-gc')
  try {
    gc()
  } finally {
    setFlagsFromString('--no-compact-on-every-full-gc')
  }
  heapAfterRest = getHeapStatistics().total_heap_size
  return true
}

/** Whether the process was started with --expose-gc (collectAtRest can run). */
export function exposesGc(): boolean {
  return typeof (globalThis as { gc?: unknown }).gc === 'function'
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
