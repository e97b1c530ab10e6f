import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { insertItem, itemsMap, patchItem, upsertCampaign } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { shortCode } from '../../common/share/short-link'
import { foundIn } from '../helpers/db-bytes'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { relationalRows, relayHeldBytes } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { provider, synced } from './support'

const PUBLIC = 'http://go.porte-voix.test'
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'
const SAFARI =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1'

let relay: RelayProcess
let acme: string
let globex: string
let champion: WebsocketProvider
const providers: WebsocketProvider[] = []

/** The link_items row of an item (its url), through the relay's backend (SQLite or PostgreSQL). */
async function linkRow(ws: string, item: string): Promise<{ url: string } | undefined> {
  const rows = ((await relationalRows(relay.dataDir)).get('link_items') ?? []) as {
    workspace_id: string
    item_id: string
    url: string
  }[]
  const row = rows.find((r) => r.workspace_id === ws && r.item_id === item)
  return row ? { url: row.url } : undefined
}

/** Clicks stored for a share (all, and those counted unique), through the relay's backend. */
async function clicks(shareId: string): Promise<{ total: number; unique: number }> {
  const rows = ((await relationalRows(relay.dataDir)).get('clicks') ?? []) as {
    share_id: string
    is_unique: number | string
  }[]
  const mine = rows.filter((r) => r.share_id === shareId)
  return { total: mine.length, unique: mine.filter((r) => Number(r.is_unique) === 1).length }
}

async function open(pathAndQuery: string, ua = FIREFOX) {
  const response = await fetch(`${relay.httpUrl}${pathAndQuery}`, {
    redirect: 'manual',
    headers: { 'user-agent': ua },
  })
  await response.arrayBuffer()
  return { status: response.status, location: response.headers.get('location') }
}

const code = (itemId: string, shareId: string, workspaceId = acme) =>
  shortCode({ workspaceId, itemId, network: 'linkedin', shareId })

beforeAll(async () => {
  relay = await startRelay({ args: ['--public-url', PUBLIC] })
  acme = await relay.createWorkspace('Acme')
  globex = await relay.createWorkspace('Globex')
  const { token } = await relay.issueToken({ workspaceId: acme, name: 'Chloé', role: 'champion' })
  champion = provider(relay.url, acme, 'queue', token)
  providers.push(champion)
  await synced(champion)
  upsertCampaign(champion.doc, {
    id: 'camp_q3',
    name: 'Lancement Q3',
    objective: 'campaign',
    goalMetric: 'sign-ups',
    goalTarget: 100,
    deadline: '2026-12-31T00:00:00.000Z',
  })
  insertItem(
    champion.doc,
    makeItem('item_launch', {
      status: 'published',
      url: 'https://example.com/launch?ref=blog&utm_source=old#top',
      campaignId: 'camp_q3',
    }),
  )
  insertItem(champion.doc, makeItem('item_plain', { status: 'published' }))
  await waitFor(
    'items indexed',
    async () => (await linkRow(acme, 'item_launch')) && (await linkRow(acme, 'item_plain')),
  )
})

afterAll(async () => {
  for (const p of providers) p.destroy()
  await relay?.stop()
})

describe('tracked short links', () => {
  it('publishes the public URL to members through the directory', async () => {
    const { token } = await relay.issueToken({ workspaceId: acme, name: 'Eve', role: 'employee' })
    const dir = provider(relay.url, acme, 'directory', token)
    providers.push(dir)
    await waitFor('public url in directory', () => dir.doc.getMap('workspace').get('publicUrl'))
    expect(dir.doc.getMap('workspace').get('publicUrl')).toBe(PUBLIC)
  })

  it("redirects to the item's own URL with the four UTM parameters", async () => {
    const share = newShareId()
    expect(await open(`/s/${code('item_launch', share)}`)).toEqual({
      status: 302,
      location: `https://example.com/launch?ref=blog&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=lancement-q3&utm_content=${share}#top`,
    })
    const plain = newShareId()
    expect((await open(`/s/${code('item_plain', plain)}`)).location).toBe(
      `https://example.com/item_plain?utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=evergreen&utm_content=${plain}`,
    )
  })

  it('answers hostile or unknown codes with a 404 page, never a redirect', async () => {
    const share = newShareId()
    const good = code('item_launch', share)
    const hostile = [
      '/s/',
      '/s//evil.example',
      '/s/%2F%2Fevil.example',
      '/s/https%3A%2F%2Fevil.example',
      '/s/\\\\evil.example',
      `/s/${good}%0d%0aLocation:%20https://evil.example`,
      `/s/${good}/..%2F..%2Fevil`,
      `/s/${good}/`,
      `/s/${good}@evil.example`,
      `/s/${encodeURIComponent(good)}x`,
      `/s/${'a'.repeat(5000)}`,
      `/s/${acme}.item_nope.l${share}`,
      `/s/${acme}.item_launch.q${share}`,
      `/s/${acme}.item_launch.l${share.slice(0, 19)}`,
      // Another workspace's id with this workspace's item: not its item, nothing to redirect to.
      `/s/${code('item_launch', share, globex)}`,
      `/s/ws_unknown.item_launch.l${share}`,
    ]
    for (const p of hostile) {
      const answer = await open(p)
      expect(answer, p).toEqual({ status: 404, location: null })
    }
    // A query string is ignored, never followed.
    expect((await open(`/s/${good}?next=https://evil.example`)).location).toMatch(
      /^https:\/\/example\.com\/launch\?/,
    )
    expect((await clicks(share)).total).toBe(1)
  })

  it('counts repeated clicks of one visitor within 24 h once as unique, and bots not at all', async () => {
    const share = newShareId()
    const link = `/s/${code('item_plain', share)}`
    for (const bot of [
      'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)',
      'facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)',
      'Twitterbot/1.0',
      'Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)',
      'WhatsApp/2.23.20.0',
      'TelegramBot (like TwitterBot)',
      'Mozilla/5.0 (compatible; Discordbot/2.0; +https://discordapp.com)',
      'http.rb/5.1.1 (Mastodon/4.2.0; +https://mastodon.social/)',
      'Mozilla/5.0 (compatible; Bluesky Cardyb/1.1; +mailto:support@bsky.app)',
      'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
      '',
    ]) {
      expect((await open(link, bot)).status, bot).toBe(302)
    }
    expect(await clicks(share)).toEqual({ total: 0, unique: 0 })
    await open(link)
    await open(link)
    await open(link, SAFARI)
    expect(await clicks(share)).toEqual({ total: 3, unique: 2 })
  })

  it('keeps redirecting after the item is edited or leaves the queue, and across restarts', async () => {
    const share = newShareId()
    patchItem(
      champion.doc,
      'item_plain',
      { url: 'https://example.com/edited' },
      new Date().toISOString(),
    )
    await waitFor('edit indexed', async () => {
      const row = await linkRow(acme, 'item_plain')
      return row?.url === 'https://example.com/edited'
    })
    expect((await open(`/s/${code('item_plain', share)}`)).location).toMatch(
      /^https:\/\/example\.com\/edited\?utm_source=linkedin/,
    )
    // Archived or deleted: gone from the queue, the link still leads to the item's URL.
    champion.doc.transact(() => itemsMap(champion.doc).delete('item_launch'))
    await new Promise((r) => setTimeout(r, 600))
    expect((await open(`/s/${code('item_launch', share)}`)).location).toMatch(
      /^https:\/\/example\.com\/launch\?ref=blog/,
    )
    for (const p of providers) p.destroy()
    providers.length = 0
    const { dataDir, port } = relay
    await relay.stop()
    relay = await startRelay({ dataDir, port, args: ['--public-url', PUBLIC] })
    expect((await open(`/s/${code('item_launch', share)}`)).status).toBe(302)
    expect((await open(`/s/${code('item_plain', share)}`)).location).toMatch(
      /^https:\/\/example\.com\/edited\?/,
    )
  })

  it("stores no visitor IP and no user agent in the relay's file", async () => {
    const bytes = await relayHeldBytes(relay.dataDir, [])
    expect(
      foundIn(bytes, ['127.0.0.1', '::ffff:127.0.0.1', FIREFOX, SAFARI, 'Firefox/133']),
    ).toEqual([])
  })
})
