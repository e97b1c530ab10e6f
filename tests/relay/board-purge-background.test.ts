import { describe, expect, it } from 'vitest'
import { coalescedTask } from '../../sync-server/coalesced-task'

/**
 * 91e1bf7: the storage purge after a board fold runs in the background (relay.ts wires the
 * board's onHistoryFolded to coalescedTask(purgeErased)): the fold's caller (a board rebuild,
 * which a drain waits for) returns while a slow purge (VACUUM FULL, an AOF rewrite) runs; one
 * purge at a time; the folds meanwhile make one more pass, not one each.
 */

/** A purge that runs until the test lets it end. */
function heldPurge() {
  const ends: (() => void)[] = []
  let runs = 0
  let started: (() => void) | null = null
  return {
    task: (): Promise<void> => {
      runs++
      started?.()
      return new Promise<void>((resolve) => ends.push(resolve))
    },
    get runs() {
      return runs
    },
    /** Resolves once `count` passes have started. */
    async started(count: number): Promise<void> {
      while (runs < count) await new Promise<void>((r) => (started = r))
    },
    /** End the pass that is running. */
    end(): void {
      ends.shift()?.()
    },
    get waiting() {
      return ends.length
    },
  }
}

describe('the purge after a board fold, in the background (relay.ts)', () => {
  it('a fold returns at once while the purge runs; folds meanwhile coalesce into one more pass', async () => {
    const purge = heldPurge()
    const errors: unknown[] = []
    const background = coalescedTask(purge.task, {
      onError: (error) => errors.push(error),
      stopped: () => false,
    })
    // The board awaits onHistoryFolded (board-service.ts): it must settle with the purge held.
    const onHistoryFolded = async () => background.run()
    await onHistoryFolded()
    await purge.started(1)
    expect(purge.waiting).toBe(1)
    // Three more folds while the first purge runs: none waits, none starts a purge of its own.
    await Promise.all([onHistoryFolded(), onHistoryFolded(), onHistoryFolded()])
    expect(purge.runs).toBe(1)
    purge.end()
    // One more pass covers the three folds.
    await purge.started(2)
    expect(purge.runs).toBe(2)
    purge.end()
    await background.idle()
    expect(purge.runs).toBe(2)
    expect(errors).toEqual([])
    // A later fold purges again.
    await onHistoryFolded()
    await purge.started(3)
    purge.end()
    await background.idle()
    expect(purge.runs).toBe(3)
  })

  it('no further pass once the relay is closing; a failed purge is logged, the next fold runs', async () => {
    const purge = heldPurge()
    const errors: string[] = []
    let closing = false
    const background = coalescedTask(purge.task, {
      onError: (error) => errors.push((error as Error).message),
      stopped: () => closing,
    })
    background.run()
    await purge.started(1)
    background.run()
    closing = true
    purge.end()
    await background.idle()
    expect(purge.runs).toBe(1)

    let fail = true
    const failing = coalescedTask(
      async () => {
        if (fail) throw new Error('VACUUM refused')
      },
      { onError: (error) => errors.push((error as Error).message), stopped: () => false },
    )
    failing.run()
    await failing.idle()
    expect(errors).toEqual(['VACUUM refused'])
    fail = false
    failing.run()
    await failing.idle()
    expect(errors).toEqual(['VACUUM refused'])
  })
})
