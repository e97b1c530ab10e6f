/**
 * A task run in the background, one run at a time: a call while it runs asks for one more run
 * after it (any number of calls meanwhile make one), so the caller never waits for it. The relay
 * runs the storage purge after the board's folds this way (relay.ts): a board rebuild, and a drain
 * that waits for rebuilds, never wait for a VACUUM FULL or an AOF rewrite.
 */
export function coalescedTask(
  task: () => Promise<void>,
  options: {
    /** A failed run (the next call runs again). */
    onError: (error: unknown) => void
    /** No further run once this says so (the relay is closing). */
    stopped: () => boolean
  },
): { run(): void; idle(): Promise<void> } {
  let running: Promise<void> | null = null
  let again = false
  return {
    run: () => {
      if (running) {
        again = true
        return
      }
      running = (async () => {
        do {
          again = false
          await task()
        } while (again && !options.stopped())
      })()
        .catch(options.onError)
        .finally(() => {
          running = null
        })
    },
    /** Resolves once no run is going on. */
    idle: async () => {
      while (running) await running
    },
  }
}
