import type { AppendSettled } from '../storage/types'
import type { RelayMetrics } from './metrics'

/** The one storage call every stored update goes through, whatever the backend. */
type Appending<A extends unknown[], R> = {
  append(room: string, ...rest: A): R
  /** DocStore.appendThen (SQLite's group commit): counted and timed as `append` is. */
  appendThen?(room: string, updates: readonly Uint8Array[], settled: AppendSettled): void
}

function updateCount(args: unknown[]): number {
  // append(room, firstSeq, updates[]) on SQLite; a backend appending one update counts one.
  for (const arg of args) if (Array.isArray(arg)) return arg.length
  return 1
}

/**
 * Count stored updates and storage failures, and time each append to when its room has handed
 * every peer's socket the frames. `append` (Redis): to the end of the event-loop turn its promise
 * resolved in, the room broadcasting in that turn's microtasks; one setImmediate per turn, not
 * per update. `appendThen` (SQLite's group commit): the room sends inside `settled`, in the
 * store's flush, so the time is read when `settled` returns — a setImmediate queued from the
 * flush (itself run by a setImmediate) would run a loop iteration later, after its I/O, and
 * count that too (issue 11 review, D3). That holds on the room's fast path only: when the change
 * goes late (a task queued before it — a compaction, a reload — or a change hook that returned a
 * promise), `settled` returns before the send and the time is the store's alone (review 2, D2).
 * Wraps the instance's method so that rooms keep calling the store they were given.
 */
export function instrumentAppend<A extends unknown[], R>(
  store: Appending<A, R>,
  metrics: RelayMetrics,
): void {
  const append = store.append.bind(store)
  const started: number[] = []
  const flush = () => {
    const now = performance.now()
    for (const t of started) metrics.fanout.observe((now - t) / 1000)
    started.length = 0
  }
  const begin = (t: number) => {
    if (started.length === 0) setImmediate(flush)
    started.push(t)
  }
  store.append = (room: string, ...rest: A): R => {
    const t = performance.now()
    let result: R
    try {
      result = append(room, ...rest)
    } catch (error) {
      metrics.storageErrors.inc()
      throw error
    }
    const count = updateCount(rest)
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          metrics.updates.inc(count)
          begin(t)
          return value
        },
        (error: unknown) => {
          metrics.storageErrors.inc()
          throw error
        },
      ) as R
    }
    metrics.updates.inc(count)
    begin(t)
    return result
  }
  const appendThen = store.appendThen?.bind(store)
  if (!appendThen) return
  store.appendThen = (room, updates, settled) => {
    const t = performance.now()
    try {
      appendThen(room, updates, (error, lastSeq) => {
        if (error) {
          metrics.storageErrors.inc()
          settled(error, lastSeq)
          return
        }
        metrics.updates.inc(updates.length)
        settled(error, lastSeq)
        metrics.fanout.observe((performance.now() - t) / 1000)
      })
    } catch (error) {
      metrics.storageErrors.inc()
      throw error
    }
  }
}
