import type { Logger } from '../log'
import type { ClickInput, LinkStore } from './link-store'

/** Clicks a node holds while its click store is unreachable (each ~200 bytes in memory). */
export const CLICK_QUEUE_MAX = 10_000

/**
 * Clicks answered with a redirect while the click store (PostgreSQL) failed, written in order
 * once it is back: a redirect that went out is a click that will be counted. Bounded: when the
 * queue (and the slots reserved for clicks still in flight) is full, the redirect answers 503
 * instead of redirecting uncounted. Memory only: the visitor's address is held here until it is
 * hashed by the write, never written anywhere else; a node stopped while the store is still down
 * tries one last time (close) and logs how many it could not write.
 */
export class ClickQueue {
  readonly #store: Pick<LinkStore, 'recordClick'>
  readonly #log: Logger
  readonly #max: number
  readonly #queue: ClickInput[] = []
  /** Slots promised to writes still in flight (a slow store): they queue if they fail. */
  #reserved = 0
  #timer: NodeJS.Timeout | null = null
  #draining: Promise<void> | null = null
  #delayMs = 0
  #closed = false
  /** Writes record() started and has not seen settle (each releases or queues its click). */
  readonly #inFlight = new Set<Promise<void>>()

  constructor(store: Pick<LinkStore, 'recordClick'>, log: Logger, max = CLICK_QUEUE_MAX) {
    this.#store = store
    this.#log = log
    this.#max = max
  }

  /** Clicks waiting to be written. */
  get size(): number {
    return this.#queue.length
  }

  /** Hold a slot for a click whose write is in flight; false when full. */
  reserve(): boolean {
    if (this.#queue.length + this.#reserved >= this.#max) return false
    this.#reserved++
    return true
  }

  /** The reserved click was written after all. */
  release(): void {
    this.#reserved--
  }

  /**
   * Queue a click whose write failed (with its reservation, or a new slot); false when full.
   * In the order the clicks came (`at`): writes in flight fail in any order (one timed out, a
   * later one refused at once), and the first of a visitor's clicks is the unique one.
   */
  push(click: ClickInput, reserved = false): boolean {
    if (reserved) this.#reserved--
    else if (this.#queue.length + this.#reserved >= this.#max) return false
    if (this.#queue.length === 0) this.#log.warn('clicks queued: the click store failed')
    let i = this.#queue.length
    while (i > 0 && (this.#queue[i - 1] as ClickInput).at.getTime() > click.at.getTime()) i--
    // The head may be in a write (drain): never put anything before it.
    if (i === 0 && this.#draining && this.#queue.length > 0) i = 1
    this.#queue.splice(i, 0, click)
    this.#schedule()
    return true
  }

  /**
   * Count a click: written now, or behind the clicks already queued (in order, the store is
   * likely still down). Resolves true once it is written, or after `waitMs` while its write is
   * still in flight (it is written late or queued: counted either way), or once it is queued;
   * false when it could be neither (full). close() waits for the writes in flight.
   */
  async record(click: ClickInput, waitMs: number): Promise<boolean> {
    if (this.#queue.length > 0 || this.#closed) return this.push(click)
    if (!this.reserve()) return false
    const write = this.#store.recordClick(click).then(
      () => this.release(),
      (error: unknown) => {
        this.#log.warn('click write failed, queued', { error: (error as Error).message })
        this.push(click, true)
      },
    )
    this.#inFlight.add(write)
    void write.finally(() => this.#inFlight.delete(write))
    let timer: NodeJS.Timeout | undefined
    await Promise.race([write, new Promise((r) => (timer = setTimeout(r, waitMs)))])
    clearTimeout(timer)
    return true
  }

  #schedule(): void {
    if (this.#timer || this.#draining || this.#closed || this.#queue.length === 0) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#draining = this.#drain().finally(() => {
        this.#draining = null
        this.#schedule()
      })
    }, this.#delayMs)
    this.#timer.unref()
  }

  /** Write from the head, in order; on a failure wait longer (up to 5 s) and try again. */
  async #drain(): Promise<void> {
    let written = 0
    for (;;) {
      const click = this.#queue[0]
      if (!click) break
      try {
        await this.#store.recordClick(click)
      } catch {
        this.#delayMs = Math.min(5_000, Math.max(250, this.#delayMs * 2))
        break
      }
      // By identity: a click queued meanwhile with an earlier time may stand before it now.
      const at = this.#queue.indexOf(click)
      if (at >= 0) this.#queue.splice(at, 1)
      written++
      this.#delayMs = 0
    }
    if (written > 0)
      this.#log.info('queued clicks written', { written, waiting: this.#queue.length })
  }

  /** Resolves once nothing waits (tests). */
  async idle(): Promise<void> {
    while (this.#queue.length > 0 || this.#draining || this.#reserved > 0)
      await new Promise((r) => setTimeout(r, 20))
  }

  /**
   * A last attempt at what waits, once the writes in flight have settled (a failed one queues its
   * click: it gets the attempt too); logs what could not be written.
   */
  async close(): Promise<void> {
    this.#closed = true
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
    await Promise.all([...this.#inFlight])
    await this.#draining
    // Marked as draining like a scheduled drain, so a click pushed meanwhile goes behind the head.
    this.#draining = this.#drain()
    await this.#draining
    this.#draining = null
    if (this.#queue.length > 0)
      this.#log.error('queued clicks lost at close', { lost: this.#queue.length })
  }
}
