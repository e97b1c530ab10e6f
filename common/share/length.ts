import type { Network } from '../model/networks'
import { postedText } from './posted-text'

export interface Measure {
  /** Length as the network counts it. */
  used: number
  /** The network's limit; `null` when there is none (e-mail). */
  limit: number | null
  /** `limit - used` (negative when over); `null` when there is no limit. */
  remaining: number | null
  over: boolean
}

/**
 * Post length limits. X, Bluesky and Mastodon are the networks' documented defaults (a Mastodon
 * server may raise its own; 500 is upstream's). LinkedIn's 3,000 is the post commentary limit;
 * Facebook's 63,206 and WhatsApp's 65,536 are the commonly cited message limits.
 */
export const LIMITS: Readonly<Record<Network, number | null>> = {
  x: 280,
  linkedin: 3000,
  bluesky: 300,
  mastodon: 500,
  facebook: 63_206,
  whatsapp: 65_536,
  email: null,
}

/** What X (t.co) and Mastodon count for any link, whatever its real length. */
export const URL_WEIGHT = 23

// Built on first use, like X_TOKENS below: a window that only lists the queue never measures a
// caption, and the two cost ~0.1 s of the popover's start in Chromium (issue 7.8's profile).
let graphemes: Intl.Segmenter | undefined

export function countGraphemes(text: string): number {
  graphemes ??= new Intl.Segmenter(undefined, { granularity: 'grapheme' })
  let count = 0
  for (const _ of graphemes.segment(text)) count++
  return count
}

/**
 * Links written with a scheme, preceded by the start, a space or "(" — the links that X,
 * Mastodon and Bluesky all recognise. Trailing punctuation is not part of the link, as in
 * twitter-text and Bluesky's link detection.
 */
interface Link {
  start: number
  end: number
  url: string
}

function findLinks(text: string): Link[] {
  const links: Link[] = []
  for (const match of text.matchAll(/(^|[\s(])(https?:\/\/[^\s<>"]+)/giu)) {
    let url = match[2] ?? ''
    url = url.replace(/[.,;:!?'’”»…]+$/u, '')
    // A closing parenthesis belongs to the link only if the link opened one.
    while (url.endsWith(')') && (url.match(/\(/g)?.length ?? 0) < (url.match(/\)/g)?.length ?? 0)) {
      url = url.slice(0, -1).replace(/[.,;:!?'’”»…]+$/u, '')
    }
    const start = (match.index ?? 0) + (match[1]?.length ?? 0)
    links.push({ start, end: start + url.length, url })
  }
  return links
}

/** Replace each link by what the network counts in its place. */
function replaceLinks(text: string, replacement: (url: string) => string): string {
  let out = ''
  let at = 0
  for (const link of findLinks(text)) {
    out += text.slice(at, link.start) + replacement(link.url)
    at = link.end
  }
  return out + text.slice(at)
}

/*
 * X: twitter-text v3 (config/v3.json). Code points in these ranges weigh 1, every other code
 * point 2 (CJK, most emoji…); an emoji sequence (ZWJ family, flag, keycap, skin tone) weighs 2 as
 * a whole; every link weighs 23. Text is NFC-normalised first, as twitter-text does.
 */
const X_LIGHT_RANGES: ReadonlyArray<readonly [number, number]> = [
  [0x0000, 0x10ff],
  [0x2000, 0x200d],
  [0x2010, 0x201f],
  [0x2032, 0x2037],
]

function xCodePointWeight(codePoint: number): number {
  for (const [start, end] of X_LIGHT_RANGES) if (codePoint >= start && codePoint <= end) return 1
  return 2
}

// RGI_Emoji needs the `v` flag (ES2024); built at run time because the project targets ES2023.
// Longest sequences match first, so a ZWJ family is one token.
// V8 builds the whole emoji set when the pattern is constructed (~50 ms): on first use only.
let xTokens: RegExp | undefined
function X_TOKENS(): RegExp {
  // biome-ignore lint/complexity/useRegexLiterals: the `v` flag is newer than the TypeScript target.
  xTokens ??= new RegExp('(\\p{RGI_Emoji})|[\\s\\S]', 'gv')
  return xTokens
}

/** X's weighted length of a text, links counted as 23. */
export function xLength(text: string): number {
  let weight = 0
  let at = 0
  const normalized = text.normalize('NFC')
  const measurePlain = (plain: string) => {
    for (const token of plain.matchAll(X_TOKENS())) {
      weight += token[1] !== undefined ? 2 : xCodePointWeight(token[0].codePointAt(0) ?? 0)
    }
  }
  for (const link of findLinks(normalized)) {
    measurePlain(normalized.slice(at, link.start))
    weight += URL_WEIGHT
    at = link.end
  }
  measurePlain(normalized.slice(at))
  return weight
}

/**
 * Mastodon's StatusLengthValidator: grapheme clusters, each link with a scheme counted as 23,
 * and a mention of another server's account ("@ana@example.social") counted without its domain.
 */
export function mastodonLength(text: string): number {
  const countable = replaceLinks(text, () => 'x'.repeat(URL_WEIGHT)).replace(
    /(^|[^/\w])@(\w+)@[a-z0-9.-]+[a-z0-9]/giu,
    '$1@$2',
  )
  return countGraphemes(countable)
}

/**
 * Bluesky's own composer shortens each link before counting (and posting): host plus at most
 * 15 characters of path, or 13 and "..." (social-app's `toShortUrl`). Counting the full tracked
 * link would waste half of the 300 graphemes for nothing.
 */
export function blueskyShortLink(url: string): string {
  try {
    const parsed = new URL(url)
    const path = (parsed.pathname === '/' ? '' : parsed.pathname) + parsed.search + parsed.hash
    return path.length > 15 ? `${parsed.host}${path.slice(0, 13)}...` : parsed.host + path
  } catch {
    return url
  }
}

export function blueskyLength(text: string): number {
  return countGraphemes(replaceLinks(text, blueskyShortLink))
}

/** Length as the network counts it, of the text exactly as it will be posted. */
export function networkLength(network: Network, text: string): number {
  switch (network) {
    case 'x':
      return xLength(text)
    case 'mastodon':
      return mastodonLength(text)
    case 'bluesky':
      return blueskyLength(text)
    default:
      // LinkedIn, Facebook, WhatsApp, e-mail: JavaScript string length (UTF-16 units), the
      // safe side of an undocumented count (an emoji may count 2 here and 1 there, never less).
      return text.length
  }
}

/**
 * Measure a caption for a network. With `url`, the link is counted as it will be posted: appended
 * to the text where the network puts it there (X, Bluesky, Mastodon, WhatsApp, e-mail), not at
 * all where it becomes a preview card (LinkedIn, Facebook).
 */
export function measure(network: Network, text: string, url?: string): Measure {
  const used = networkLength(network, postedText(network, text, url))
  const limit = LIMITS[network]
  if (limit === null) return { used, limit, remaining: null, over: false }
  return { used, limit, remaining: limit - used, over: used > limit }
}
