import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { selectRelayRows } from '../helpers/relay-tables'
import { waitFor } from '../helpers/wait'
import { clickShare, postApi, proofOf, teamTokens } from './results-api'
import { provider, synced } from './support'

let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
const tokens: Record<string, string> = {}

/** Rows of the relay's tables, through its backend (SQLite file or PostgreSQL). */
function query<T extends Record<string, unknown>>(sql: string, ...args: unknown[]): Promise<T[]> {
  return selectRelayRows<T>(relay, sql, args)
}

const post = (route: string, token: string, body: unknown) => postApi(relay, route, token, body)

const share = (id: string, device: string) => ({
  id,
  itemId: 'item_launch',
  network: 'linkedin',
  objective: 'awareness',
  campaignId: null,
  sharedAt: new Date().toISOString(),
  proof: proofOf(device, id),
})

const click = (shareId: string) =>
  clickShare(relay, { workspaceId: acme, itemId: 'item_launch', shareId })

beforeAll(async () => {
  relay = await startRelay({ args: ['--public-url', 'https://go.example.test'] })
  acme = await relay.createWorkspace('Acme')
  Object.assign(tokens, await teamTokens(relay, acme))
  champion = provider(relay.url, acme, 'queue', tokens.chloe as string)
  await synced(champion)
  insertItem(champion.doc, makeItem('item_launch', { status: 'published' }))
  await waitFor(
    'item indexed',
    async () =>
      (await query('SELECT 1 AS found FROM link_items WHERE item_id = ?', 'item_launch')).length >
      0,
  )
})

afterAll(async () => {
  champion?.destroy()
  await relay?.stop()
})

describe('my results, served to the device that proves its shares', () => {
  it('attributes a click on an offline share once its report arrives', async () => {
    const id = newShareId()
    await click(id)
    const before = await post('results/mine', tokens.eric as string, {
      shares: [{ id, proof: proofOf('eric-laptop', id) }],
    })
    expect(before).toEqual({ status: 200, body: { clicks: [], conversions: [] } })
    expect(
      (await post('shares', tokens.eric as string, { events: [share(id, 'eric-laptop')] })).status,
    ).toBe(200)
    const after = await post('results/mine', tokens.eric as string, {
      shares: [{ id, proof: proofOf('eric-laptop', id) }],
    })
    expect(after.status).toBe(200)
    expect(after.body.clicks).toEqual([{ shareId: id, at: expect.any(String), unique: true }])
    // Someone else's proof (or a colleague's token with a guessed proof) gets nothing.
    const other = await post('results/mine', tokens.olivia as string, {
      shares: [{ id, proof: proofOf('olivia-phone', id) }],
    })
    expect(other.body).toEqual({ clicks: [], conversions: [] })
  })

  it('refuses a request without a token or with a malformed body', async () => {
    expect((await post('results/mine', 'nope', { shares: [] })).status).toBe(401)
    expect((await post('results/mine', tokens.eric as string, { shares: [] })).status).toBe(400)
  })
})

describe('privacy: a member is named only while opted in to the leaderboard', () => {
  it('stores no member id with shares or clicks of members who did not opt in; opting out removes it', async () => {
    const ericShare = newShareId()
    const oliviaOld = newShareId()
    const oliviaNew = newShareId()
    await post('shares', tokens.eric as string, { events: [share(ericShare, 'eric-laptop')] })
    await post('shares', tokens.olivia as string, { events: [share(oliviaOld, 'olivia-phone')] })
    await click(ericShare)
    await click(oliviaOld)
    const optIn = await post('leaderboard', tokens.olivia as string, {
      optIn: true,
      shares: [
        { id: oliviaOld, proof: proofOf('olivia-phone', oliviaOld) },
        // Eric's share with a made-up proof: not linked to Olivia.
        { id: ericShare, proof: proofOf('olivia-phone', ericShare) },
      ],
    })
    expect(optIn).toEqual({ status: 200, body: { optedIn: true, linked: 1 } })
    await post('shares', tokens.olivia as string, { events: [share(oliviaNew, 'olivia-phone')] })
    const linked = () =>
      query<{ share_id: string; member_id: string }>(
        'SELECT share_id, member_id FROM share_members ORDER BY share_id',
      )
    expect(await linked()).toEqual(
      [oliviaOld, oliviaNew].sort().map((id) => ({ share_id: id, member_id: 'mem_olivia' })),
    )
    // Share and click rows name nobody, whoever shared.
    const rowText = JSON.stringify([
      await query('SELECT * FROM shares'),
      await query('SELECT * FROM clicks'),
      await query('SELECT * FROM conversions'),
    ])
    for (const member of ['mem_eric', 'mem_olivia', 'mem_chloe'])
      expect(rowText).not.toContain(member)
    expect((await linked()).some((row) => row.member_id === 'mem_eric')).toBe(false)

    expect(await post('leaderboard', tokens.olivia as string, { optIn: false })).toEqual({
      status: 200,
      body: { optedIn: false, removed: 2 },
    })
    expect(await linked()).toEqual([])
    expect(await query('SELECT * FROM leaderboard')).toEqual([])
    // Opted out: later shares are not linked either.
    await post('shares', tokens.olivia as string, { events: [share(newShareId(), 'olivia-phone')] })
    expect(await linked()).toEqual([])
  })
})
