import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeedError } from '../../main/core/feeds/errors'
import { fetchLimited } from '../../main/core/feeds/fetch'
import { rejectionOf } from '../helpers/errors'
import {
  type FixtureServer,
  file,
  gzipBomb,
  hugeFeed,
  redirect,
  silent,
  startFixtureServer,
  trickle,
} from './fixture-server'

// The tests assert codes, never durations. Successful fetches get room on a loaded machine; the
// timeout tests use a small budget so that they fail quickly.
const LIMITS = { timeoutMs: 5_000, maxBytes: 2 * 1024 * 1024 }
const SHORT = { ...LIMITS, timeoutMs: 300 }

let server: FixtureServer

beforeAll(async () => {
  server = await startFixtureServer({
    '/rss.xml': file('rss2.xml', 'application/rss+xml; charset=utf-8'),
    '/hop1': redirect('/hop2', 301),
    '/hop2': redirect('/hop3', 307),
    '/hop3': redirect('/rss.xml', 308),
    '/to-file': redirect('file:///etc/passwd'),
    '/to-js': redirect('javascript:alert(1)'),
    '/no-location': (_req, res) => {
      res.writeHead(302)
      res.end()
    },
    '/huge-declared': hugeFeed(20, true),
    '/huge-chunked': hugeFeed(20, false),
    '/gzip-bomb': gzipBomb(20),
    '/silent': silent(),
    '/trickle': trickle(),
    '/latin1': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/xml' })
      res.end(
        Buffer.concat([
          Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><rss><channel><title>Caf'),
          Buffer.from([0xe9]),
          Buffer.from('</title></channel></rss>'),
        ]),
      )
    },
  })
  // An endless loop of redirects: /loop0 → /loop1 → … never ends.
  for (let i = 0; i < 10; i++) server.routes.set(`/loop${i}`, redirect(`/loop${i + 1}`))
})

afterAll(async () => {
  await server.close()
})

const failure = (promise: Promise<unknown>) => rejectionOf(promise, FeedError)

describe('fetchLimited', () => {
  it('fetches a feed as text with its content type', async () => {
    const result = await fetchLimited(`${server.origin}/rss.xml`, LIMITS)
    expect(result.finalUrl).toBe(`${server.origin}/rss.xml`)
    expect(result.contentType).toContain('application/rss+xml')
    expect(result.text).toContain('Acme &amp; Co. Newsroom')
  })

  it('decodes the body with the charset of the XML declaration', async () => {
    const result = await fetchLimited(`${server.origin}/latin1`, LIMITS)
    expect(result.text).toContain('<title>Café</title>')
  })

  it('follows a chain of redirects and reports the final URL', async () => {
    const result = await fetchLimited(`${server.origin}/hop1`, LIMITS)
    expect(result.finalUrl).toBe(`${server.origin}/rss.xml`)
    expect(result.text).toContain('<rss')
  })

  it('stops after 5 redirects', async () => {
    const error = await failure(fetchLimited(`${server.origin}/loop0`, LIMITS))
    expect(error.code).toBe('http_status')
    expect(error.message).toContain('redirects more than 5 times')
    expect(server.hits.get('/loop5')).toBe(1)
    expect(server.hits.get('/loop6')).toBeUndefined()
  })

  it('refuses redirects to non-http(s) addresses', async () => {
    for (const path of ['/to-file', '/to-js']) {
      const error = await failure(fetchLimited(`${server.origin}${path}`, LIMITS))
      expect(error.code).toBe('bad_url')
      expect(error.message).toContain('not a web (http or https) address')
    }
    const missing = await failure(fetchLimited(`${server.origin}/no-location`, LIMITS))
    expect(missing.code).toBe('http_status')
  })

  it('refuses non-http(s) and invalid URLs without any request', async () => {
    for (const url of [
      'file:///etc/passwd',
      'javascript:alert(1)',
      'ftp://x.example/f',
      'not a url',
    ]) {
      const error = await failure(fetchLimited(url, LIMITS))
      expect(error.code).toBe('bad_url')
    }
  })

  it('reports HTTP errors with the status', async () => {
    const error = await failure(fetchLimited(`${server.origin}/missing.xml`, LIMITS))
    expect(error.code).toBe('http_status')
    expect(error.message).toBe(
      `The feed at ${server.origin}/missing.xml answered HTTP 404 Not Found instead of the feed.`,
    )
  })

  it('rejects a body declared too large before downloading it', async () => {
    const error = await failure(fetchLimited(`${server.origin}/huge-declared`, LIMITS))
    expect(error.code).toBe('too_large')
    expect(error.message).toBe(
      `The feed at ${server.origin}/huge-declared is larger than 2 MB; it was not downloaded.`,
    )
  })

  it('cuts off a streamed body without Content-Length past the limit', async () => {
    const error = await failure(fetchLimited(`${server.origin}/huge-chunked`, LIMITS))
    expect(error.code).toBe('too_large')
  })

  it('counts decompressed bytes: a small gzip that inflates past the limit is cut off', async () => {
    const error = await failure(fetchLimited(`${server.origin}/gzip-bomb`, LIMITS))
    expect(error.code).toBe('too_large')
  })

  it('can keep the beginning of a large body instead (for reading a page head)', async () => {
    const result = await fetchLimited(`${server.origin}/huge-chunked`, {
      timeoutMs: 10_000,
      maxBytes: 64 * 1024,
      overflow: 'truncate',
    })
    expect(result.text.length).toBe(64 * 1024)
    expect(result.text.startsWith('<?xml')).toBe(true)
  })

  it('times out a server that never answers', async () => {
    const error = await failure(fetchLimited(`${server.origin}/silent`, SHORT))
    expect(error.code).toBe('timeout')
    expect(error.message).toBe(`The feed at ${server.origin}/silent did not answer within 0.3 s.`)
  })

  it('times out a server that sends headers and then trickles the body', async () => {
    const error = await failure(fetchLimited(`${server.origin}/trickle`, SHORT))
    expect(error.code).toBe('timeout')
  })

  it('reports an unreachable server as a network error', async () => {
    const closed = await startFixtureServer()
    const origin = closed.origin
    await closed.close()
    const error = await failure(fetchLimited(`${origin}/rss.xml`, LIMITS))
    expect(error.code).toBe('network')
    expect(error.message).toContain('could not be reached: the server refused the connection')
  })

  it('uses an injected fetch implementation and a caller abort signal', async () => {
    const calls: string[] = []
    const result = await fetchLimited('https://feeds.example/x.json', {
      ...LIMITS,
      fetchImpl: async (input) => {
        calls.push(input)
        return new Response('{"version":"https://jsonfeed.org/version/1.1","items":[]}', {
          headers: { 'content-type': 'application/feed+json' },
        })
      },
    })
    expect(calls).toEqual(['https://feeds.example/x.json'])
    expect(result.contentType).toBe('application/feed+json')

    const controller = new AbortController()
    controller.abort()
    const error = await failure(
      fetchLimited(`${server.origin}/silent`, { ...SHORT, signal: controller.signal }),
    )
    expect(error.code).toBe('network')
    expect(error.message).toContain('was cancelled')
  })
})
