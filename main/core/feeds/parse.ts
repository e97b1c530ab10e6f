import { XMLParser, XMLValidator } from 'fast-xml-parser'
import { displayUrl, FeedError } from './errors'
import { htmlToText, normalizeText, resolveHttpUrl, toIsoDate, truncateText } from './text'

/** One entry of a feed, already reduced to plain text and absolute http(s) links. */
export type FeedEntry = {
  /** Stable id across polls: RSS guid, Atom id or JSON Feed id, else the link. */
  guid: string
  title: string
  link: string
  summary: string
  imageUrl: string | null
  publishedAt: string | null
}

export type FeedFormat = 'rss' | 'rdf' | 'atom' | 'json'

export type ParsedFeed = {
  format: FeedFormat
  title: string
  entries: FeedEntry[]
  /** Entries left out because they had no usable http(s) link. */
  skipped: number
}

export const SUMMARY_MAX_CHARS = 500
const TITLE_MAX_CHARS = 300
const GUID_MAX_CHARS = 2048

type XmlNode = { [key: string]: unknown }

function isNode(value: unknown): value is XmlNode {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function list(value: unknown): unknown[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}

/** The text of an element, whether the parser gave a bare string or a node with attributes. */
function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value
  if (typeof first === 'string') return first
  if (typeof first === 'number' || typeof first === 'boolean') return String(first)
  if (isNode(first)) {
    const text = first['#text']
    if (typeof text === 'string') return text
    if (typeof text === 'number') return String(text)
  }
  return undefined
}

function attr(value: unknown, name: string): string | undefined {
  const first = Array.isArray(value) ? value[0] : value
  if (!isNode(first)) return undefined
  const found = first[`@_${name}`]
  return typeof found === 'string' ? found : undefined
}

/** All descendant text of a node, for Atom's type="xhtml" which arrives as parsed elements. */
function allText(value: unknown): string {
  if (typeof value === 'string') return value
  if (typeof value === 'number') return String(value)
  if (Array.isArray(value)) return value.map(allText).join(' ')
  if (!isNode(value)) return ''
  return Object.entries(value)
    .filter(([key]) => !key.startsWith('@_'))
    .map(([, child]) => allText(child))
    .join(' ')
}

/** A value that RSS treats as HTML in practice (publishers routinely escape markup into it). */
function htmlValue(value: unknown): string {
  const raw = textOf(value)
  return raw === undefined ? '' : htmlToText(raw)
}

/** Atom text constructs say what they hold: text is literal, html and xhtml are stripped. */
function atomText(value: unknown): string {
  const type = attr(value, 'type') ?? 'text'
  if (type === 'xhtml') {
    return normalizeText(allText(Array.isArray(value) ? value[0] : value))
  }
  const raw = textOf(value)
  if (raw === undefined) return ''
  return type === 'html' || type === 'text/html' ? htmlToText(raw) : normalizeText(raw)
}

/** Decode XML character data by hand: CDATA kept verbatim, the five XML entities and numeric ones. */
function decodeXmlText(raw: string): string {
  return raw
    .split(/(<!\[CDATA\[[\s\S]*?\]\]>)/)
    .map((part) =>
      part.startsWith('<![CDATA[')
        ? part.slice(9, -3)
        : part.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos);/gi, (whole, name: string) => {
            const lower = name.toLowerCase()
            if (lower.startsWith('#')) {
              const code = lower.startsWith('#x')
                ? Number.parseInt(lower.slice(2), 16)
                : Number.parseInt(lower.slice(1), 10)
              return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : ''
            }
            return XML_ENTITIES[lower] ?? whole
          }),
    )
    .join('')
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }

/**
 * Atom summary and content arrive raw (they are "stop nodes", so xhtml keeps its word order):
 * xhtml is markup already, html is escaped markup, text is literal.
 */
function atomRawText(value: unknown): string {
  const raw = textOf(value)
  if (raw === undefined) return ''
  const type = attr(value, 'type') ?? 'text'
  if (type === 'xhtml') return htmlToText(raw)
  const decoded = decodeXmlText(raw)
  return type === 'html' || type === 'text/html' ? htmlToText(decoded) : normalizeText(decoded)
}

const IMAGE_EXTENSION = /\.(?:jpe?g|png|gif|webp|avif)(?:[?#]|$)/i

function looksLikeImage(url: string, type: string | undefined, medium: string | undefined) {
  if (medium !== undefined) return medium === 'image'
  if (type !== undefined) return type.toLowerCase().startsWith('image/')
  return IMAGE_EXTENSION.test(url)
}

/** The first image among RSS enclosures, Media RSS content/thumbnails and iTunes artwork. */
function mediaImage(node: XmlNode, base: string): string | null {
  for (const enclosure of list(node.enclosure)) {
    const url = attr(enclosure, 'url')
    if (url !== undefined && looksLikeImage(url, attr(enclosure, 'type'), undefined)) {
      const resolved = resolveHttpUrl(url, base)
      if (resolved !== null) return resolved
    }
  }
  for (const content of list(node['media:content'])) {
    const url = attr(content, 'url')
    if (url !== undefined && looksLikeImage(url, attr(content, 'type'), attr(content, 'medium'))) {
      const resolved = resolveHttpUrl(url, base)
      if (resolved !== null) return resolved
    }
  }
  for (const thumbnail of list(node['media:thumbnail'])) {
    const resolved = resolveHttpUrl(attr(thumbnail, 'url'), base)
    if (resolved !== null) return resolved
  }
  for (const group of list(node['media:group'])) {
    if (isNode(group)) {
      const resolved = mediaImage(group, base)
      if (resolved !== null) return resolved
    }
  }
  const itunes = resolveHttpUrl(attr(node['itunes:image'], 'href'), base)
  if (itunes !== null) return itunes
  return null
}

type RawEntry = {
  guid: string | undefined
  title: string
  link: string | null
  summary: string
  imageUrl: string | null
  publishedAt: string | null
}

/** Apply the rules shared by every format: a usable link, a stable guid, bounded text. */
function finish(raw: RawEntry[]): { entries: FeedEntry[]; skipped: number } {
  const entries: FeedEntry[] = []
  let skipped = 0
  for (const entry of raw) {
    if (entry.link === null) {
      skipped++
      continue
    }
    const guid = normalizeText(entry.guid ?? '').slice(0, GUID_MAX_CHARS) || entry.link
    const summary = truncateText(entry.summary, SUMMARY_MAX_CHARS)
    // A title is required downstream; an untitled entry (legal in RSS) borrows its summary's start.
    const title = truncateText(
      entry.title || truncateText(summary, 120) || entry.link,
      TITLE_MAX_CHARS,
    )
    entries.push({
      guid,
      title,
      link: entry.link,
      summary,
      imageUrl: entry.imageUrl,
      publishedAt: entry.publishedAt,
    })
  }
  return { entries, skipped }
}

function rssItem(item: XmlNode, base: string): RawEntry {
  const guidNode = item.guid
  const guid = textOf(guidNode)
  let link = resolveHttpUrl(textOf(item.link), base)
  // RSS 2.0: a guid is a permalink unless it says isPermaLink="false".
  if (link === null && guid !== undefined && attr(guidNode, 'isPermaLink') !== 'false') {
    link = resolveHttpUrl(guid, base)
  }
  return {
    guid: guid ?? attr(item, 'rdf:about'),
    title: htmlValue(item.title),
    link,
    summary: htmlValue(item.description) || htmlValue(item['content:encoded']),
    imageUrl: mediaImage(item, base),
    publishedAt: toIsoDate(textOf(item.pubDate) ?? textOf(item['dc:date'])),
  }
}

function parseRss(channel: XmlNode, items: unknown[], feedUrl: string, format: FeedFormat) {
  const raw = items.filter(isNode).map((item) => rssItem(item, feedUrl))
  return { format, title: truncateText(htmlValue(channel.title), 200), ...finish(raw) }
}

function xmlBase(node: XmlNode, parentBase: string): string {
  const declared = attr(node, 'xml:base')
  if (declared === undefined) return parentBase
  try {
    return new URL(declared, parentBase).href
  } catch {
    return parentBase
  }
}

function atomChild(node: XmlNode, name: string): unknown {
  return node[name] ?? node[`atom:${name}`]
}

/** The entry's page: rel="alternate" (the default rel), preferring an HTML one. */
function atomLink(node: XmlNode, base: string, rel: string): string | null {
  const candidates = list(atomChild(node, 'link')).filter(
    (link) => (attr(link, 'rel') ?? 'alternate') === rel,
  )
  const html = candidates.find((link) => (attr(link, 'type') ?? 'text/html').includes('html'))
  for (const link of html === undefined ? candidates : [html, ...candidates]) {
    const linkBase = isNode(link) ? xmlBase(link, base) : base
    const resolved = resolveHttpUrl(attr(link, 'href'), linkBase)
    if (resolved !== null) return resolved
  }
  return null
}

function atomImage(entry: XmlNode, base: string): string | null {
  for (const link of list(atomChild(entry, 'link'))) {
    if (attr(link, 'rel') === 'enclosure') {
      const href = attr(link, 'href')
      if (href !== undefined && looksLikeImage(href, attr(link, 'type'), undefined)) {
        const resolved = resolveHttpUrl(href, base)
        if (resolved !== null) return resolved
      }
    }
  }
  return mediaImage(entry, base)
}

function parseAtom(feed: XmlNode, feedUrl: string): ParsedFeed {
  const feedBase = xmlBase(feed, feedUrl)
  const raw = list(atomChild(feed, 'entry'))
    .filter(isNode)
    .map((entry): RawEntry => {
      const base = xmlBase(entry, feedBase)
      const content = atomChild(entry, 'content')
      return {
        guid: textOf(atomChild(entry, 'id')),
        title: atomText(atomChild(entry, 'title')),
        link: atomLink(entry, base, 'alternate'),
        // Out-of-line content (src="…") has no text to show.
        summary:
          atomRawText(atomChild(entry, 'summary')) ||
          (attr(content, 'src') === undefined ? atomRawText(content) : ''),
        imageUrl: atomImage(entry, base),
        publishedAt: toIsoDate(
          textOf(atomChild(entry, 'published')) ?? textOf(atomChild(entry, 'updated')),
        ),
      }
    })
  return {
    format: 'atom',
    title: truncateText(atomText(atomChild(feed, 'title')), 200),
    ...finish(raw),
  }
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined
}

/** JSON Feed 1.0/1.1: `title` and `summary` are plain text, `content_html` is HTML. */
function parseJsonFeed(text: string, feedUrl: string): ParsedFeed {
  let data: unknown
  try {
    data = JSON.parse(text)
  } catch (cause) {
    throw new FeedError(
      'parse',
      `The feed at ${displayUrl(feedUrl)} is not valid JSON; check that the address points to a feed.`,
      { cause },
    )
  }
  if (
    !isNode(data) ||
    !str(data.version)?.startsWith('https://jsonfeed.org/version/') ||
    !Array.isArray(data.items)
  ) {
    throw new FeedError(
      'parse',
      `The address ${displayUrl(feedUrl)} returns JSON that is not a JSON Feed.`,
    )
  }
  const raw = data.items.filter(isNode).map((item): RawEntry => {
    const id = item.id
    return {
      guid: typeof id === 'string' || typeof id === 'number' ? String(id) : undefined,
      title: normalizeText(str(item.title) ?? ''),
      link:
        resolveHttpUrl(str(item.url), feedUrl) ?? resolveHttpUrl(str(item.external_url), feedUrl),
      summary:
        normalizeText(str(item.summary) ?? '') ||
        normalizeText(str(item.content_text) ?? '') ||
        htmlToText(str(item.content_html) ?? ''),
      imageUrl:
        resolveHttpUrl(str(item.image), feedUrl) ?? resolveHttpUrl(str(item.banner_image), feedUrl),
      publishedAt: toIsoDate(str(item.date_published) ?? str(item.date_modified)),
    }
  })
  return {
    format: 'json',
    title: truncateText(normalizeText(str(data.title) ?? ''), 200),
    ...finish(raw),
  }
}

/**
 * Entity expansion is bounded (billion laughs), external entities are refused by the parser, and
 * values stay strings (a numeric guid "0012" must not become 12).
 */
const xmlParser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // Kept raw so that Atom xhtml content keeps its word order (see atomRawText).
  stopNodes: [
    '*.entry.summary',
    '*.entry.content',
    '*.atom:entry.atom:summary',
    '*.atom:entry.atom:content',
  ],
  // Numeric references (&#8217;) are decoded once, here, like the XML entities.
  htmlEntities: true,
  processEntities: {
    enabled: true,
    maxEntitySize: 10_000,
    maxEntityCount: 50,
    maxExpandedLength: 200_000,
  },
})

function parseXml(text: string, feedUrl: string): ParsedFeed {
  const url = displayUrl(feedUrl)
  const validation = XMLValidator.validate(text)
  if (validation !== true) {
    const { line, msg } = validation.err
    throw new FeedError('parse', `The feed at ${url} is not valid XML (line ${line}: ${msg}).`)
  }
  let document: unknown
  try {
    document = xmlParser.parse(text)
  } catch (cause) {
    const detail = cause instanceof Error ? cause.message.replace(/^\[\w+\]\s*/, '') : ''
    throw new FeedError('parse', `The feed at ${url} could not be read safely (${detail}).`, {
      cause,
    })
  }
  if (!isNode(document)) throw new FeedError('parse', `The feed at ${url} is empty.`)

  const rss = document.rss
  if (isNode(rss)) {
    const channel = list(rss.channel).find(isNode) ?? {}
    return parseRss(channel, list(channel.item), feedUrl, 'rss')
  }
  const rdfKey = Object.keys(document).find((key) => key === 'RDF' || key.endsWith(':RDF'))
  const rdf = rdfKey === undefined ? undefined : document[rdfKey]
  if (isNode(rdf)) {
    // RSS 1.0 keeps items next to the channel, not inside it.
    const channel = list(rdf.channel).find(isNode) ?? {}
    return parseRss(channel, list(rdf.item), feedUrl, 'rdf')
  }
  const atom = document.feed ?? document['atom:feed']
  if (isNode(atom)) return parseAtom(atom, feedUrl)
  throw new FeedError('parse', `The address ${url} returns XML that is not an RSS or Atom feed.`)
}

/**
 * Read an RSS 2.0, RSS 1.0 (RDF), Atom 1.0 or JSON Feed document. The format is recognised from
 * the content (Content-Type headers are often wrong); relative links resolve against `baseUrl`
 * (and Atom's xml:base). Throws FeedError('parse') with a readable message.
 */
export function parseFeed(text: string, contentType: string, baseUrl: string): ParsedFeed {
  const body = text.replace(/^\uFEFF/, '').trimStart()
  const type = contentType.toLowerCase()
  if (body.startsWith('{') || (type.includes('json') && !body.startsWith('<'))) {
    return parseJsonFeed(body, baseUrl)
  }
  if (/^(?:<!--[\s\S]*?-->\s*)*<(?:!doctype\s+html|html[\s>])/i.test(body)) {
    throw new FeedError(
      'parse',
      `The address ${displayUrl(baseUrl)} is a web page, not a feed; look for the site's RSS, Atom or JSON Feed link.`,
    )
  }
  if (!body.startsWith('<')) {
    throw new FeedError(
      'parse',
      `The address ${displayUrl(baseUrl)} does not return a feed (RSS, Atom or JSON Feed).`,
    )
  }
  return parseXml(body, baseUrl)
}
