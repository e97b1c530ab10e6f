import { describe, expect, it } from 'vitest'
import { readOpenGraph } from '../../main/core/feeds/open-graph'
import { fixture } from './fixture-server'

describe('readOpenGraph', () => {
  it('reads og:title, og:description and the first og:image, resolved against <base>', () => {
    const og = readOpenGraph(
      fixture('article.html', 'https://news.example'),
      'https://news.example/a/b',
    )
    expect(og).toEqual({
      // Entities decoded.
      title: 'Launch day & what it means',
      description: 'The open graph description.',
      imageUrl: 'https://news.example/static/img/og-launch.png',
    })
  })

  it('keeps attribute text literal: escaped markup stays characters, never becomes tags', () => {
    const html = '<meta property="og:title" content="Why &lt;script&gt; tags\n  matter">'
    expect(readOpenGraph(html, 'https://s.example/').title).toBe('Why <script> tags matter')
  })

  it('falls back to twitter:* and meta description, skipping non-http images', () => {
    const og = readOpenGraph(fixture('twitter-only.html'), 'http://page.example/x')
    expect(og).toEqual({
      title: 'Only Twitter',
      description: 'Plain meta description',
      imageUrl: 'http://cdn.example/card.jpg',
    })
  })

  it('resolves a relative og:image against the page URL', () => {
    const html = '<head><meta property="og:image" content="../img/a.png"></head>'
    expect(readOpenGraph(html, 'https://s.example/blog/post/').imageUrl).toBe(
      'https://s.example/blog/img/a.png',
    )
  })

  it('returns nothing for a page without metadata or with only unsafe images', () => {
    expect(readOpenGraph('<html><body>hello</body></html>', 'https://s.example/')).toEqual({})
    const unsafe = '<meta property="og:image" content="data:image/png;base64,AAAA">'
    expect(readOpenGraph(unsafe, 'https://s.example/')).toEqual({})
  })
})
