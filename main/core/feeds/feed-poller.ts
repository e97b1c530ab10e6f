import type { Item, Objective } from '../../../common/model/item'
import { entryToDraftItem } from './draft-item'
import { FeedError, type FeedErrorCode } from './errors'
import { type FetchImpl, fetchLimited } from './fetch'
import { Limiter } from './limiter'
import { type OpenGraph, readOpenGraph } from './open-graph'
import { type FeedEntry, parseFeed } from './parse'
import type { SeenStore } from './seen-store'

/** A feed a champion added. Stored by the core elsewhere; the poller only reads it. */
export type FeedSource = {
  id: string
  url: string
  /** Who added the source: drafts are authored by them (defaults to the poller's authorId). */
  authorId?: string
  objective?: Objective
  topics?: string[]
}

/** 'delivery_failed': the feed was fine but the new drafts could not be handed over (retried). */
export type FeedPollStatus = 'ok' | FeedErrorCode | 'delivery_failed'

export type FeedPollResult = {
  sourceId: string
  url: string
  status: FeedPollStatus
  /** What went wrong, for the champion; null when status is 'ok'. */
  message: string | null
  lastPolledAt: string
  feedTitle: string | null
  /** Drafts handed to onNewItems during this poll. */
  newItems: number
  /** Entries without a usable http(s) link. */
  skippedEntries: number
  /** Entries that could not become a valid item, with the reasons. */
  invalidEntries: { guid: string; issues: string[] }[]
}

export type OpenGraphOptions = {
  timeoutMs?: number
  maxBytes?: number
  /** Pages fetched at once, across all sources. */
  concurrency?: number
  /** Pages fetched per source and poll; a first poll of a long feed must not fetch hundreds. */
  maxPerPoll?: number
}

export type FeedPollerOptions = {
  seen: SeenStore
  /**
   * Receives each source's new drafts; a returned promise is awaited, and entries count as seen
   * only once it resolves (a throw or rejection means they are offered again next poll).
   */
  onNewItems: (items: Item[], source: FeedSource) => unknown
  /** Author of drafts for sources that do not name one. */
  authorId: string
  objective?: Objective
  timeoutMs?: number
  maxBytes?: number
  /** Feeds fetched at once. */
  concurrency?: number
  /** Enrich new entries from their page's Open Graph tags; false to skip. */
  openGraph?: OpenGraphOptions | false
  fetchImpl?: FetchImpl
  now?: () => Date
  signal?: AbortSignal
}

const DEFAULTS = {
  timeoutMs: 10_000,
  maxBytes: 2 * 1024 * 1024,
  concurrency: 4,
  openGraph: { timeoutMs: 5_000, maxBytes: 512 * 1024, concurrency: 2, maxPerPoll: 20 },
}

const HTML_ACCEPT = 'text/html, application/xhtml+xml;q=0.9, */*;q=0.1'

/**
 * Polls feed sources: each independently (one failing never stops the others), new entries only
 * (a persistent seen-set keyed by source and guid), optionally enriched with Open Graph, handed
 * over as validated draft items.
 */
export class FeedPoller {
  private readonly sources: Limiter
  private readonly pages: Limiter
  private readonly inFlight = new Map<string, Promise<FeedPollResult>>()
  private readonly openGraph: Required<OpenGraphOptions> | false

  constructor(private readonly options: FeedPollerOptions) {
    this.sources = new Limiter(options.concurrency ?? DEFAULTS.concurrency)
    this.openGraph =
      options.openGraph === false ? false : { ...DEFAULTS.openGraph, ...options.openGraph }
    this.pages = new Limiter(this.openGraph === false ? 1 : this.openGraph.concurrency)
  }

  /** Poll every source; resolves with one result per source, in the same order. Never rejects. */
  poll(sources: readonly FeedSource[]): Promise<FeedPollResult[]> {
    return Promise.all(sources.map((source) => this.pollOne(source)))
  }

  /** Poll one source; a poll already running for the same source is shared, not repeated. */
  pollOne(source: FeedSource): Promise<FeedPollResult> {
    const running = this.inFlight.get(source.id)
    if (running !== undefined) return running
    const promise = this.sources
      .run(() => this.pollSource(source))
      .finally(() => this.inFlight.delete(source.id))
    this.inFlight.set(source.id, promise)
    return promise
  }

  private now(): Date {
    return this.options.now?.() ?? new Date()
  }

  private async pollSource(source: FeedSource): Promise<FeedPollResult> {
    const result: FeedPollResult = {
      sourceId: source.id,
      url: source.url,
      status: 'ok',
      message: null,
      lastPolledAt: '',
      feedTitle: null,
      newItems: 0,
      skippedEntries: 0,
      invalidEntries: [],
    }
    try {
      const fetched = await fetchLimited(source.url, {
        timeoutMs: this.options.timeoutMs ?? DEFAULTS.timeoutMs,
        maxBytes: this.options.maxBytes ?? DEFAULTS.maxBytes,
        fetchImpl: this.options.fetchImpl,
        signal: this.options.signal,
      })
      const feed = parseFeed(fetched.text, fetched.contentType, fetched.finalUrl)
      result.feedTitle = feed.title || null
      result.skippedEntries = feed.skipped

      const fresh = this.unseen(source.id, feed.entries)
      const pages = await this.readPages(fresh)
      const now = this.now().toISOString()
      const drafts: { guid: string; item: Item }[] = []
      for (const [index, entry] of fresh.entries()) {
        const draft = entryToDraftItem(entry, {
          feedTitle: feed.title,
          feedUrl: fetched.finalUrl,
          authorId: source.authorId ?? this.options.authorId,
          objective: source.objective ?? this.options.objective ?? 'awareness',
          topics: source.topics ?? [],
          now,
          openGraph: pages[index],
        })
        if ('item' in draft) drafts.push({ guid: entry.guid, item: draft.item })
        else result.invalidEntries.push({ guid: entry.guid, issues: draft.issues })
      }

      if (drafts.length > 0) {
        try {
          await this.options.onNewItems(
            drafts.map((draft) => draft.item),
            source,
          )
          for (const draft of drafts) this.options.seen.add(source.id, draft.guid)
        } catch (error) {
          // Not (all) marked seen: the next poll offers the same drafts again.
          result.status = 'delivery_failed'
          result.message = `New entries from ${feed.title || source.url} could not be saved: ${
            error instanceof Error ? error.message : String(error)
          }`
          return result
        }
        result.newItems = drafts.length
      }
    } catch (error) {
      result.status = error instanceof FeedError ? error.code : 'parse'
      result.message =
        error instanceof FeedError
          ? error.message
          : `The feed at ${source.url} could not be read: ${error instanceof Error ? error.message : String(error)}`
    } finally {
      result.lastPolledAt = this.now().toISOString()
    }
    return result
  }

  /** Entries not delivered before, once each even if the feed repeats a guid. */
  private unseen(sourceId: string, entries: readonly FeedEntry[]): FeedEntry[] {
    const batch = new Set<string>()
    return entries.filter((entry) => {
      if (batch.has(entry.guid) || this.options.seen.has(sourceId, entry.guid)) return false
      batch.add(entry.guid)
      return true
    })
  }

  /** Open Graph for the first new entries; a page that fails just leaves its entry as it is. */
  private readPages(entries: readonly FeedEntry[]): Promise<(OpenGraph | undefined)[]> {
    const settings = this.openGraph
    if (settings === false) return Promise.resolve(entries.map(() => undefined))
    return Promise.all(
      entries.map((entry, index) =>
        index >= settings.maxPerPoll
          ? Promise.resolve(undefined)
          : this.pages.run(() => this.readPage(entry.link, settings)),
      ),
    )
  }

  private async readPage(
    url: string,
    settings: Required<OpenGraphOptions>,
  ): Promise<OpenGraph | undefined> {
    try {
      const page = await fetchLimited(url, {
        timeoutMs: settings.timeoutMs,
        maxBytes: settings.maxBytes,
        overflow: 'truncate',
        what: 'page',
        accept: HTML_ACCEPT,
        fetchImpl: this.options.fetchImpl,
        signal: this.options.signal,
      })
      if (page.contentType !== '' && !/html/i.test(page.contentType)) return undefined
      return readOpenGraph(page.text, page.finalUrl)
    } catch {
      return undefined
    }
  }
}
