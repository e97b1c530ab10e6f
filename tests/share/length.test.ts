import { describe, expect, it } from 'vitest'
import {
  blueskyLength,
  blueskyShortLink,
  countGraphemes,
  LIMITS,
  mastodonLength,
  measure,
  xLength,
} from '../../common/share'

const FAMILY = '👩‍👩‍👧' // woman, ZWJ, woman, ZWJ, girl: 8 UTF-16 units, 5 code points
const FLAG = '🇫🇷'
const SHORT = 'https://a.co'
const LONG = `https://example.com/${'very-long-path/'.repeat(20)}?utm_source=x&utm_medium=employee-advocacy`

describe('limits', () => {
  it('per network', () => {
    expect(LIMITS).toEqual({
      x: 280,
      linkedin: 3000,
      bluesky: 300,
      mastodon: 500,
      facebook: 63_206,
      whatsapp: 65_536,
      email: null,
    })
  })

  it('e-mail has no limit', () => {
    expect(measure('email', 'a'.repeat(200_000))).toEqual({
      used: 200_000,
      limit: null,
      remaining: null,
      over: false,
    })
  })

  it.each([
    ['linkedin', 3000],
    ['facebook', 63_206],
    ['whatsapp', 65_536],
  ] as const)('%s: over only past %i characters', (network, limit) => {
    expect(measure(network, 'a'.repeat(limit))).toEqual({
      used: limit,
      limit,
      remaining: 0,
      over: false,
    })
    expect(measure(network, 'a'.repeat(limit + 1))).toEqual({
      used: limit + 1,
      limit,
      remaining: -1,
      over: true,
    })
  })
})

describe('X (twitter-text v3)', () => {
  it('counts every link as 23 characters, whatever its length', () => {
    expect(xLength(SHORT)).toBe(23)
    expect(xLength(LONG)).toBe(23)
    expect(xLength(`${SHORT} ${LONG}`)).toBe(47)
    expect(measure('x', '', LONG).used).toBe(23)
  })

  it('counts the link X appends after a space, and is over past 280', () => {
    expect(measure('x', 'a'.repeat(256), LONG)).toEqual({
      used: 280,
      limit: 280,
      remaining: 0,
      over: false,
    })
    expect(measure('x', 'a'.repeat(257), LONG)).toEqual({
      used: 281,
      limit: 280,
      remaining: -1,
      over: true,
    })
  })

  it('leaves trailing punctuation out of the link', () => {
    expect(xLength(`Read ${LONG}.`)).toBe(5 + 23 + 1)
    expect(xLength(`(see ${SHORT})`)).toBe(5 + 23 + 1)
  })

  it('weighs CJK as 2 and Latin, accents and general punctuation as 1', () => {
    expect(xLength('日本語')).toBe(6)
    expect(xLength('こんにちは')).toBe(10)
    expect(xLength('한국어')).toBe(6)
    expect(xLength('Café — “ok” ‘x’')).toBe(15)
    expect(xLength('…')).toBe(2) // U+2026 is outside U+2010–U+201F
    expect(xLength('Привет')).toBe(6) // Cyrillic is in U+0000–U+10FF
    expect(xLength('€')).toBe(2) // U+20AC is outside the light ranges
    expect(measure('x', '日'.repeat(140))).toMatchObject({ used: 280, over: false })
    expect(measure('x', '日'.repeat(141))).toMatchObject({ used: 282, over: true })
  })

  it('counts an emoji, a ZWJ sequence, a flag, a keycap and a skin tone as 2 each', () => {
    expect(xLength('☕')).toBe(2)
    expect(xLength('😀')).toBe(2)
    expect(xLength(FAMILY)).toBe(2)
    expect(xLength(FLAG)).toBe(2)
    expect(xLength('1️⃣')).toBe(2)
    expect(xLength('👍🏽')).toBe(2)
    expect(xLength(`${FAMILY}${FAMILY}`)).toBe(4)
    expect(xLength('Café ☕ 👩‍👩‍👧 — 日本語')).toBe(19)
  })

  it('normalises first: a decomposed accent counts once', () => {
    expect(xLength('e\u0301')).toBe(1)
  })
})

describe('Bluesky (graphemes)', () => {
  it('counts user-perceived characters', () => {
    expect(countGraphemes(FAMILY)).toBe(1)
    expect(blueskyLength(FAMILY)).toBe(1)
    expect(blueskyLength(FLAG)).toBe(1)
    expect(blueskyLength('e\u0301')).toBe(1)
    expect(blueskyLength('a\u0300\u0301\u0302')).toBe(1)
    expect(blueskyLength('👍🏽')).toBe(1)
    expect(blueskyLength('日本語')).toBe(3)
  })

  it('is over only past 300 graphemes, even when they are long emoji sequences', () => {
    expect(measure('bluesky', FAMILY.repeat(300))).toEqual({
      used: 300,
      limit: 300,
      remaining: 0,
      over: false,
    })
    expect(measure('bluesky', FAMILY.repeat(301)).over).toBe(true)
  })

  it('counts links as Bluesky shortens them: host and 13 characters of path, then "..."', () => {
    expect(blueskyShortLink('https://example.com/blog/post?id=42&utm_source=bluesky#x')).toBe(
      'example.com/blog/post?id...',
    )
    expect(blueskyShortLink('https://example.com/')).toBe('example.com')
    expect(blueskyShortLink('https://example.com/short')).toBe('example.com/short')
    expect(measure('bluesky', 'Hi', LONG).used).toBe(2 + 2 + 'example.com'.length + 16)
  })
})

describe('Mastodon', () => {
  it('counts graphemes, each link as 23, and remote mentions without their domain', () => {
    expect(mastodonLength(FAMILY)).toBe(1)
    expect(mastodonLength(LONG)).toBe(23)
    expect(mastodonLength(SHORT)).toBe(23)
    expect(mastodonLength('hi @ana@example.social')).toBe('hi @ana'.length)
    expect(measure('mastodon', 'a'.repeat(475), LONG)).toMatchObject({ used: 500, over: false })
    expect(measure('mastodon', 'a'.repeat(476), LONG)).toMatchObject({ used: 501, over: true })
  })
})

describe('the link as it will be posted', () => {
  it('LinkedIn and Facebook: not counted, it becomes a preview card', () => {
    expect(measure('linkedin', 'Hello', LONG).used).toBe(5)
    expect(measure('facebook', 'Hello', LONG).used).toBe(5)
  })

  it('WhatsApp and e-mail: appended after a blank line, at full length', () => {
    expect(measure('whatsapp', 'Hello', LONG).used).toBe(5 + 2 + LONG.length)
    expect(measure('email', 'Hello', LONG).used).toBe(5 + 2 + LONG.length)
  })

  it('a link already in the caption is not counted twice', () => {
    expect(measure('x', `Hello ${LONG}`, LONG).used).toBe(6 + 23)
  })
})
