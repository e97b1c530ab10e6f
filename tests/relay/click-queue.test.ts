import { describe, expect, it } from 'vitest'
import { ClickQueue } from '../../sync-server/links/click-queue'
import type { ClickInput } from '../../sync-server/links/link-store'
import { silentLogger } from '../../sync-server/log'

/**
 * The click queue's order while a write is in flight (unit level: a store whose writes the test
 * settles). Its writes are the store's real interface; nothing else of the relay is needed.
 */

function click(id: string, atMs: number): ClickInput {
  return {
    id,
    workspaceId: 'ws_clicks',
    shareId: 'sh_1',
    itemId: 'it_1',
    network: 'linkedin',
    at: new Date(atMs),
  } as ClickInput
}

/** A click store whose writes wait until the test lets each one go. */
function heldStore() {
  const writes: string[] = []
  const waiting: (() => void)[] = []
  let started: (() => void) | null = null
  return {
    writes,
    store: {
      recordClick: (input: ClickInput): Promise<boolean> => {
        writes.push(input.id ?? '?')
        started?.()
        return new Promise<boolean>((resolve) => waiting.push(() => resolve(true)))
      },
    },
    /** Resolves once `count` writes have started. */
    async started(count: number): Promise<void> {
      while (writes.length < count) await new Promise<void>((r) => (started = r))
    },
    /** Let the oldest waiting write succeed. */
    release(): void {
      waiting.shift()?.()
    },
  }
}

describe('ClickQueue: a click queued while the head is being written (453732c)', () => {
  it("close()'s last attempt: an earlier click pushed meanwhile is written too, once each", async () => {
    const held = heldStore()
    const queue = new ClickQueue(held.store, silentLogger)
    const later = click('later', 2_000)
    const earlier = click('earlier', 1_000)
    // Queued (the store was down); close() comes before the scheduled drain's timer.
    expect(queue.push(later)).toBe(true)
    const closed = queue.close()
    await held.started(1)
    expect(held.writes).toEqual(['later'])
    // A redirect answered meanwhile with an earlier time (its write failed, or the node is closing).
    expect(queue.push(earlier)).toBe(true)
    expect(queue.size).toBe(2)
    held.release()
    // The written click leaves the queue, not the one that now stands by time before it.
    await held.started(2)
    held.release()
    await closed
    expect(held.writes).toEqual(['later', 'earlier'])
    expect(queue.size).toBe(0)
  })

  it('a scheduled drain: a click pushed with an earlier time waits behind the head in flight', async () => {
    const held = heldStore()
    const queue = new ClickQueue(held.store, silentLogger)
    const later = click('later', 2_000)
    const earlier = click('earlier', 1_000)
    expect(queue.push(later)).toBe(true)
    await held.started(1)
    expect(queue.push(earlier)).toBe(true)
    held.release()
    await held.started(2)
    held.release()
    await queue.idle()
    expect(held.writes).toEqual(['later', 'earlier'])
    expect(queue.size).toBe(0)
    await queue.close()
  })
})
