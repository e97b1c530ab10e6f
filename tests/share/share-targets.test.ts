import { describe, expect, it } from 'vitest'
import { NETWORKS, type Network } from '../../common/model/networks'
import {
  clipboardText,
  mastodonInstanceHost,
  ShareError,
  sharePagePrefillsCaption,
  shareTarget,
  trackedUrl,
} from '../../common/share'
import { thrownBy } from '../helpers/errors'

const ITEM = 'https://example.com/blog/post?id=42&lang=fr#section-2'
const SHARE_ID = '0123456789abcdefghjk'
const CAPTION = 'Café ☕ 👩‍👩‍👧 — 日本語'
// UTF-8 bytes of CAPTION, percent-encoded by hand: é C3A9, ☕ E29895, 👩 F09F91A9, ZWJ E2808D,
// 👧 F09F91A7, — E28094, 日 E697A5, 本 E69CAC, 語 E8AA9E; spaces %20.
const CAPTION_ENC =
  'Caf%C3%A9%20%E2%98%95%20%F0%9F%91%A9%E2%80%8D%F0%9F%91%A9%E2%80%8D%F0%9F%91%A7%20%E2%80%94%20%E6%97%A5%E6%9C%AC%E8%AA%9E'
const TITLE = 'Pourquoi R&D + 100% = #win ?'

const tracked = (network: Network) =>
  trackedUrl(ITEM, { network, campaign: 'q3-launch', shareId: SHARE_ID })
const trackedEnc = (network: Network) =>
  `https%3A%2F%2Fexample.com%2Fblog%2Fpost%3Fid%3D42%26lang%3Dfr%26utm_source%3D${network}` +
  '%26utm_medium%3Demployee-advocacy%26utm_campaign%3Dq3-launch%26utm_content%3D0123456789abcdefghjk' +
  '%23section-2'

const shareErrorOf = (build: () => unknown) => thrownBy(build, ShareError)

const target = (network: Network, text = CAPTION) =>
  shareTarget(network, {
    url: tracked(network),
    text,
    title: TITLE,
    mastodonInstance: 'mastodon.social',
  })

describe('shareTarget: the exact share page of every network', () => {
  it('LinkedIn: share-offsite with the URL only', () => {
    const t = target('linkedin')
    expect(t).toEqual({
      kind: 'open',
      url: `https://www.linkedin.com/sharing/share-offsite/?url=${trackedEnc('linkedin')}`,
    })
    const params = new URL(t.url).searchParams
    expect([...params.keys()]).toEqual(['url'])
    expect(params.get('url')).toBe(tracked('linkedin'))
  })

  it('X: the documented web intent with text and url', () => {
    const t = target('x')
    expect(t).toEqual({
      kind: 'open',
      url: `https://x.com/intent/tweet?text=${CAPTION_ENC}&url=${trackedEnc('x')}`,
    })
    const params = new URL(t.url).searchParams
    expect(params.get('text')).toBe(CAPTION)
    expect(params.get('url')).toBe(tracked('x'))
  })

  it('Facebook: sharer with the URL only, never any text (platform policy)', () => {
    const t = target('facebook')
    expect(t).toEqual({
      kind: 'open',
      url: `https://www.facebook.com/sharer/sharer.php?u=${trackedEnc('facebook')}`,
    })
    const params = new URL(t.url).searchParams
    expect([...params.keys()]).toEqual(['u'])
    expect(params.get('u')).toBe(tracked('facebook'))
    expect(decodeURIComponent(t.url)).not.toContain('Café')
  })

  it('Bluesky: compose intent whose text holds the caption and the link', () => {
    const t = target('bluesky')
    expect(t).toEqual({
      kind: 'open',
      url: `https://bsky.app/intent/compose?text=${CAPTION_ENC}%0A%0A${trackedEnc('bluesky')}`,
    })
    expect(new URL(t.url).searchParams.get('text')).toBe(`${CAPTION}\n\n${tracked('bluesky')}`)
  })

  it('Mastodon: the share page of the person’s own server', () => {
    const t = target('mastodon')
    expect(t).toEqual({
      kind: 'open',
      url: `https://mastodon.social/share?text=${CAPTION_ENC}%0A%0A${trackedEnc('mastodon')}`,
    })
    const parsed = new URL(t.url)
    expect(parsed.host).toBe('mastodon.social')
    expect(parsed.searchParams.get('text')).toBe(`${CAPTION}\n\n${tracked('mastodon')}`)
  })

  it('WhatsApp: click-to-chat with the text and link', () => {
    const t = target('whatsapp')
    expect(t).toEqual({
      kind: 'open',
      url: `https://wa.me/?text=${CAPTION_ENC}%0A%0A${trackedEnc('whatsapp')}`,
    })
    expect(new URL(t.url).searchParams.get('text')).toBe(`${CAPTION}\n\n${tracked('whatsapp')}`)
  })

  it('E-mail: mailto with subject and body, %20 for spaces and CRLF line breaks', () => {
    const t = target('email')
    expect(t).toEqual({
      kind: 'mailto',
      url:
        'mailto:?subject=Pourquoi%20R%26D%20%2B%20100%25%20%3D%20%23win%20%3F' +
        `&body=${CAPTION_ENC}%0D%0A%0D%0A${trackedEnc('email')}`,
    })
    expect(t.url).not.toContain('+')
    const params = new URL(t.url).searchParams
    expect(params.get('subject')).toBe(TITLE)
    expect(params.get('body')).toBe(`${CAPTION}\r\n\r\n${tracked('email')}`)
  })

  it.each(NETWORKS)(
    '%s: the link survives the round trip with its query string and fragment',
    (network) => {
      const t = target(network)
      const params = new URL(t.url).searchParams
      const carried =
        params.get('url') ?? params.get('u') ?? params.get('text') ?? params.get('body') ?? ''
      const link = carried.slice(carried.indexOf('https://'))
      const back = new URL(link)
      expect(back.hash).toBe('#section-2')
      expect(back.searchParams.get('id')).toBe('42')
      expect(back.searchParams.get('lang')).toBe('fr')
      expect(back.searchParams.get('utm_source')).toBe(network)
      expect(back.searchParams.get('utm_content')).toBe(SHARE_ID)
    },
  )

  it.each(NETWORKS.filter((n) => n !== 'linkedin' && n !== 'facebook'))(
    '%s: reserved characters in the caption are encoded and decode back exactly',
    (network) => {
      const text = 'R&D + 100% = #win? a=b&c \u00a0 "quotes" <tag> \\ /'
      const t = target(network, text)
      const params = new URL(t.url).searchParams
      const carried = params.get('text') ?? params.get('body') ?? ''
      expect(carried.startsWith(text.trimEnd().replace(/\n/g, '\r\n'))).toBe(true)
    },
  )

  it('X: a caption that already holds the link does not get it twice', () => {
    const link = tracked('x')
    const t = shareTarget('x', { url: link, text: `Lisez ${link} !`, title: TITLE })
    const params = new URL(t.url).searchParams
    expect(params.has('url')).toBe(false)
    expect(params.get('text')).toBe(`Lisez ${link} !`)
  })

  it('an empty caption shares the link alone', () => {
    expect(new URL(target('bluesky', '  ').url).searchParams.get('text')).toBe(tracked('bluesky'))
  })

  it('a lone surrogate in the caption does not throw', () => {
    const t = target('whatsapp', 'broken \uD83D paste')
    expect(new URL(t.url).searchParams.get('text')).toContain('broken \uFFFD paste')
  })
})

describe('shareTarget: hostile links open nothing', () => {
  const hostile = [
    'javascript:alert(1)',
    'JAVASCRIPT:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'file:///etc/passwd',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    '/foo',
  ]
  for (const network of NETWORKS) {
    it.each(hostile)(`${network}: refuses %j`, (url) => {
      const error = shareErrorOf(() =>
        shareTarget(network, { url, text: 'hi', title: 't', mastodonInstance: 'mastodon.social' }),
      )
      expect(error.message).toMatch(/only web links starting with http:\/\/ or https:\/\//)
    })
  }
})

describe('Mastodon instance', () => {
  const mastodonError = (instance: string | null | undefined) =>
    shareErrorOf(() =>
      shareTarget('mastodon', {
        url: tracked('mastodon'),
        text: 'hi',
        title: 't',
        mastodonInstance: instance,
      }),
    )

  it.each([
    'evil.com/path',
    'https://x',
    'https://mastodon.social',
    'mastodon.social/',
    'mastodon .social',
    ' mastodon.social',
    'mastodon.social ',
    'mastodon social',
    'user@mastodon.social',
    'mastodon.social:443',
    'mastodon.social?x=1',
    'mastodon.social#x',
    'mastodon.social\\evil.com',
    'mastodon.social%2Fevil',
    'mastodon.social\u3002evil',
    'localhost',
    '127.0.0.1',
    '-bad.social',
    'bad-.social',
    'a..social',
    '.social',
  ])('refuses %j with a clear message', (instance) => {
    const error = mastodonError(instance)
    expect(error.code).toBe('mastodon-instance-invalid')
    expect(error.message).toMatch(
      /is not a Mastodon server name\. Enter just the server name, for example mastodon\.social\./,
    )
  })

  it.each([undefined, null, ''])(
    'asks the person to set their server when it is %j',
    (instance) => {
      const error = mastodonError(instance)
      expect(error.code).toBe('mastodon-instance-missing')
      expect(error.message).toBe(
        'To share on Mastodon, first set your Mastodon server in Settings. Enter just the server name, for example mastodon.social.',
      )
    },
  )

  it('accepts host names, in any case, and internationalised ones as punycode', () => {
    expect(mastodonInstanceHost('mastodon.social')).toBe('mastodon.social')
    expect(mastodonInstanceHost('Piaille.FR')).toBe('piaille.fr')
    expect(mastodonInstanceHost('social.example.co.uk')).toBe('social.example.co.uk')
    expect(mastodonInstanceHost('mastodon.café')).toBe('mastodon.xn--caf-dma')
    const t = shareTarget('mastodon', {
      url: tracked('mastodon'),
      text: 'hi',
      title: 't',
      mastodonInstance: 'Piaille.FR',
    })
    expect(t.url.startsWith('https://piaille.fr/share?text=hi%0A%0A')).toBe(true)
  })

  it('other networks do not need a Mastodon server', () => {
    expect(() => shareTarget('x', { url: tracked('x'), text: 'hi', title: 't' })).not.toThrow()
  })
})

describe('clipboardText', () => {
  it.each(NETWORKS)(
    '%s: the caption, without the link the share page already carries',
    (network) => {
      const text = clipboardText(network, `${CAPTION}\n`, tracked(network))
      expect(text).toBe(CAPTION)
      expect(text).not.toContain('https://')
    },
  )

  it('Facebook gets the caption alone: the person pastes their own words', () => {
    expect(clipboardText('facebook', 'Mon avis {{your take}}', tracked('facebook'))).toBe(
      'Mon avis {{your take}}',
    )
  })

  it('tells which share pages are pre-filled with the caption', () => {
    expect(NETWORKS.filter((n) => !sharePagePrefillsCaption(n))).toEqual(['linkedin', 'facebook'])
  })
})
