import { createHash } from 'node:crypto'
import type { FeedSourceView } from '../../../common/contract/api'
import { ContractError } from '../../../common/contract/messages'
import {
  type FeedSourceEntry,
  putFeedSource,
  readFeedSources,
  removeFeedSource,
} from '../../../common/doc/feeds-doc'
import { newId } from '../../../common/model/ids'
import type { Item } from '../../../common/model/item'
import { canCurate } from '../../../common/model/member'
import {
  addFeedEntriesToQueue,
  FeedPoller,
  type FeedPollResult,
  SqliteSeenStore,
  urlKey,
} from '../feeds'
import {
  type Clock,
  type Disposable,
  DisposableStore,
  MutableDisposable,
  SystemClock,
  toDisposable,
} from '../lifecycle'
import type { Db } from '../store/database'
import { API_ORIGIN, type Joined, type WorkspaceAccess } from '../workspace'

export type StudioFeedsOptions = {
  /** Per-feed fetch budget (the poller's default is 10 s). */
  timeoutMs?: number
  /** Periodic polling while a champion's core runs; 0 disables it. */
  intervalMs?: number
  /** First periodic poll after start. */
  firstPollMs?: number
  /** The core's clock (polls are timers on it). */
  clock?: Clock
  log?: (line: string) => void
}

type StatusRow = { source_id: string; polled_at: string; status: string; message: string | null }

const DEFAULT_INTERVAL_MS = 30 * 60_000
const DEFAULT_FIRST_POLL_MS = 60_000

/** Shown for every source when a poll was skipped because the core is not synced with the relay. */
export const NOT_SYNCED_STATUS = 'offline'
export const NOT_SYNCED_MESSAGE = 'Not polled: not connected to the relay'

/**
 * Drafts get an id derived from their source and link, so two champions' cores polling the same
 * feed before they sync write the same key (one item) rather than two copies.
 */
function draftId(sourceId: string, url: string): string {
  return `item_f${createHash('sha256').update(`${sourceId}\n${url}`).digest('hex').slice(0, 24)}`
}

/**
 * Feed curation on a champion's core: the sources are shared in the queue document; fetching,
 * the seen-set and the last poll's outcome are this device's (SQLite). New entries become drafts.
 */
export class StudioFeeds implements Disposable {
  private readonly poller: FeedPoller
  private readonly seen: SqliteSeenStore
  private readonly upsertStatus
  private readonly selectStatus
  private readonly deleteStatus
  private readonly lifecycle = new DisposableStore()
  private readonly timer = this.lifecycle.add(new MutableDisposable())
  private readonly abort = new AbortController()
  private readonly clock: Clock

  constructor(
    private readonly ctx: WorkspaceAccess,
    db: Db,
    private readonly options: StudioFeedsOptions = {},
  ) {
    // studio_feed_status comes from migration 5.
    this.upsertStatus = db.prepare<[string, string, string, string | null]>(
      `INSERT INTO studio_feed_status (source_id, polled_at, status, message) VALUES (?, ?, ?, ?)
       ON CONFLICT (source_id) DO UPDATE SET polled_at = excluded.polled_at,
         status = excluded.status, message = excluded.message`,
    )
    this.selectStatus = db.prepare<[], StatusRow>('SELECT * FROM studio_feed_status')
    this.deleteStatus = db.prepare<[string]>('DELETE FROM studio_feed_status WHERE source_id = ?')
    this.clock = options.clock ?? new SystemClock()
    // Closing cuts fetches under way short.
    this.lifecycle.add(toDisposable(() => this.abort.abort()))
    this.seen = new SqliteSeenStore(db)
    this.poller = new FeedPoller({
      seen: this.seen,
      authorId: 'mem_feeds',
      signal: this.abort.signal,
      now: () => new Date(this.clock.now()),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      onNewItems: (items, source) => this.deliver(items, source.id),
    })
  }

  list(joined: Joined): FeedSourceView[] {
    const statuses = new Map(this.selectStatus.all().map((row) => [row.source_id, row]))
    return readFeedSources(joined.sync.docs.queue).sources.map((source) =>
      toView(source, statuses.get(source.id)),
    )
  }

  add(joined: Joined, url: string): FeedSourceView {
    const doc = joined.sync.docs.queue
    const key = urlKey(url)
    const existing = readFeedSources(doc).sources.find((s) => urlKey(s.url) === key)
    if (existing) {
      throw new ContractError('conflict', `This feed is already in the sources (${existing.url})`)
    }
    const source: FeedSourceEntry = {
      id: newId('feed'),
      url,
      addedBy: joined.session.claims.sub,
      addedAt: this.ctx.now(),
    }
    doc.transact(() => putFeedSource(doc, source), API_ORIGIN)
    return toView(source, undefined)
  }

  remove(joined: Joined, id: string): void {
    const doc = joined.sync.docs.queue
    let removed = false
    doc.transact(() => {
      removed = removeFeedSource(doc, id)
    }, API_ORIGIN)
    if (!removed) throw new ContractError('not_found', `No feed source "${id}"`)
    // Adding the feed again later imports its entries again.
    this.seen.forgetSource(id)
    this.deleteStatus.run(id)
  }

  /**
   * Poll every source now; one failing never stops the others.
   *
   * Only while the workspace is synced with the relay: draft ids are derived from source and
   * link, so a core that cannot see the others' edits (e.g. reaching public feeds but not the
   * relay) would write a bare draft under the key of an item a colleague already captioned or
   * published, and that key could win on reconnect. Skipped polls are reported, not recorded.
   */
  async pollNow(joined: Joined): Promise<FeedSourceView[]> {
    if (!isSynced(joined)) {
      return this.list(joined).map((view) => ({
        ...view,
        lastStatus: NOT_SYNCED_STATUS,
        lastMessage: NOT_SYNCED_MESSAGE,
      }))
    }
    const sources = readFeedSources(joined.sync.docs.queue).sources
    const results = await this.poller.poll(
      sources.map((source) => ({ id: source.id, url: source.url, authorId: source.addedBy })),
    )
    // A source removed while its feed was being fetched gets no status row (nor drafts: deliver).
    const current = this.currentJoined()
    for (const result of results) {
      if (current && this.hasSource(current, result.sourceId)) this.record(result)
    }
    return this.list(current ?? joined)
  }

  /** Poll now and then while a champion's core runs (nice-to-have: no window needs to be open). */
  start(): void {
    const interval = this.options.intervalMs ?? DEFAULT_INTERVAL_MS
    if (interval <= 0 || this.lifecycle.isDisposed) return
    const tick = () => {
      this.timer.clear()
      void this.periodicPoll().finally(() => {
        // Set on a disposed slot, the timer is cancelled at once.
        this.timer.value = this.clock.setTimeout(tick, interval)
      })
    }
    const first = this.options.firstPollMs ?? Math.min(DEFAULT_FIRST_POLL_MS, interval)
    this.timer.value = this.clock.setTimeout(tick, first)
  }

  /** Stop polling and cut fetches under way short. */
  dispose(): Promise<void> {
    return this.lifecycle.dispose()
  }

  private async periodicPoll(): Promise<void> {
    const joined = this.currentJoined()
    if (!joined) return
    if (!canCurate(joined.session.claims.role)) return
    if (!isSynced(joined)) {
      this.options.log?.(`feeds: ${NOT_SYNCED_MESSAGE}`)
      return
    }
    try {
      const views = await this.pollNow(joined)
      const failed = views.filter((view) => view.lastStatus !== 'ok').length
      this.options.log?.(`feeds: polled ${views.length} source(s), ${failed} with errors`)
    } catch (error) {
      this.options.log?.(`feeds: periodic poll failed: ${String(error)}`)
    }
  }

  private currentJoined(): Joined | null {
    try {
      return this.ctx.joined()
    } catch {
      return null
    }
  }

  private hasSource(joined: Joined, sourceId: string): boolean {
    return readFeedSources(joined.sync.docs.queue).sources.some((s) => s.id === sourceId)
  }

  /**
   * Throwing here leaves the entries unseen (offered again next poll): the poller marks them seen
   * only when delivery succeeds.
   */
  private deliver(items: Item[], sourceId: string): void {
    // The session may have changed while the feed was being fetched: use the current one.
    const joined = this.ctx.joined()
    if (!canCurate(joined.session.claims.role)) {
      throw new ContractError('forbidden', 'Only champions and admins may import feeds')
    }
    if (!this.hasSource(joined, sourceId)) {
      throw new ContractError('not_found', `Feed source "${sourceId}" was removed`)
    }
    if (!isSynced(joined)) {
      throw new ContractError('conflict', 'not connected to the relay (retried at the next poll)')
    }
    const drafts = items.map((item) => ({ ...item, id: draftId(sourceId, item.url) }))
    // Drafts are the curators': into curation, never over a key (or a link) either doc has.
    const { docs } = joined.sync
    const result = addFeedEntriesToQueue(docs.curation, drafts, API_ORIGIN, [docs.queue])
    for (const entry of result.invalid) {
      this.options.log?.(`feeds: skipped an invalid entry ${entry.id}: ${entry.issues.join('; ')}`)
    }
    for (const entry of result.tooLarge) {
      this.options.log?.(
        `feeds: refused entry ${entry.id}: its change would be ${entry.bytes} bytes, over the ${entry.limit}-byte limit of a change sent to the relay`,
      )
    }
  }

  private record(result: FeedPollResult): void {
    const invalid = result.invalidEntries.length
    const message =
      result.message ??
      (invalid > 0 ? `${invalid} entr${invalid === 1 ? 'y was' : 'ies were'} not usable` : null)
    this.upsertStatus.run(result.sourceId, result.lastPolledAt, result.status, message)
  }
}

function isSynced(joined: Joined): boolean {
  return joined.sync.status.sync === 'synced'
}

function toView(source: FeedSourceEntry, status: StatusRow | undefined): FeedSourceView {
  return {
    ...source,
    lastPolledAt: status?.polled_at ?? null,
    lastStatus: status?.status ?? null,
    lastMessage: status?.message ?? null,
  }
}

/** Tests and operators may tune polling without new flags. */
export function feedOptionsFromEnv(): StudioFeedsOptions {
  const number = (name: string): number | undefined => {
    const raw = process.env[name]
    if (raw === undefined || raw.trim() === '') return undefined
    const value = Number(raw)
    return Number.isFinite(value) && value >= 0 ? value : undefined
  }
  const options: StudioFeedsOptions = {}
  const timeoutMs = number('PORTE_VOIX_FEED_TIMEOUT_MS')
  const intervalMs = number('PORTE_VOIX_FEED_INTERVAL_MS')
  if (timeoutMs !== undefined) options.timeoutMs = timeoutMs
  if (intervalMs !== undefined) options.intervalMs = intervalMs
  return options
}
