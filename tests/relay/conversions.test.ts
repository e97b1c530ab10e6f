import { createHash } from 'node:crypto'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { upsertCampaign } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { foundIn } from '../helpers/db-bytes'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { relationalRows, relayHeldBytes } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { provider, synced } from './support'

let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
let chloe: string
let eric: string

const proofOf = (shareId: string) =>
  createHash('sha256').update(`eric-laptop:${shareId}`).digest('base64url')

/** Conversions stored, through the relay's backend (SQLite file or PostgreSQL). */
async function conversionCount(): Promise<number> {
  return ((await relationalRows(relay.dataDir)).get('conversions') ?? []).length
}

async function call(route: string, headers: Record<string, string>, body: unknown) {
  const response = await fetch(`${relay.httpUrl}/api/v1/${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` })
const keyed = (key: string) => ({ 'x-porte-voix-conversion-key': key })

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  chloe = (await relay.issueToken({ workspaceId: acme, name: 'Chloé', role: 'champion' })).token
  eric = (await relay.issueToken({ workspaceId: acme, name: 'Eric', role: 'employee' })).token
  champion = provider(relay.url, acme, 'queue', chloe)
  await synced(champion)
  upsertCampaign(champion.doc, {
    id: 'camp_signup',
    name: 'Sign-ups Q4',
    objective: 'campaign',
    goalMetric: 'sign-ups',
    goalTarget: 50,
    deadline: '2026-12-31T00:00:00.000Z',
  })
})

afterAll(async () => {
  champion?.destroy()
  await relay?.stop()
})

describe('conversions', () => {
  let key = ''

  it('lets champions create a campaign key, returned once and stored only as a hash', async () => {
    expect((await call('campaigns/camp_signup/conversion-keys', bearer(eric), {})).status).toBe(403)
    expect((await call('campaigns/camp_nope/conversion-keys', bearer(chloe), {})).status).toBe(404)
    const created = await waitFor('key created', async () => {
      const answer = await call('campaigns/camp_signup/conversion-keys', bearer(chloe), {})
      return answer.status === 201 ? answer : null
    })
    key = created.body.key as string
    expect(key).toMatch(/^pvck_[A-Za-z0-9_-]{43}$/)
    expect(foundIn(await relayHeldBytes(relay.dataDir, []), [key, key.slice(5)])).toEqual([])
  })

  it('refuses a wrong or missing key with 401 and counts nothing', async () => {
    const body = { idempotencyId: 'signup-1', kind: 'sign-up', value: null }
    expect((await call('conversions', keyed(`${key}x`), body)).status).toBe(401)
    expect((await call('conversions', {}, body)).status).toBe(401)
    expect((await call('conversions', bearer(chloe), body)).status).toBe(401)
    expect(await conversionCount()).toBe(0)
  })

  it('counts a repeated idempotency id once and attributes it to the share once reported', async () => {
    const shareId = newShareId()
    const body = { idempotencyId: 'signup-42', utmContent: shareId, kind: 'sign-up', value: 12.5 }
    const first = await call('conversions', keyed(key), body)
    expect(first).toEqual({
      status: 200,
      body: {
        counted: true,
        attribution: { campaignId: 'camp_signup', shareId, itemId: null, network: null },
      },
    })
    // The share was made offline: reported now, the conversion is attributed to it.
    const report = await call('shares', bearer(eric), {
      events: [
        {
          id: shareId,
          itemId: 'item_launch',
          network: 'x',
          objective: 'campaign',
          campaignId: 'camp_signup',
          sharedAt: new Date().toISOString(),
          proof: proofOf(shareId),
        },
      ],
    })
    expect(report.status).toBe(200)
    const again = await call('conversions', keyed(key), body)
    expect(again.body).toEqual({
      counted: false,
      attribution: { campaignId: 'camp_signup', shareId, itemId: 'item_launch', network: 'x' },
    })
    expect(await conversionCount()).toBe(1)
    const mine = await call('results/mine', bearer(eric), {
      shares: [{ id: shareId, proof: proofOf(shareId) }],
    })
    expect(mine.body.conversions).toEqual([
      { id: 'signup-42', shareId, at: expect.any(String), kind: 'sign-up', value: 12.5 },
    ])
    // Not a share id (a hand-typed utm_content): counted for the campaign, attributed to no share.
    const loose = await call('conversions', keyed(key), {
      idempotencyId: 'signup-43',
      utmContent: 'https://evil.example',
      kind: 'sign-up',
    })
    expect(loose.body).toMatchObject({ counted: true, attribution: { shareId: null } })
    expect((await call('conversions', keyed(key), { idempotencyId: '' })).status).toBe(400)
  })
})
