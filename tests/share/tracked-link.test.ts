import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { NETWORKS } from '../../common/model/networks'
import {
  campaignSlug,
  EVERGREEN_CAMPAIGN,
  isShareId,
  newShareId,
  parseWebLink,
  ShareError,
  trackedUrl,
  UTM_MEDIUM,
} from '../../common/share'
import { thrownBy } from '../helpers/errors'

const ITEM = 'https://example.com/blog/post?id=42&lang=fr#section-2'
const SHARE_ID = '0123456789abcdefghjk'

function utm(url: string): Record<string, string | null> {
  const params = new URL(url).searchParams
  return {
    source: params.get('utm_source'),
    medium: params.get('utm_medium'),
    campaign: params.get('utm_campaign'),
    content: params.get('utm_content'),
  }
}

describe('trackedUrl', () => {
  it('adds the four UTM parameters and keeps the query string and fragment in place', () => {
    const url = trackedUrl(ITEM, { network: 'linkedin', campaign: 'q3-launch', shareId: SHARE_ID })
    expect(url).toBe(
      'https://example.com/blog/post?id=42&lang=fr&utm_source=linkedin&utm_medium=employee-advocacy' +
        '&utm_campaign=q3-launch&utm_content=0123456789abcdefghjk#section-2',
    )
    const parsed = new URL(url)
    expect(parsed.hash).toBe('#section-2')
    expect(parsed.pathname).toBe('/blog/post')
    expect(parsed.searchParams.get('id')).toBe('42')
    expect(parsed.searchParams.get('lang')).toBe('fr')
  })

  it.each(NETWORKS)('uses the network id %s as utm_source', (network) => {
    expect(utm(trackedUrl(ITEM, { network, campaign: null, shareId: SHARE_ID }))).toEqual({
      source: network,
      medium: UTM_MEDIUM,
      campaign: EVERGREEN_CAMPAIGN,
      content: SHARE_ID,
    })
  })

  it('uses "evergreen" when there is no campaign, or nothing is left of its name', () => {
    expect(
      utm(trackedUrl(ITEM, { network: 'x', campaign: null, shareId: SHARE_ID })).campaign,
    ).toBe('evergreen')
    expect(campaignSlug('  —  ')).toBe('evergreen')
  })

  it('makes a readable slug of a campaign name', () => {
    expect(campaignSlug('Lancement Q3 — Événement « Porte ouverte »')).toBe(
      'lancement-q3-evenement-porte-ouverte',
    )
    expect(campaignSlug('spring_2026')).toBe('spring_2026')
    expect(campaignSlug('a'.repeat(100))).toHaveLength(60)
  })

  it('replaces existing utm_* parameters, whatever their case, and keeps the others as written', () => {
    const url = trackedUrl(
      'https://example.com/p?utm_source=newsletter&a=1%202&UTM_Medium=email&utm_term=x&flag&b=%7E#top',
      { network: 'bluesky', campaign: 'launch', shareId: SHARE_ID },
    )
    expect(url).toBe(
      'https://example.com/p?a=1%202&flag&b=%7E&utm_source=bluesky&utm_medium=employee-advocacy' +
        '&utm_campaign=launch&utm_content=0123456789abcdefghjk#top',
    )
    const keys = [...new URL(url).searchParams.keys()]
    expect(keys.filter((k) => k.toLowerCase().startsWith('utm_'))).toEqual([
      'utm_source',
      'utm_medium',
      'utm_campaign',
      'utm_content',
    ])
  })

  it('works on a link without query string or fragment', () => {
    expect(
      trackedUrl('https://example.com', { network: 'email', campaign: null, shareId: SHARE_ID }),
    ).toBe(
      'https://example.com/?utm_source=email&utm_medium=employee-advocacy&utm_campaign=evergreen' +
        '&utm_content=0123456789abcdefghjk',
    )
  })

  it('refuses a share id that is not one (it would be published in the link)', () => {
    expect(() =>
      trackedUrl(ITEM, { network: 'x', campaign: null, shareId: 'member_alice' }),
    ).toThrow(TypeError)
  })

  const hostile = [
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    'JaVaScRiPt:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'javascript\r:alert(1)',
    '\u0000javascript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '/foo',
    '//evil.example/x',
    'example.com/page',
    'https:example.com',
    'http:\\\\evil.example',
    ' https://example.com',
    'https://exa\tmple.com/',
    'ftp://example.com/file',
    'https://',
    '',
  ]
  it.each(hostile)('refuses %j with a clear message and produces nothing', (raw) => {
    const error = thrownBy(
      () => trackedUrl(raw, { network: 'linkedin', campaign: null, shareId: SHARE_ID }),
      ShareError,
    )
    expect(error.code).toBe('not-a-web-link')
    expect(error.message).toBe(
      'This link cannot be shared: only web links starting with http:// or https:// can be shared.',
    )
  })

  it('refuses a link with a user name or password (it reads like one site and goes to another)', () => {
    expect(() => parseWebLink('https://company.example@evil.example/')).toThrowError(
      /user name or password/,
    )
    expect(() => parseWebLink('https://user:secret@example.com/')).toThrow(ShareError)
  })

  it('accepts http and https in any case', () => {
    expect(parseWebLink('HTTPS://Example.COM/a').href).toBe('https://example.com/a')
    expect(parseWebLink('http://example.com/').protocol).toBe('http:')
  })

  // Property: whatever the item link, the tracked link parses, keeps every non-utm parameter (in
  // order) and the fragment, and carries exactly the four UTM parameters once each.
  const key = fc.stringMatching(/^[a-z][a-z0-9_]{0,8}$/).filter((k) => !k.startsWith('utm_'))
  const value = fc.string({ maxLength: 12 })
  const params = fc.array(
    fc.tuple(fc.oneof(key, fc.constantFrom('utm_source', 'utm_term', 'UTM_CONTENT')), value),
    {
      maxLength: 6,
    },
  )
  const fragment = fc.option(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), { nil: undefined })
  const path = fc.array(fc.stringMatching(/^[a-z0-9-]{1,8}$/), { maxLength: 4 })

  it('property: always parses, keeps non-utm params and fragment, has exactly four utm params', () => {
    fc.assert(
      fc.property(
        params,
        fragment,
        path,
        fc.constantFrom(...NETWORKS),
        fc.option(fc.string({ maxLength: 30 }), { nil: null }),
        (pairs, hash, segments, network, campaign) => {
          const original = new URL(`https://example.com/${segments.join('/')}`)
          for (const [k, v] of pairs) original.searchParams.append(k, v)
          if (hash !== undefined) original.hash = hash
          const shareId = newShareId()
          const tracked = new URL(trackedUrl(original.href, { network, campaign, shareId }))

          const nonUtm = (u: URL) =>
            [...u.searchParams].filter(([k]) => !k.toLowerCase().startsWith('utm_'))
          expect(nonUtm(tracked)).toEqual(nonUtm(original))
          expect(tracked.hash).toBe(original.hash)
          expect(tracked.pathname).toBe(original.pathname)
          const utmKeys = [...tracked.searchParams.keys()].filter((k) =>
            k.toLowerCase().startsWith('utm_'),
          )
          expect(utmKeys).toEqual(['utm_source', 'utm_medium', 'utm_campaign', 'utm_content'])
          expect(tracked.searchParams.get('utm_source')).toBe(network)
          expect(tracked.searchParams.get('utm_content')).toBe(shareId)
          expect(tracked.searchParams.get('utm_campaign')).toMatch(/^[a-z0-9_-]+$/)
        },
      ),
      { numRuns: 500 },
    )
  })
})

describe('newShareId', () => {
  it('is opaque, at least 96 bits, and unique over 10,000 draws', () => {
    const ids = Array.from({ length: 10_000 }, () => newShareId())
    expect(new Set(ids).size).toBe(ids.length)
    for (const id of ids) {
      expect(isShareId(id)).toBe(true)
      // 20 symbols of a 32-letter alphabet = 100 bits.
      expect(id).toMatch(/^[0-9a-hjkmnp-tv-z]{20}$/)
    }
  })

  it('uses the whole alphabet evenly (no timestamp or counter hiding in it)', () => {
    const ids = Array.from({ length: 10_000 }, () => newShareId())
    // A timestamp or counter prefix would make the first symbols nearly constant.
    for (const position of [0, 1, 2, 19]) {
      const seen = new Set(ids.map((id) => id[position]))
      expect(seen.size).toBe(32)
    }
    const counts = new Map<string, number>()
    for (const id of ids) for (const c of id) counts.set(c, (counts.get(c) ?? 0) + 1)
    const expected = (10_000 * 20) / 32
    for (const count of counts.values()) {
      expect(Math.abs(count - expected)).toBeLessThan(expected * 0.1)
    }
  })

  it('does not depend on the clock', () => {
    const a = newShareId()
    const b = newShareId()
    expect(a.slice(0, 8)).not.toBe(b.slice(0, 8))
  })
})
