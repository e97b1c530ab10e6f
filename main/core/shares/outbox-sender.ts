import { ProposalSubmission, ShareEvent } from '../../../common/model/share'
import {
  type Clock,
  type Disposable,
  MutableDisposable,
  SerialRunner,
  SystemClock,
} from '../lifecycle'
import { type Outcome, type PostJson, postJson, relayApiUrl } from './relay-api'
import type { OutboxEntry, Owner, ShareStore } from './share-store'

/** Where to send, as of now: the joined member, its relay and token; null when not joined. */
export type SendTarget = { owner: Owner; relayUrl: string; token: string }

export type OutboxSenderOptions = {
  store: ShareStore
  target: () => SendTarget | null
  /** Something was delivered or refused: the pending count changed. */
  onChange: () => void
  post?: PostJson
  log?: (line: string) => void
  /** First retry delay; doubles per attempt up to maxBackoffMs. */
  minBackoffMs?: number
  maxBackoffMs?: number
  /** The core's clock: retry timers and the time entries are stamped with. */
  clock?: Clock
  /** Overrides the clock's wall time (tests that fake Node's timers). */
  now?: () => Date
}

/** The relay accepts at most this many share events per request. */
export const SHARE_BATCH = 500
const PROPOSAL_BATCH = 50

/**
 * Delivers the outbox to the relay's HTTP API: at once after something is enqueued, when the
 * workspace sync (re)connects, and otherwise when the next entry's backoff is over. Runs one pass
 * at a time; the relay dedupes on the entries' ids, so a pass cut short (crash, timeout after the
 * relay stored it) is simply sent again: exactly-once in effect.
 */
export class OutboxSender implements Disposable {
  /** Ids being sent right now (a share must not be retracted while its POST is out). */
  readonly inFlight = new Set<string>()
  private readonly timer = new MutableDisposable()
  private stopped = false
  private readonly passes = new SerialRunner({
    run: () => this.loop(),
    before: () => this.clearTimer(),
    after: () => this.schedule(),
    stopped: () => this.stopped,
    failed: (error) =>
      this.log(`outbox: pass failed: ${error instanceof Error ? error.message : String(error)}`),
  })
  /** Stopping cuts a request short rather than wait for a hung relay. */
  private readonly abort = new AbortController()
  private readonly post: PostJson
  private readonly log: (line: string) => void
  private readonly minBackoffMs: number
  private readonly maxBackoffMs: number
  private readonly now: () => Date
  private readonly clock: Clock

  constructor(private readonly options: OutboxSenderOptions) {
    this.post = options.post ?? postJson
    this.log = options.log ?? (() => {})
    this.minBackoffMs = options.minBackoffMs ?? 1_000
    this.maxBackoffMs = options.maxBackoffMs ?? 60_000
    this.clock = options.clock ?? new SystemClock()
    this.now = options.now ?? (() => new Date(this.clock.now()))
  }

  /** Send what is due now (after an enqueue, or at start). */
  kick(): void {
    this.passes.kick()
  }

  /** The relay answers again (the workspace sync connected): skip the remaining backoff. */
  relayReachable(): void {
    if (this.stopped) return
    const target = this.options.target()
    if (!target) return
    this.options.store.makeAllDue(target.owner, this.now().toISOString())
    this.kick()
  }

  /** Stop sending; resolves once a pass under way has finished with the store. */
  async stop(): Promise<void> {
    this.stopped = true
    this.timer.dispose()
    this.abort.abort()
    await this.passes.running
  }

  dispose(): Promise<void> {
    return this.stop()
  }

  /** Resolves when no pass is running (tests). */
  idle(): Promise<void> {
    return this.passes.idle()
  }

  private clearTimer(): void {
    this.timer.clear()
  }

  /** Wake up when the earliest pending entry's backoff is over. */
  private schedule(): void {
    this.clearTimer()
    const target = this.options.target()
    if (!target) return
    const next = this.options.store.nextDue(target.owner)
    if (next === null) return
    // A floor, so that an entry a pass could not handle (a storage error) is not retried hot.
    const delay = Math.max(
      Math.min(this.minBackoffMs, 1_000),
      Date.parse(next) - this.now().getTime(),
    )
    this.timer.value = this.clock.setTimeout(() => {
      this.timer.clear()
      this.kick()
    }, delay)
  }

  private async loop(): Promise<void> {
    try {
      let more = true
      while (more && !this.stopped) more = await this.pass()
    } catch (error) {
      this.log(`outbox: pass failed: ${error instanceof Error ? error.message : String(error)}`)
    }
  }

  /** One round of both kinds; true when a full batch went through and more may be due. */
  private async pass(): Promise<boolean> {
    const target = this.options.target()
    if (!target) return false
    const store = this.options.store
    const now = this.now().toISOString()
    const shares = store.due(target.owner, 'share', now, SHARE_BATCH)
    const proposals = store.due(target.owner, 'proposal', now, PROPOSAL_BATCH)
    if (shares.length === 0 && proposals.length === 0) return false
    let changed = false
    let progressed = false
    if (shares.length > 0) {
      const result = await this.sendShares(target, shares)
      if (this.stopped) return false
      changed ||= result.changed
      progressed = result.delivered && shares.length === SHARE_BATCH
    }
    for (const [index, entry] of proposals.entries()) {
      const outcome = await this.send(target, 'proposals', [entry], () =>
        ProposalSubmission.parse(JSON.parse(entry.payload)),
      )
      if (this.stopped) return false
      if (outcome.kind === 'retry') {
        // The relay is down or refusing the token: the rest would fare no better, and all of
        // them must wait out the backoff (a due entry left behind would wake the sender at once).
        this.apply(proposals.slice(index), outcome, target)
        break
      }
      this.apply([entry], outcome, target)
      changed = true
    }
    if (changed) this.options.onChange()
    return progressed
  }

  /**
   * Shares go in batches. A batch refused as a whole (one bad event makes the body invalid) is
   * split and sent one by one, so only the bad event is marked failed.
   */
  private async sendShares(
    target: SendTarget,
    entries: OutboxEntry[],
  ): Promise<{ changed: boolean; delivered: boolean }> {
    const eventsOf = (batch: OutboxEntry[]) => () => ({
      events: batch.map((entry) => ShareEvent.parse(JSON.parse(entry.payload))),
    })
    const outcome = await this.send(target, 'shares', entries, eventsOf(entries))
    if (this.stopped) return { changed: false, delivered: false }
    if (outcome.kind !== 'refused' || entries.length === 1) {
      const applied = this.apply(entries, outcome, target)
      return { changed: applied !== 'retry', delivered: applied === 'delivered' }
    }
    this.log(`outbox: batch of ${entries.length} shares refused (${outcome.error}); sending singly`)
    let changed = false
    for (const [index, entry] of entries.entries()) {
      const single = await this.send(target, 'shares', [entry], eventsOf([entry]))
      if (this.stopped) break
      if (single.kind === 'retry') {
        this.apply(entries.slice(index), single, target)
        break
      }
      this.apply([entry], single, target)
      changed = true
    }
    return { changed, delivered: false }
  }

  private async send(
    target: SendTarget,
    path: string,
    entries: OutboxEntry[],
    body: () => unknown,
  ): Promise<Outcome> {
    let payload: unknown
    try {
      payload = body()
    } catch (error) {
      // A row we cannot read back (hand-edited file, older format) would never go through.
      return { kind: 'refused', error: `unreadable outbox entry: ${(error as Error).message}` }
    }
    for (const entry of entries) this.inFlight.add(entry.id)
    try {
      return await this.post(
        relayApiUrl(target.relayUrl, path),
        target.token,
        payload,
        this.abort.signal,
      )
    } finally {
      for (const entry of entries) this.inFlight.delete(entry.id)
    }
  }

  private apply(entries: OutboxEntry[], outcome: Outcome, target: SendTarget): Outcome['kind'] {
    const store = this.options.store
    const ids = entries.map((entry) => entry.id)
    const now = this.now()
    switch (outcome.kind) {
      case 'delivered':
        store.markDelivered(ids, now.toISOString())
        this.log(`outbox: delivered ${ids.length} ${entries[0]?.kind ?? ''} entr(ies)`)
        return 'delivered'
      case 'retry': {
        const attempts = Math.max(...entries.map((entry) => entry.attempts))
        const delay = Math.min(this.maxBackoffMs, this.minBackoffMs * 2 ** Math.min(attempts, 16))
        // Jitter so that a whole company's cores do not come back in step after an outage.
        const jittered = delay * (0.8 + Math.random() * 0.2)
        store.markRetry(ids, outcome.error, new Date(now.getTime() + jittered).toISOString())
        this.log(
          `outbox: ${ids.length} entr(ies) to retry in ${Math.round(jittered)} ms (${outcome.error}; workspace ${target.owner.workspaceId})`,
        )
        return 'retry'
      }
      case 'refused':
        for (const id of ids) store.markFailed(id, outcome.error, now.toISOString())
        this.log(`outbox: relay refused ${ids.join(', ')} for good: ${outcome.error}`)
        return 'refused'
    }
  }
}
