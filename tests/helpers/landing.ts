import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { type RelayProcess, startRelay } from './relay'
import { freePort } from './servers'

export type LandingSite = { url: string; close(): Promise<void> }

/**
 * An item's own site for short-link tests: a page on loopback that shows which path and query it
 * was opened with (`#landed`), so a test sees exactly where a redirect led.
 */
export async function startLandingSite(title: string): Promise<LandingSite> {
  const site = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' })
    res.end(`<!doctype html><title>${title}</title><p id="landed">${req.url ?? ''}</p>`)
  })
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(site.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => site.close(() => resolve())),
  }
}

/** A relay whose short links (`--public-url`) point at its own loopback address. */
export async function startLinkRelay(): Promise<RelayProcess> {
  const port = await freePort()
  return startRelay({ port, args: ['--public-url', `http://127.0.0.1:${port}`] })
}

/** A visitor's browser and a link-preview bot, as the relay's short links tell them apart. */
export const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
export const LINKEDIN_BOT =
  'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)'

/** A short link opened once as `userAgent`, not followed further: its status and where it leads. */
export async function followShortLink(
  url: string,
  userAgent: string,
): Promise<{ status: number; location: string | null }> {
  const response = await fetch(url, { redirect: 'manual', headers: { 'user-agent': userAgent } })
  await response.arrayBuffer()
  return { status: response.status, location: response.headers.get('location') }
}
