import type { Network } from '../model/networks'
import { ShareError } from './errors'

/** `utm_medium` of every employee share, so analytics can tell these visits from the brand's own. */
export const UTM_MEDIUM = 'employee-advocacy'

/**
 * `utm_campaign` when the item belongs to no campaign: evergreen content (awareness, talent) is
 * still grouped under one readable name instead of leaving the parameter out, so every tracked
 * link carries the same four parameters and reports never show "(not set)".
 */
export const EVERGREEN_CAMPAIGN = 'evergreen'

export interface TrackedUrlOptions {
  network: Network
  /** The campaign's slug or name (made into a slug here); `null` for evergreen content. */
  campaign: string | null
  /** From `newShareId()`; one per share so clicks can be tied to it and to nothing else. */
  shareId: string
}

// Crockford's base32 in lower case: no i, l, o, u, so an id read aloud or retyped stays intact.
const SHARE_ID_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz'
const SHARE_ID_LENGTH = 20 // 20 × 5 bits = 100 bits of randomness.
export const SHARE_ID_PATTERN = /^[0-9a-hjkmnp-tv-z]{20}$/

/**
 * A fresh share id: 100 random bits and nothing else (no clock, no member, no counter), because
 * it is published in a public link and must reveal nothing about who shared it or when.
 */
export function newShareId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(SHARE_ID_LENGTH))
  let id = ''
  // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
  for (const byte of bytes) id += SHARE_ID_ALPHABET[byte & 31]
  return id
}

export function isShareId(value: string): boolean {
  return SHARE_ID_PATTERN.test(value)
}

/** A readable, URL-safe slug: "Lancement Q3 — Événement" → "lancement-q3-evenement". */
export function campaignSlug(campaign: string | null): string {
  if (campaign === null) return EVERGREEN_CAMPAIGN
  const slug = campaign
    .normalize('NFKD')
    .replace(/\p{M}/gu, '') // drop the accents NFKD split off
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60)
    .replace(/-+$/, '')
  return slug === '' ? EVERGREEN_CAMPAIGN : slug
}

const NOT_A_WEB_LINK =
  'This link cannot be shared: only web links starting with http:// or https:// can be shared.'

/**
 * Parse a link that is about to be shared, refusing anything but an absolute http(s) URL.
 * The raw text is checked before the URL parser sees it, because the parser quietly strips
 * tabs, newlines and leading spaces (so "java\tscript:" would become "javascript:").
 */
export function parseWebLink(raw: string): URL {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point.
  if (/[\u0000-\u001f\u007f]/.test(raw) || !/^https?:\/\//i.test(raw)) {
    throw new ShareError('not-a-web-link', NOT_A_WEB_LINK)
  }
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ShareError('not-a-web-link', NOT_A_WEB_LINK)
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.hostname === '') {
    throw new ShareError('not-a-web-link', NOT_A_WEB_LINK)
  }
  // "https://company.com@evil.example" reads like the company's site but goes elsewhere,
  // and a real password must never be broadcast.
  if (url.username !== '' || url.password !== '') {
    throw new ShareError(
      'link-has-credentials',
      'This link cannot be shared: it contains a user name or password before the site name.',
    )
  }
  return url
}

function isUtmKey(rawKey: string): boolean {
  let key = rawKey
  try {
    key = decodeURIComponent(rawKey.replace(/\+/g, ' '))
  } catch {
    // A malformed escape is kept as written; it cannot spell "utm_" anyway.
  }
  return key.toLowerCase().startsWith('utm_')
}

/**
 * The item's link with this share's UTM parameters. Other query parameters are kept byte for
 * byte and in order (re-serialising them could change what the site receives), every existing
 * utm_* parameter is replaced, and the fragment stays at the end.
 */
export function trackedUrl(itemUrl: string, options: TrackedUrlOptions): string {
  const url = parseWebLink(itemUrl)
  // A programming error, not a user one: anything else here (a member id…) would be published.
  if (!isShareId(options.shareId)) throw new TypeError('shareId must come from newShareId()')
  const kept = url.search
    .slice(1)
    .split('&')
    .filter((pair) => pair !== '' && !isUtmKey(pair.split('=', 1)[0] ?? ''))
  const utm = [
    ['utm_source', options.network],
    ['utm_medium', UTM_MEDIUM],
    ['utm_campaign', campaignSlug(options.campaign)],
    ['utm_content', options.shareId],
  ].map(([key, value]) => `${key}=${encodeURIComponent(value ?? '')}`)
  url.search = `?${[...kept, ...utm].join('&')}`
  return url.href
}
