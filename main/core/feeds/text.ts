import { Parser } from 'htmlparser2'

/**
 * Everything taken from a feed or a web page ends up as plain text: markup is stripped (or kept as
 * literal characters when the source says the value is text), entities are decoded, whitespace is
 * collapsed and control characters are dropped. The studio renders these strings as text only.
 */

/** Elements whose content is never readable prose (and must never leak into a summary). */
const SKIPPED_ELEMENTS = new Set([
  'script',
  'style',
  'noscript',
  'template',
  'iframe',
  'object',
  'embed',
  'svg',
  'math',
  'head',
  'select',
  'textarea',
])

/** Elements that separate words visually; without a space "<p>a</p><p>b</p>" would read "ab". */
const BREAKING_ELEMENTS = new Set([
  'br',
  'p',
  'div',
  'li',
  'ul',
  'ol',
  'tr',
  'td',
  'th',
  'h1',
  'h2',
  'h3',
  'h4',
  'h5',
  'h6',
  'blockquote',
  'pre',
  'hr',
  'figure',
  'figcaption',
  'section',
  'article',
  'header',
  'footer',
  'img',
])

// C0/C1 controls (tab, newline and carriage return are whitespace and collapsed later).
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/g

/** Collapse whitespace and drop control characters from text that is already plain. */
export function normalizeText(value: string): string {
  return value.replace(CONTROL_CHARACTERS, '').replace(/\s+/g, ' ').trim()
}

/** Turn an HTML fragment into plain text: tags removed, entities decoded, scripts dropped. */
export function htmlToText(html: string): string {
  if (!html.includes('<') && !html.includes('&')) return normalizeText(html)
  const parts: string[] = []
  let skipDepth = 0
  const parser = new Parser(
    {
      onopentag(name) {
        if (SKIPPED_ELEMENTS.has(name)) skipDepth++
        else if (BREAKING_ELEMENTS.has(name)) parts.push(' ')
      },
      onclosetag(name) {
        if (SKIPPED_ELEMENTS.has(name)) skipDepth = Math.max(0, skipDepth - 1)
        else if (BREAKING_ELEMENTS.has(name)) parts.push(' ')
      },
      ontext(text) {
        if (skipDepth === 0) parts.push(text)
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeCDATA: true, recognizeSelfClosing: true },
  )
  parser.write(html)
  parser.end()
  return normalizeText(parts.join(''))
}

/** Shorten to at most `max` characters (code points), at a word boundary when one is near. */
export function truncateText(value: string, max: number): string {
  const chars = Array.from(value)
  if (chars.length <= max) return value
  const cut = chars.slice(0, max - 1).join('')
  const lastSpace = cut.lastIndexOf(' ')
  const base = lastSpace > cut.length * 0.6 ? cut.slice(0, lastSpace) : cut
  return `${base.trimEnd()}…`
}

/**
 * Resolve a possibly relative link against a base and keep it only if it is http(s) and not
 * absurdly long: anything else (javascript:, data:, file:) could run code or leak when opened.
 */
export function resolveHttpUrl(raw: string | undefined, base: string | undefined): string | null {
  if (raw === undefined) return null
  const trimmed = raw.trim()
  if (trimmed === '') return null
  try {
    const url = base === undefined ? new URL(trimmed) : new URL(trimmed, base)
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return null
    if (url.href.length > 2048) return null
    return url.href
  } catch {
    return null
  }
}

/** A date as ISO-8601, or null when the feed's date cannot be read. */
export function toIsoDate(raw: string | undefined): string | null {
  if (raw === undefined) return null
  const trimmed = raw.trim()
  if (trimmed === '') return null
  const time = Date.parse(trimmed)
  if (Number.isNaN(time)) return null
  const date = new Date(time)
  // Years outside 0000-9999 would not survive the ISO/zod round trip.
  const year = date.getUTCFullYear()
  if (year < 1970 || year > 9999) return null
  return date.toISOString()
}
