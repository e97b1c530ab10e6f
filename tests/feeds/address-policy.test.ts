import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FeedError } from '../../main/core/feeds/errors'
import { fetchLimited } from '../../main/core/feeds/fetch'
import {
  InternalAddressError,
  internalRange,
  parseAllowance,
  STRICT_POLICY,
} from '../../main/core/net/address-policy'
import { guardedFetch } from '../../main/core/net/guarded-fetch'
import { rejectionOf } from '../helpers/errors'
import { type FixtureServer, file, redirect, startFixtureServer } from './fixture-server'

const LIMITS = { timeoutMs: 5_000, maxBytes: 2 * 1024 * 1024 }
let server: FixtureServer
let port: string

beforeAll(async () => {
  server = await startFixtureServer({
    '/rss.xml': file('rss2.xml', 'application/rss+xml; charset=utf-8'),
  })
  port = new URL(server.origin).port
  // A public-looking name that redirects inside: the second hop must be checked too.
  server.routes.set('/inside', redirect(`http://127.0.0.1:${port}/rss.xml`))
  server.routes.set('/mapped', redirect(`http://[::ffff:7f00:1]:${port}/rss.xml`))
})

afterAll(async () => {
  await server.close()
})

const failure = (promise: Promise<unknown>) => rejectionOf(promise, FeedError)

describe('outbound address policy: public unicast only', () => {
  it('classifies internal ranges, IPv4 embedded in IPv6 included', () => {
    const internal = [
      '127.0.0.1',
      '127.8.9.10',
      '10.1.2.3',
      '172.16.0.1',
      '192.168.1.1',
      '169.254.169.254',
      '100.64.0.1',
      '0.0.0.0',
      '224.0.0.1',
      '255.255.255.255',
      '::1',
      '::',
      'fe80::1',
      'fc00::1',
      'fd12:3456::1',
      'ff02::1',
      '::ffff:127.0.0.1',
      '::ffff:10.0.0.1',
      '::ffff:8.8.8.8',
      '::7f00:1',
      '64:ff9b::7f00:1',
      '2002:7f00:1::',
      '2001:db8::1',
    ]
    for (const address of internal) expect(internalRange(address), address).not.toBeNull()
    for (const address of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450::1']) {
      expect(internalRange(address), address).toBeNull()
    }
  })

  it('refuses loopback after DNS (a name that resolves inside), literals and mapped forms', async () => {
    for (const url of [
      `http://localhost:${port}/rss.xml`,
      `http://127.0.0.1:${port}/rss.xml`,
      `http://[::ffff:127.0.0.1]:${port}/rss.xml`,
      `http://[::1]:${port}/rss.xml`,
    ]) {
      const error = await failure(fetchLimited(url, { ...LIMITS, policy: STRICT_POLICY }))
      expect(error.code, url).toBe('bad_url')
      expect(error.message, url).toMatch(/internal address \((loopback|ipv4Mapped)/)
      expect(error.message).toMatch(/PORTE_VOIX_ALLOW_INTERNAL_HOSTS/)
    }
    expect(server.hits.get('/rss.xml') ?? 0).toBe(0)
  })

  it('checks every redirect hop: an allowed host cannot send the core elsewhere inside', async () => {
    // The admin allows the name "localhost" (only): its redirect to 127.0.0.1 is refused.
    const policy = parseAllowance('localhost')
    const ok = await fetchLimited(`http://localhost:${port}/rss.xml`, { ...LIMITS, policy })
    expect(ok.text).toContain('<rss')
    const before = server.hits.get('/rss.xml') ?? 0
    for (const hop of ['/inside', '/mapped']) {
      const error = await failure(
        fetchLimited(`http://localhost:${port}${hop}`, { ...LIMITS, policy }),
      )
      expect(error.message, hop).toMatch(/internal address/)
    }
    expect(server.hits.get('/rss.xml') ?? 0).toBe(before)
  })

  it('an explicit allowance (address or range) reaches the internal host', async () => {
    for (const list of ['127.0.0.1', '127.0.0.0/8', ' intranet.example , 127.0.0.1/32']) {
      const policy = parseAllowance(list)
      const ok = await fetchLimited(`http://127.0.0.1:${port}/rss.xml`, { ...LIMITS, policy })
      expect(ok.text, list).toContain('<rss')
    }
    // Allowing one range does not open another.
    const error = await failure(
      fetchLimited(`http://[::1]:${port}/rss.xml`, {
        ...LIMITS,
        policy: parseAllowance('10.0.0.0/8'),
      }),
    )
    expect(error.message).toMatch(/internal address/)
  })

  it('the guarded fetch itself refuses before any byte is sent', async () => {
    const before = server.hits.get('/rss.xml') ?? 0
    const error = await rejectionOf(
      guardedFetch(STRICT_POLICY)(`http://localhost:${port}/rss.xml`, {}),
      InternalAddressError,
    )
    expect(error.range).toBe('loopback')
    expect(server.hits.get('/rss.xml') ?? 0).toBe(before)
  })
})
