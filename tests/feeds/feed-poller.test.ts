import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { readItems } from '../../common/doc/queue-doc'
import { Item } from '../../common/model/item'
import { addFeedEntriesToQueue } from '../../main/core/feeds/add-to-queue'
import {
  FeedPoller,
  type FeedPollerOptions,
  type FeedPollResult,
  type FeedSource,
} from '../../main/core/feeds/feed-poller'
import type { FetchImpl } from '../../main/core/feeds/fetch'
import { MemorySeenStore, SqliteSeenStore } from '../../main/core/feeds/seen-store'
import {
  type FixtureServer,
  file,
  fixture,
  hugeFeed,
  silent,
  startFixtureServer,
  trickle,
} from './fixture-server'

const AUTHOR = 'user_champion1'

/** Tests never leave 127.0.0.1: links to other hosts in fixtures fail like an offline network. */
const localOnly: FetchImpl = (input, init) => {
  if (new URL(input).hostname !== '127.0.0.1') {
    return Promise.reject(new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } }))
  }
  return fetch(input, init)
}

let server: FixtureServer
/** Extra <item>s appended to /rss.xml, to simulate the feed gaining entries. */
let extraRssItems = ''

beforeAll(async () => {
  server = await startFixtureServer({
    '/rss.xml': (_req, res, origin) => {
      const body = fixture('rss2.xml', origin).replace('</channel>', `${extraRssItems}</channel>`)
      res.writeHead(200, { 'content-type': 'application/rss+xml' })
      res.end(body)
    },
    '/atom.xml': file('atom.xml', 'application/atom+xml'),
    '/feed.json': file('feed.json', 'application/feed+json'),
    '/broken.xml': file('broken.xml', 'application/rss+xml'),
    // Declared length: rejected before download, so the result cannot depend on machine load.
    '/huge.xml': hugeFeed(20, true),
    '/slow.xml': trickle(),
    '/silent.xml': silent(),
    '/article': file('article.html', 'text/html; charset=utf-8'),
  })
})

afterAll(async () => {
  await server.close()
})

function sourcesFor(names: string[]): FeedSource[] {
  return names.map((name) => ({
    id: `src_${name.replace(/\W/g, '_')}`,
    url: `${server.origin}/${name}`,
  }))
}

function poller(overrides: Partial<FeedPollerOptions> & Pick<FeedPollerOptions, 'onNewItems'>) {
  return new FeedPoller({
    seen: new MemorySeenStore(),
    authorId: AUTHOR,
    // Generous enough for valid local feeds on a loaded machine; slow ones still fail fast.
    timeoutMs: 1_500,
    maxBytes: 2 * 1024 * 1024,
    openGraph: { timeoutMs: 1_500 },
    fetchImpl: localOnly,
    now: () => new Date('2026-11-24T23:00:00.000Z'),
    ...overrides,
  })
}

function byId(results: FeedPollResult[]): Record<string, FeedPollResult> {
  return Object.fromEntries(results.map((r) => [r.sourceId, r]))
}

describe('FeedPoller', () => {
  it('delivers valid entries exactly once while broken, huge and slow feeds report clear errors', async () => {
    extraRssItems = ''
    const db = new Database(':memory:')
    const seen = new SqliteSeenStore(db)
    const doc = new Y.Doc()
    const delivered: Item[] = []
    const feeds = poller({
      seen,
      onNewItems: (items) => {
        delivered.push(...items)
        addFeedEntriesToQueue(doc, items)
      },
    })
    const sources = sourcesFor([
      'rss.xml',
      'atom.xml',
      'feed.json',
      'broken.xml',
      'huge.xml',
      'slow.xml',
      'silent.xml',
      'gone.xml',
    ])

    const first = byId(await feeds.poll(sources))
    expect(first.src_rss_xml).toMatchObject({
      status: 'ok',
      message: null,
      newItems: 3,
      skippedEntries: 2,
    })
    expect(first.src_rss_xml?.feedTitle).toBe('Acme & Co. Newsroom')
    expect(first.src_atom_xml).toMatchObject({ status: 'ok', newItems: 2, skippedEntries: 1 })
    expect(first.src_feed_json).toMatchObject({ status: 'ok', newItems: 2, skippedEntries: 1 })
    expect(first.src_broken_xml?.status).toBe('parse')
    expect(first.src_broken_xml?.message).toMatch(/^The feed at .*\/broken\.xml is not valid XML/)
    expect(first.src_huge_xml?.status).toBe('too_large')
    expect(first.src_huge_xml?.message).toContain('is larger than 2 MB')
    expect(first.src_slow_xml?.status).toBe('timeout')
    expect(first.src_silent_xml?.status).toBe('timeout')
    expect(first.src_silent_xml?.message).toBe(
      `The feed at ${server.origin}/silent.xml did not answer within 1.5 s.`,
    )
    expect(first.src_gone_xml?.status).toBe('http_status')
    for (const result of Object.values(first)) {
      expect(result.lastPolledAt).toBe('2026-11-24T23:00:00.000Z')
    }

    // Every draft is a valid Item, third-party, awareness, authored by the poller's champion.
    expect(delivered).toHaveLength(7)
    for (const item of delivered) {
      expect(Item.parse(item)).toEqual(item)
      expect(item).toMatchObject({
        status: 'draft',
        sourceKind: 'third-party',
        objective: 'awareness',
        authorId: AUTHOR,
        captions: {},
        approverId: null,
      })
      expect(item.title).not.toMatch(/<\s*(img|script)/i)
    }
    expect(new Set(delivered.map((i) => i.url)).size).toBe(7)
    expect(readItems(doc).items).toHaveLength(7)

    // Open Graph enrichment: the RSS entry pointing at /article got the page's title and image
    // (the feed's own enclosure wins for the image).
    const article = delivered.find((i) => i.url === `${server.origin}/article`)
    expect(article).toMatchObject({
      title: 'Launch day & what it means',
      source: 'Acme & Co. Newsroom',
      imageUrl: `${server.origin}/images/launch.jpg`,
      why: 'Café & croissants — bold news Second paragraph.',
    })

    // Second poll: nothing new.
    const second = byId(await feeds.poll(sources))
    expect(second.src_rss_xml).toMatchObject({ status: 'ok', newItems: 0 })
    expect(second.src_atom_xml).toMatchObject({ status: 'ok', newItems: 0 })
    expect(second.src_feed_json).toMatchObject({ status: 'ok', newItems: 0 })
    expect(delivered).toHaveLength(7)

    // The RSS feed gains one entry: the third poll delivers exactly that one.
    extraRssItems = `<item><title>Fresh news</title><link>${server.origin}/posts/fresh</link><guid isPermaLink="false">acme-fresh</guid></item>`
    const third = byId(await feeds.poll(sources))
    expect(third.src_rss_xml).toMatchObject({ status: 'ok', newItems: 1 })
    expect(third.src_atom_xml?.newItems).toBe(0)
    expect(delivered).toHaveLength(8)
    expect(delivered[7]).toMatchObject({ title: 'Fresh news', url: `${server.origin}/posts/fresh` })
    expect(readItems(doc).items).toHaveLength(8)

    // A restarted core with the same database still knows what it has seen.
    const restarted = poller({
      seen: new SqliteSeenStore(db),
      onNewItems: (items) => delivered.push(...items),
    })
    const afterRestart = await restarted.poll(sourcesFor(['rss.xml', 'atom.xml', 'feed.json']))
    expect(afterRestart.map((r) => r.newItems)).toEqual([0, 0, 0])
    expect(delivered).toHaveLength(8)
    db.close()
    extraRssItems = ''
  })

  it('offers drafts again when handing them over failed', async () => {
    let fail = true
    const delivered: Item[] = []
    const feeds = poller({
      openGraph: false,
      onNewItems: (items) => {
        if (fail) throw new Error('disk full')
        delivered.push(...items)
      },
    })
    const [failed] = await feeds.poll(sourcesFor(['feed.json']))
    expect(failed).toMatchObject({ status: 'delivery_failed', newItems: 0 })
    expect(failed?.message).toContain('disk full')
    fail = false
    const [retried] = await feeds.poll(sourcesFor(['feed.json']))
    expect(retried).toMatchObject({ status: 'ok', newItems: 2 })
    expect(delivered).toHaveLength(2)
  })

  it('reports entries that cannot become valid items and uses source settings', async () => {
    const delivered: Item[] = []
    const feeds = poller({ openGraph: false, onNewItems: (items) => delivered.push(...items) })
    const [json] = sourcesFor(['feed.json'])
    const [invalid] = await feeds.poll([{ ...(json as FeedSource), topics: [''] }])
    expect(invalid?.status).toBe('ok')
    expect(invalid?.invalidEntries).toHaveLength(2)
    expect(invalid?.invalidEntries[0]?.guid).toBe('json-1')
    expect(invalid?.invalidEntries[0]?.issues.join()).toContain('topics.0')
    expect(delivered).toHaveLength(0)

    const [ok] = await feeds.poll([
      { ...(json as FeedSource), objective: 'talent', topics: ['hiring'], authorId: 'user_other' },
    ])
    expect(ok?.newItems).toBe(2)
    expect(delivered[0]).toMatchObject({
      objective: 'talent',
      topics: ['hiring'],
      authorId: 'user_other',
      source: 'Acme JSON',
    })
  })

  it('fetches Open Graph pages at most two at a time and ignores failing pages', async () => {
    let active = 0
    let maxActive = 0
    const links: string[] = []
    for (let i = 0; i < 6; i++) {
      const path = `/page${i}`
      links.push(`${server.origin}${path}`)
      server.routes.set(path, (_req, res) => {
        active++
        maxActive = Math.max(maxActive, active)
        setTimeout(() => {
          active--
          if (i === 3) {
            res.writeHead(500)
            res.end()
            return
          }
          res.writeHead(200, { 'content-type': 'text/html' })
          res.end(`<meta property="og:image" content="/img/${i}.png">`)
        }, 30)
      })
    }
    const items = links.map((url, i) => ({ id: `p${i}`, url, title: `Page ${i}` }))
    server.routes.set('/pages.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/feed+json' })
      res.end(JSON.stringify({ version: 'https://jsonfeed.org/version/1.1', title: '', items }))
    })
    const delivered: Item[] = []
    const feeds = poller({ onNewItems: (batch) => delivered.push(...batch) })
    const [result] = await feeds.poll([{ id: 'src_pages', url: `${server.origin}/pages.json` }])
    expect(result?.newItems).toBe(6)
    expect(maxActive).toBe(2)
    expect(delivered.map((i) => i.imageUrl)).toEqual(
      [0, 1, 2, 3, 4, 5].map((i) => (i === 3 ? null : `${server.origin}/img/${i}.png`)),
    )
    // Untitled feed: the source falls back to the hostname.
    expect(delivered[0]?.source).toBe('127.0.0.1')
  })

  it('fetches no more than maxPerPoll pages per source and poll', async () => {
    const before = ['/page0', '/page1', '/page2', '/page3', '/page4', '/page5'].map(
      (p) => server.hits.get(p) ?? 0,
    )
    const feeds = poller({ openGraph: { maxPerPoll: 2 }, onNewItems: () => undefined })
    await feeds.poll([{ id: 'src_pages_2', url: `${server.origin}/pages.json` }])
    const after = ['/page0', '/page1', '/page2', '/page3', '/page4', '/page5'].map(
      (p) => server.hits.get(p) ?? 0,
    )
    expect(after.map((n, i) => n - (before[i] ?? 0))).toEqual([1, 1, 0, 0, 0, 0])
  })

  it('shares a poll already running for the same source', async () => {
    let calls = 0
    const feeds = poller({
      openGraph: false,
      onNewItems: () => {
        calls++
      },
    })
    const [source] = sourcesFor(['atom.xml'])
    const [a, b] = await Promise.all([
      feeds.pollOne(source as FeedSource),
      feeds.pollOne(source as FeedSource),
    ])
    expect(a).toBe(b)
    expect(calls).toBe(1)
  })
})
