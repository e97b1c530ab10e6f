import { describe, expect, it } from 'vitest'
import { FeedError } from '../../main/core/feeds/errors'
import { parseFeed, SUMMARY_MAX_CHARS } from '../../main/core/feeds/parse'
import { thrownBy } from '../helpers/errors'
import { fixture } from './fixture-server'

const ORIGIN = 'http://feeds.test'

const parseError = (run: () => unknown) => thrownBy(run, FeedError)

/** No tag of any kind may survive in text meant to be shown as plain text. */
function expectNoMarkup(value: string) {
  expect(value).not.toMatch(/<\s*\/?\s*[a-z!]/i)
  expect(value).not.toContain('onerror')
  expect(value).not.toMatch(/alert|steal|evil|pwned/)
}

describe('parseFeed: RSS 2.0', () => {
  const feed = parseFeed(fixture('rss2.xml', ORIGIN), 'application/rss+xml', `${ORIGIN}/rss.xml`)

  it('reads the channel and keeps only entries with an http(s) link', () => {
    expect(feed.format).toBe('rss')
    expect(feed.title).toBe('Acme & Co. Newsroom')
    expect(feed.entries.map((e) => e.guid)).toEqual([
      'acme-1',
      `${ORIGIN}/posts/relative`,
      `${ORIGIN}/posts/permalink`,
    ])
    // javascript: link and no link at all.
    expect(feed.skipped).toBe(2)
  })

  it('turns a CDATA title full of markup into inert plain text', () => {
    const [first] = feed.entries
    expect(first?.title).toBe('Launch day is here & ready')
    for (const entry of feed.entries) {
      expectNoMarkup(entry.title)
      expectNoMarkup(entry.summary)
    }
  })

  it('decodes entities once for the XML and once for escaped HTML', () => {
    const [first, second] = feed.entries
    expect(first?.summary).toBe('Café & croissants — bold news Second paragraph.')
    expect(second?.title).toBe('Relative link ’n’ numeric entities')
  })

  it('resolves relative links and images, keeps only http(s) images, reads dates', () => {
    const [first, second, third] = feed.entries
    expect(first?.link).toBe(`${ORIGIN}/article`)
    expect(first?.imageUrl).toBe(`${ORIGIN}/images/launch.jpg`)
    expect(first?.publishedAt).toBe('2026-11-24T08:30:00.000Z')
    expect(second?.link).toBe(`${ORIGIN}/posts/relative`)
    expect(second?.imageUrl).toBe(`${ORIGIN}/images/rel.png`)
    expect(second?.publishedAt).toBe('2026-11-20T10:00:00.000Z')
    // Link taken from the permalink guid; javascript: thumbnail dropped; content:encoded summary.
    expect(third?.link).toBe(`${ORIGIN}/posts/permalink`)
    expect(third?.imageUrl).toBeNull()
    expect(third?.summary).toBe('Only content:encoded here.')
    expect(third?.publishedAt).toBeNull()
  })

  it('trims long summaries to about 500 characters', () => {
    const long = 'word '.repeat(400)
    const xml = `<rss version="2.0"><channel><title>T</title><item><title>x</title><link>https://a.example/</link><description>${long}</description></item></channel></rss>`
    const [entry] = parseFeed(xml, 'text/xml', 'https://a.example/feed').entries
    expect(entry?.summary.length).toBeLessThanOrEqual(SUMMARY_MAX_CHARS)
    expect(entry?.summary.length).toBeGreaterThan(400)
    expect(entry?.summary.endsWith('…')).toBe(true)
  })
})

describe('parseFeed: Atom 1.0', () => {
  const feed = parseFeed(fixture('atom.xml', ORIGIN), 'application/atom+xml', `${ORIGIN}/atom.xml`)

  it('resolves links with xml:base (feed and entry level)', () => {
    expect(feed.format).toBe('atom')
    expect(feed.entries.map((e) => e.link)).toEqual([
      `${ORIGIN}/blog/posts/scaling`,
      'https://cdn.acme.example/other/page',
    ])
    expect(feed.skipped).toBe(1)
    expect(feed.entries[0]?.imageUrl).toBe(`${ORIGIN}/blog/img/scaling.png`)
  })

  it('strips type="html" and keeps type="text" literal, never as markup', () => {
    const [html, text] = feed.entries
    expect(feed.title).toBe('Engineering <blog>')
    expect(html?.title).toBe('Scaling the relay & more')
    expect(html?.summary).toBe('How we scaled.')
    expect(text?.title).toBe('Literal <b> stays text')
    expect(text?.summary).toBe('XHTML content body')
    expect(html?.guid).toBe('tag:acme.example,2026:scaling')
    expect(html?.publishedAt).toBe('2026-11-22T08:00:00.000Z')
  })

  it('resolves relative links against the feed URL when there is no xml:base', () => {
    const xml = `<feed xmlns="http://www.w3.org/2005/Atom"><title>T</title>
      <entry><id>1</id><title>a</title><link href="../posts/a"/></entry></feed>`
    const feed = parseFeed(xml, 'application/atom+xml', 'https://site.example/feeds/all/atom.xml')
    expect(feed.entries[0]?.link).toBe('https://site.example/feeds/posts/a')
  })
})

describe('parseFeed: JSON Feed 1.1 and RSS 1.0', () => {
  it('reads JSON Feed items, resolving relative URLs and refusing non-http images', () => {
    const feed = parseFeed(
      fixture('feed.json', ORIGIN),
      'application/feed+json',
      `${ORIGIN}/x/feed.json`,
    )
    expect(feed.format).toBe('json')
    expect(feed.title).toBe('Acme JSON')
    expect(feed.skipped).toBe(1)
    const [first, second] = feed.entries
    // JSON Feed titles are plain text: kept literally, never interpreted.
    expect(first?.title).toBe('JSON <b>title</b> is plain text')
    expect(first?.summary).toBe('Hello world & friends')
    expect(first?.imageUrl).toBe(`${ORIGIN}/images/json-1.png`)
    expect(first?.publishedAt).toBe('2026-11-24T10:00:00.000Z')
    expect(second?.guid).toBe('2')
    expect(second?.link).toBe(`${ORIGIN}/x/posts/json-2`)
    expect(second?.imageUrl).toBeNull()
    expect(second?.publishedAt).toBeNull()
  })

  it('detects JSON by content even with a wrong content type', () => {
    const feed = parseFeed(fixture('feed.json', ORIGIN), 'text/plain', `${ORIGIN}/feed.json`)
    expect(feed.entries).toHaveLength(2)
  })

  it('reads RSS 1.0 (RDF) with items beside the channel', () => {
    const feed = parseFeed(
      fixture('rdf.xml'),
      'application/rdf+xml',
      'https://rdf.example/index.rdf',
    )
    expect(feed.format).toBe('rdf')
    expect(feed.title).toBe('RDF Site')
    expect(feed.entries.map((e) => [e.guid, e.link])).toEqual([
      ['https://rdf.example/one', 'https://rdf.example/one'],
      ['https://rdf.example/two', 'https://rdf.example/two'],
    ])
  })
})

describe('parseFeed: hostile and broken input', () => {
  it('rejects malformed XML with a parse error naming the line', () => {
    const error = parseError(() =>
      parseFeed(fixture('broken.xml'), 'application/rss+xml', 'https://b.example/rss'),
    )
    expect(error.code).toBe('parse')
    expect(error.message).toMatch(
      /^The feed at https:\/\/b\.example\/rss is not valid XML \(line \d+/,
    )
  })

  it('survives billion laughs without expanding it', () => {
    const text = fixture('billion-laughs.xml')
    let outcome: string
    try {
      const feed = parseFeed(text, 'application/rss+xml', 'https://laughs.example/rss')
      const sizes = feed.entries.map((e) => e.title.length + e.summary.length)
      // Parsed without expansion: nothing grew anywhere near the 3 GB it would expand to.
      expect(Math.max(feed.title.length, ...sizes)).toBeLessThan(2_000)
      outcome = 'parsed'
    } catch (error) {
      expect(error).toBeInstanceOf(FeedError)
      expect((error as FeedError).code).toBe('parse')
      outcome = 'refused'
    }
    expect(['parsed', 'refused']).toContain(outcome)
  })

  it('caps internal entity expansion (quadratic blowup) with a parse error', () => {
    const big = 'a'.repeat(9_000)
    const xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY big "${big}">]><rss version="2.0"><channel><title>t</title><item><title>x</title><link>https://q.example/</link><description>${'&big;'.repeat(500)}</description></item></channel></rss>`
    const error = parseError(() => parseFeed(xml, 'text/xml', 'https://q.example/rss'))
    expect(error.code).toBe('parse')
  })

  it('refuses external entities', () => {
    const xml = `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><rss version="2.0"><channel><title>&xxe;</title></channel></rss>`
    let title = ''
    try {
      title = parseFeed(xml, 'text/xml', 'https://x.example/rss').title
    } catch (error) {
      expect((error as FeedError).code).toBe('parse')
    }
    expect(title).not.toContain('root:')
  })

  it('accepts an RSS 0.91 feed that references its public DTD (nothing is fetched)', () => {
    const xml = `<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN" "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><item><title>a</title><link>https://old.example/a</link></item></channel></rss>`
    expect(parseFeed(xml, 'text/xml', 'https://old.example/rss').entries).toHaveLength(1)
  })

  it('explains when the address is a web page, plain text or another JSON', () => {
    const page = parseError(() =>
      parseFeed('<!DOCTYPE html><html><body>hi</body></html>', 'text/html', 'https://w.example/'),
    )
    expect(page.code).toBe('parse')
    expect(page.message).toContain('is a web page, not a feed')
    expect(parseError(() => parseFeed('hello', 'text/plain', 'https://w.example/')).code).toBe(
      'parse',
    )
    const json = parseError(() => parseFeed('{"a":1}', 'application/json', 'https://w.example/'))
    expect(json.message).toContain('not a JSON Feed')
    const badJson = parseError(() => parseFeed('{"a":', 'application/json', 'https://w.example/'))
    expect(badJson.message).toContain('not valid JSON')
    const otherXml = parseError(() =>
      parseFeed('<root><a/></root>', 'text/xml', 'https://w.example/'),
    )
    expect(otherXml.message).toContain('not an RSS or Atom feed')
  })
})
