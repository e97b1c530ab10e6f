import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import { readBoard } from '../../common/doc/board-doc'
import { RELAY_CLOSE } from '../../common/doc/limits'
import {
  challengesMap,
  insertItem,
  settingsMap,
  upsertCampaign,
  upsertChallenge,
  writeWorkspaceSettings,
} from '../../common/doc/queue-doc'
import { CLICK_CURVE_ALL } from '../../common/model/board'
import type { Campaign } from '../../common/model/campaign'
import { campaignProgress } from '../../common/model/campaign-progress'
import { newShareId } from '../../common/share'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { readStoredParts, relationalRows } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { clickShare, launchCampaign, postApi, proofOf, teamTokens } from './results-api'
import { provider, RawClient, roomUrl, synced } from './support'

const BOT = 'LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)'

let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
let reader: RawClient
const tokens: Record<string, string> = {}
const month = new Date().toISOString().slice(0, 7)

const post = (route: string, token: string | null, body: unknown, headers = {}) =>
  postApi(relay, route, token, body, headers)

async function report(
  who: string,
  device: string,
  id: string,
  itemId: string,
  campaignId: string | null,
) {
  const event = {
    id,
    itemId,
    network: 'linkedin',
    objective: itemId === 'item_talent' ? 'talent' : 'awareness',
    campaignId,
    sharedAt: new Date().toISOString(),
    proof: proofOf(device, id),
  }
  expect((await post('shares', tokens[who] as string, { events: [event] })).status).toBe(200)
}

const click = (shareId: string, itemId: string, ua?: string) =>
  clickShare(relay, { workspaceId: acme, itemId, shareId }, ua)

/** The board as a member's replica has it (the reader keeps syncing). */
const board = () => readBoard(reader.doc)

/** The relay's link_items rows (SQLite or PostgreSQL): the items it learnt URLs for. */
async function linkItems(): Promise<{ item_id?: unknown }[]> {
  return ((await relationalRows(relay.dataDir)).get('link_items') ?? []) as { item_id?: unknown }[]
}

/** Every stored byte of the board room (snapshot and updates), on the relay's backend. */
async function boardRoomBytes(): Promise<Buffer> {
  const stored = await readStoredParts(relay.dataDir, `${acme}/board`)
  const parts = stored.snapshot ? [stored.snapshot, ...stored.updates] : stored.updates
  return Buffer.concat(parts.map((part) => Buffer.from(part)))
}

beforeAll(async () => {
  relay = await startRelay({
    args: ['--public-url', 'https://go.example.test', '--board-debounce-ms', '50'],
  })
  acme = await relay.createWorkspace('Acme')
  Object.assign(tokens, await teamTokens(relay, acme))
  champion = provider(relay.url, acme, 'queue', tokens.chloe as string)
  await synced(champion)
  const doc = champion.doc
  upsertCampaign(doc, launchCampaign())
  insertItem(doc, makeItem('item_launch', { status: 'published', campaignId: 'camp_launch' }))
  insertItem(
    doc,
    makeItem('item_talent', { status: 'published', objective: 'talent', sourceKind: 'employee' }),
  )
  writeWorkspaceSettings(doc, { points: { share: 10, click: 2, conversion: 50 } })
  upsertChallenge(doc, {
    id: 'chal_talent',
    name: 'Most talent shares',
    metric: 'shares',
    filter: { objective: 'talent' },
    startsAt: new Date(Date.now() - 86_400_000).toISOString(),
    endsAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
    prize: 'Lunch',
  })
  // The relay learns the items' URLs from the queue (a room hook): short links redirect after.
  await waitFor('both items indexed', async () => ((await linkItems()).length === 2 ? true : null))
  reader = await RawClient.connect(roomUrl(relay.url, acme, 'board', tokens.eric as string))
  await reader.sync()
})

afterAll(async () => {
  champion?.destroy()
  await reader?.close()
  await stopRelay(relay)
})

describe('the board document, written by the relay from its tables', () => {
  it('shows shares, clicks and conversions per item, network, kind and campaign within the debounce; the leaderboard and standings name opted-in members only', async () => {
    // Olivia opts in; Eric does not.
    expect(
      (await post('leaderboard', tokens.olivia as string, { optIn: true, shares: [] })).status,
    ).toBe(200)
    const eric1 = newShareId()
    const eric2 = newShareId()
    const olivia1 = newShareId()
    await report('eric', 'eric-laptop', eric1, 'item_launch', 'camp_launch')
    await report('eric', 'eric-laptop', eric2, 'item_talent', null)
    await report('olivia', 'olivia-phone', olivia1, 'item_talent', null)
    await click(eric1, 'item_launch')
    await click(eric1, 'item_launch') // same visitor again: a click, not a unique one
    await click(eric1, 'item_launch', BOT) // a preview fetch: followed, never counted
    await click(olivia1, 'item_talent')
    const { body: keyBody } = await post(
      'campaigns/camp_launch/conversion-keys',
      tokens.chloe as string,
      {},
    )
    const key = keyBody.key as string
    const conversion = await post(
      'conversions',
      null,
      { idempotencyId: 'signup-1', utmContent: eric1, kind: 'signup', value: 12.5 },
      { 'x-porte-voix-conversion-key': key },
    )
    expect(conversion.status).toBe(200)

    const ready = await waitFor('board has every result', () => {
      const b = board()
      const launch = b.items.find((i) => i.itemId === 'item_launch')
      return launch?.conversions === 1 && b.leaderboard?.rows.length === 1 ? b : null
    })
    const launch = ready.items.find((i) => i.itemId === 'item_launch')
    expect(launch).toMatchObject({
      shares: 1,
      clicks: 2,
      uniqueClicks: 1,
      conversions: 1,
      conversionValue: 12.5,
    })
    expect(launch?.daily.at(-1)).toMatchObject({ shares: 1, clicks: 2, conversions: 1 })
    expect(ready.items.find((i) => i.itemId === 'item_talent')).toMatchObject({
      shares: 2,
      clicks: 1,
    })
    expect(ready.networks.linkedin).toMatchObject({
      shares: 3,
      clicks: 3,
      uniqueClicks: 2,
      conversions: 1,
    })
    expect(ready.objectives.talent).toMatchObject({ shares: 2, clicks: 1 })
    expect(ready.objectives.awareness).toMatchObject({ shares: 1, clicks: 2 })
    expect(ready.sourceKinds.employee).toMatchObject({ shares: 2 })
    expect(ready.campaigns.find((c) => c.campaignId === 'camp_launch')).toMatchObject({
      shares: 1,
      clicks: 2,
      conversions: 1,
    })
    const curve = ready.clickCurves[CLICK_CURVE_ALL] ?? []
    expect(curve.reduce((a, b) => a + b, 0)).toBe(3)
    expect(ready.clickCurves.linkedin).toEqual(curve)
    // Olivia this month: one share (10) and one unique click (2) with the champion's weights.
    expect(ready.leaderboard).toEqual({
      month,
      rows: [
        {
          memberId: 'mem_olivia',
          displayName: 'olivia',
          points: 12,
          shares: 1,
          clicks: 1,
          conversions: 0,
          rank: 1,
        },
      ],
    })
    // The team's score counts Eric's talent share too; the standings list Olivia only.
    expect(ready.challenges).toEqual([
      {
        challengeId: 'chal_talent',
        teamScore: 2,
        standings: [{ memberId: 'mem_olivia', displayName: 'olivia', score: 1, rank: 1 }],
      },
    ])
    expect((await boardRoomBytes()).includes(Buffer.from('mem_eric'))).toBe(false)
    expect(JSON.stringify(reader.doc.toJSON())).not.toContain('mem_eric')
  })

  it('opting out removes the member from the leaderboard and standings, and from the stored board', async () => {
    await waitFor('olivia on the board', () =>
      board().leaderboard?.rows.length === 1 ? true : null,
    )
    expect((await boardRoomBytes()).includes(Buffer.from('mem_olivia'))).toBe(true)
    expect(
      (await post('leaderboard', tokens.olivia as string, { optIn: false, shares: [] })).status,
    ).toBe(200)
    const after = await waitFor('olivia gone', () => {
      const b = board()
      return b.leaderboard?.rows.length === 0 && b.challenges[0]?.standings.length === 0 ? b : null
    })
    expect(after.challenges[0]?.teamScore).toBe(2)
    expect(JSON.stringify(reader.doc.toJSON())).not.toContain('mem_olivia')
    // The compaction that follows an opt-out folds the updates that named her away.
    await waitFor('stored board no longer names olivia', async () =>
      (await boardRoomBytes()).includes(Buffer.from('mem_olivia')) ? null : true,
    )
  })

  it('follows the queue: a removed challenge leaves the board', async () => {
    champion.doc.transact(() => challengesMap(champion.doc).delete('chal_talent'))
    await waitFor('challenge gone', () => (board().challenges.length === 0 ? true : null))
  })
})

describe('who may write what', () => {
  it('drops an employee or champion client write to the board', async () => {
    for (const who of ['eric', 'chloe']) {
      const writer = await RawClient.connect(
        roomUrl(relay.url, acme, 'board', tokens[who] as string),
      )
      await writer.sync()
      writer.doc.getMap('items').set('item_fake', { itemId: 'item_fake', forged: who })
      // A sync answered after the write: the relay handled the frame before it.
      await writer.sync()
      expect(relay.logs()).toMatch(/update from read-only connection/)
      await writer.close()
    }
    // A new share makes the relay write the board; nothing forged is in it.
    const id = newShareId()
    await report('eric', 'eric-laptop', id, 'item_launch', 'camp_launch')
    await waitFor('board has the share', () =>
      board().items.find((i) => i.itemId === 'item_launch')?.shares === 2 ? true : null,
    )
    const fresh = await RawClient.connect(
      roomUrl(relay.url, acme, 'board', tokens.olivia as string),
    )
    await fresh.sync()
    expect(fresh.doc.getMap('items').has('item_fake')).toBe(false)
    expect((await boardRoomBytes()).includes(Buffer.from('forged'))).toBe(false)
    await fresh.close()
  })

  it('refuses invalid settings and challenges from a champion', async () => {
    const cases: [string, (doc: Y.Doc) => void][] = [
      [
        'negative weight',
        (doc) => settingsMap(doc).set('points', { share: -1, click: 1, conversion: 1 }),
      ],
      ['unknown setting', (doc) => settingsMap(doc).set('theme', 'dark')],
      [
        'bad currency',
        (doc) => settingsMap(doc).set('value', { currency: 'euros', cpc: 1, cpm: 2 }),
      ],
      [
        'challenge ending before it starts',
        (doc) =>
          challengesMap(doc).set('chal_bad', {
            id: 'chal_bad',
            name: 'Backwards',
            metric: 'shares',
            filter: {},
            startsAt: '2026-12-10T00:00:00.000Z',
            endsAt: '2026-12-01T00:00:00.000Z',
            prize: '',
          }),
      ],
      ['challenge under another id', (doc) => challengesMap(doc).set('chal_x', { id: 'chal_y' })],
    ]
    for (const [what, write] of cases) {
      const client = await RawClient.connect(
        roomUrl(relay.url, acme, 'queue', tokens.chloe as string),
        {
          sendLocalUpdates: true,
        },
      )
      await client.sync()
      write(client.doc)
      const closed = await client.closed
      expect(closed.code, what).toBe(RELAY_CLOSE.brokenSchema)
    }
    // A valid setting still goes through, and the champion's replica (and the relay) keep it.
    const client = await RawClient.connect(
      roomUrl(relay.url, acme, 'queue', tokens.chloe as string),
      {
        sendLocalUpdates: true,
      },
    )
    await client.sync()
    settingsMap(client.doc).set('value', { currency: 'EUR', cpc: 1.5, cpm: 8 })
    await waitFor('valid setting synced', () =>
      (settingsMap(champion.doc).get('value') as { currency?: string } | undefined)?.currency ===
      'EUR'
        ? true
        : null,
    )
    expect(settingsMap(champion.doc).has('theme')).toBe(false)
    expect(challengesMap(champion.doc).has('chal_bad')).toBe(false)
    await client.close()
  })
})

describe('campaign progress for the shares and clicks goal kinds', () => {
  it("moves a shares-goal and a clicks-goal campaign's progress from the board's counts", async () => {
    const deadline = new Date(Date.now() + 10 * 86_400_000).toISOString()
    const campaigns: Campaign[] = [
      {
        id: 'camp_shares',
        name: 'Share week',
        objective: 'awareness',
        goalMetric: 'shares',
        goalKind: 'shares',
        goalTarget: 3,
        deadline,
      },
      {
        id: 'camp_clicks',
        name: 'Click week',
        objective: 'awareness',
        goalMetric: 'clicks',
        goalKind: 'clicks',
        goalTarget: 4,
        deadline,
      },
    ]
    for (const campaign of campaigns) upsertCampaign(champion.doc, campaign)
    insertItem(
      champion.doc,
      makeItem('item_sharesgoal', { status: 'published', campaignId: 'camp_shares' }),
    )
    insertItem(
      champion.doc,
      makeItem('item_clicksgoal', { status: 'published', campaignId: 'camp_clicks' }),
    )
    await waitFor('campaign items indexed', async () => {
      const ids = (await linkItems()).map((row) => row.item_id)
      return ids.filter((id) => id === 'item_sharesgoal' || id === 'item_clicksgoal').length === 2
        ? true
        : null
    })
    const progressOf = (id: string) => {
      const campaign = campaigns.find((c) => c.id === id) as Campaign
      return campaignProgress(
        campaign,
        board().campaigns.find((c) => c.campaignId === id),
        new Date(),
        'UTC',
      )
    }
    expect(progressOf('camp_shares')).toMatchObject({ value: 0, target: 3, reached: false })
    expect(progressOf('camp_clicks')).toMatchObject({ value: 0, target: 4, reached: false })

    // Two shares of the shares-goal item (clicks on them do not move it further).
    const s1 = newShareId()
    const s2 = newShareId()
    await report('eric', 'eric-laptop', s1, 'item_sharesgoal', 'camp_shares')
    await report('olivia', 'olivia-phone', s2, 'item_sharesgoal', 'camp_shares')
    await click(s1, 'item_sharesgoal')
    // One share of the clicks-goal item, clicked three times by one visitor (3 clicks, 1 unique).
    const c1 = newShareId()
    await report('eric', 'eric-laptop', c1, 'item_clicksgoal', 'camp_clicks')
    for (let i = 0; i < 3; i++) await click(c1, 'item_clicksgoal')

    await waitFor('board counts both campaigns', () => {
      const b = board()
      const shares = b.campaigns.find((c) => c.campaignId === 'camp_shares')
      const clicks = b.campaigns.find((c) => c.campaignId === 'camp_clicks')
      return shares?.shares === 2 && shares.clicks === 1 && clicks?.clicks === 3 ? true : null
    })
    expect(board().campaigns.find((c) => c.campaignId === 'camp_clicks')).toMatchObject({
      shares: 1,
      clicks: 3,
      uniqueClicks: 1,
      conversions: 0,
    })
    const shares = progressOf('camp_shares')
    expect(shares).toMatchObject({ value: 2, target: 3, reached: false, missed: false })
    expect(shares.fraction).toBeCloseTo(2 / 3)
    expect(shares.neededPerDay).toBe(1)
    const clicks = progressOf('camp_clicks')
    expect(clicks).toMatchObject({ value: 3, target: 4, fraction: 0.75, reached: false })
    expect(clicks.neededPerDay).toBe(1)

    // The targets reached: a third share, a fourth click.
    await report('eric', 'eric-laptop', newShareId(), 'item_sharesgoal', 'camp_shares')
    await click(c1, 'item_clicksgoal')
    await waitFor('both targets reached', () =>
      progressOf('camp_shares').reached && progressOf('camp_clicks').reached ? true : null,
    )
    expect(progressOf('camp_shares')).toMatchObject({ value: 3, fraction: 1, neededPerDay: 0 })
    expect(progressOf('camp_clicks')).toMatchObject({ value: 4, fraction: 1, neededPerDay: 0 })
  })
})
