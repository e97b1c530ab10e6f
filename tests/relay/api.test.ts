import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { formatInvitation } from '../../common/model/invitation'
import { newShareId } from '../../common/share'
import { Core } from '../../main/core/core'
import { MAX_PENDING_PROPOSALS } from '../../sync-server/api/proposals'
import { signToken } from '../../sync-server/auth/tokens'
import { clientOf } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { relationalRows } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'

let relay: RelayProcess
let acme: string
let globex: string
let employeeToken: string
let championToken: string
const cores: Core[] = []

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  globex = await relay.createWorkspace('Globex')
  employeeToken = (
    await relay.issueToken({
      workspaceId: acme,
      name: 'Eric',
      role: 'employee',
      memberId: 'mem_eric',
    })
  ).token
  championToken = (
    await relay.issueToken({
      workspaceId: acme,
      name: 'Chloé',
      role: 'champion',
      memberId: 'mem_chloe',
    })
  ).token
})

afterAll(async () => {
  for (const core of cores) await core.close()
  await relay?.stop()
})

type Answer = {
  status: number
  body: { error?: { code: string; message: string } } & Record<string, unknown>
}

async function call(
  method: 'GET' | 'POST',
  route: string,
  options: { token?: string | null; body?: unknown; raw?: string; type?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {}
  if (options.token) headers.authorization = `Bearer ${options.token}`
  if (method === 'POST') headers['content-type'] = options.type ?? 'application/json'
  const response = await fetch(`${relay.httpUrl}${route}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: options.raw ?? JSON.stringify(options.body ?? {}) } : {}),
  })
  const text = await response.text()
  return { status: response.status, body: text ? (JSON.parse(text) as Answer['body']) : {} }
}

function event(itemId = 'item_launch', network = 'linkedin') {
  return {
    id: newShareId(),
    proof: 'p'.repeat(43),
    itemId,
    network,
    objective: 'campaign',
    campaignId: 'camp_q3',
    sharedAt: new Date().toISOString(),
  }
}

/** The relay's shares rows, through its backend (SQLite file or PostgreSQL). */
async function relayShares(): Promise<Record<string, unknown>[]> {
  return ((await relationalRows(relay.dataDir)).get('shares') ?? []) as Record<string, unknown>[]
}

describe('relay HTTP API: authentication, as for WebSocket upgrades', () => {
  it('401 without a token, with a forged or expired one; 403 for a workspace not on the relay', async () => {
    const forged = await signToken('y'.repeat(64), {
      memberId: 'mem_mallory',
      workspaceId: acme,
      role: 'admin',
      name: 'Mallory',
      ttlSeconds: 3600,
    })
    const expired = await signToken(relay.secret, {
      memberId: 'mem_eric',
      workspaceId: acme,
      role: 'employee',
      name: 'Eric',
      ttlSeconds: -60,
    })
    const elsewhere = await signToken(relay.secret, {
      memberId: 'mem_zed',
      workspaceId: 'ws_not_here',
      role: 'admin',
      name: 'Zed',
      ttlSeconds: 3600,
    })
    const endpoints = [
      ['POST', '/api/v1/shares', { events: [event()] }],
      [
        'POST',
        '/api/v1/proposals',
        {
          id: 'prop_x1',
          url: 'https://a.example',
          title: 't',
          note: '',
          caption: '',
          proposedAt: new Date().toISOString(),
        },
      ],
      ['GET', '/api/v1/shares/summary', undefined],
    ] as const
    for (const [method, route, body] of endpoints) {
      const none = await call(method, route, { body })
      expect(none.status).toBe(401)
      expect(none.body.error?.message).toBe('missing token')
      expect((await call(method, route, { body, token: forged })).body.error?.message).toMatch(
        /bad-signature/,
      )
      const old = await call(method, route, { body, token: expired })
      expect(old.status).toBe(401)
      expect(old.body.error?.message).toMatch(/expired/)
      const foreign = await call(method, route, { body, token: elsewhere })
      expect(foreign.status).toBe(403)
    }
    expect(await relayShares()).toEqual([])
    expect(relay.logs()).toMatch(/api request refused .*status=401/)
  })

  it('the team summary is for champions and admins only', async () => {
    const refused = await call('GET', '/api/v1/shares/summary', { token: employeeToken })
    expect(refused.status).toBe(403)
    expect(refused.body.error?.code).toBe('forbidden')
    expect((await call('GET', '/api/v1/shares/summary', { token: championToken })).status).toBe(200)
  })
})

describe('POST /api/v1/shares', () => {
  it('stores each share once: a re-sent batch is all duplicates', async () => {
    const batch = [event('item_a', 'linkedin'), event('item_a', 'x'), event('item_b', 'linkedin')]
    const first = await call('POST', '/api/v1/shares', {
      token: employeeToken,
      body: { events: batch },
    })
    expect(first).toMatchObject({ status: 200, body: { accepted: 3, duplicates: 0 } })
    const again = await call('POST', '/api/v1/shares', {
      token: employeeToken,
      body: { events: [...batch, event('item_b', 'x')] },
    })
    expect(again).toMatchObject({ status: 200, body: { accepted: 1, duplicates: 3 } })
    const stored = (await relayShares()).filter((row) => batch.some((e) => e.id === row.id))
    expect(stored).toHaveLength(3)
    // The workspace comes from the token; the member is not stored (see share-ownership.test).
    expect(stored.every((row) => row.workspace_id === acme && !('member_id' in row))).toBe(true)

    const summary = await call('GET', '/api/v1/shares/summary', { token: championToken })
    expect(summary.body).toMatchObject({
      workspaceId: acme,
      total: 4,
      byNetwork: { linkedin: 2, x: 2 },
      items: [
        { itemId: 'item_a', total: 2, byNetwork: { linkedin: 1, x: 1 } },
        { itemId: 'item_b', total: 2, byNetwork: { linkedin: 1, x: 1 } },
      ],
    })
    // Another workspace sees none of it.
    const globexAdmin = await relay.issueToken({ workspaceId: globex, name: 'Gina', role: 'admin' })
    const theirs = await call('GET', '/api/v1/shares/summary', { token: globexAdmin.token })
    expect(theirs.body).toMatchObject({ workspaceId: globex, total: 0, items: [] })
  })

  it('refuses malformed bodies with a clear message and stores nothing', async () => {
    const before = (await relayShares()).length
    const cases: [Parameters<typeof call>[2], number, RegExp][] = [
      [{ raw: '{"events": [' }, 400, /not valid JSON/],
      [{ body: {} }, 400, /events/],
      [{ body: { events: [] } }, 400, /events is empty/],
      [
        { body: { events: [{ ...event(), id: 'Mallory-was-here' }] } },
        400,
        /events\.0\.id: share id/,
      ],
      [{ body: { events: [{ ...event(), network: 'myspace' }] } }, 400, /events\.0\.network/],
      [{ body: { events: [event()], extra: true } }, 400, /extra/],
      [{ body: { events: Array.from({ length: 501 }, () => event()) } }, 400, /at most 500/],
      [{ body: { events: [event()] }, type: 'text/plain' }, 415, /application\/json/],
      [{ raw: JSON.stringify({ events: [event()], pad: 'x'.repeat(300_000) }) }, 413, /over/],
    ]
    for (const [options, status, message] of cases) {
      const answer = await call('POST', '/api/v1/shares', { token: employeeToken, ...options })
      expect(answer.status, JSON.stringify(answer.body)).toBe(status)
      expect(answer.body.error?.message).toMatch(message)
    }
    expect(await relayShares()).toHaveLength(before)
    expect((await call('GET', '/api/v1/nothing', { token: employeeToken })).status).toBe(404)
    expect((await call('GET', '/api/v1/shares', { token: employeeToken })).status).toBe(405)
    // The relay is still fine.
    expect((await fetch(`${relay.httpUrl}/health`)).status).toBe(200)
  })
})

describe('POST /api/v1/proposals', () => {
  async function joinedCore(invitation: string): Promise<{ core: Core; client: CoreClient }> {
    const core = await Core.open({
      dataDir: tempDir('pv-api-'),
      maxBackoffMs: 500,
      outboxMinBackoffMs: 100,
    })
    cores.push(core)
    const client = clientOf(core)
    await client.call('workspace.join', { invitation })
    return { core, client }
  }

  it('an employee’s proposal becomes a submitted item in a champion’s core, once', async () => {
    // The same members' tokens: a new invitation would supersede the ones the API calls use.
    const champion = await joinedCore(
      formatInvitation({ relayUrl: relay.url, token: championToken }),
    )
    const employee = await joinedCore(
      formatInvitation({ relayUrl: relay.url, token: employeeToken }),
    )
    const proposal = await employee.client.call('proposal.create', {
      url: 'https://blog.example.org/post?id=7',
      title: 'A great post about our field',
      note: 'Our CTO is quoted in it',
      caption: 'Worth a read',
    })
    expect(proposal.state).toBe('sending')
    const item = await waitFor('the proposal reaches the champion', async () => {
      const items = await champion.client.call('queue.list', { status: ['submitted'] })
      return items.find((candidate) => candidate.id === proposal.id)
    })
    expect(item).toMatchObject({
      id: proposal.id,
      title: 'A great post about our field',
      url: 'https://blog.example.org/post?id=7',
      source: 'blog.example.org',
      sourceKind: 'employee',
      status: 'submitted',
      objective: 'awareness',
      priority: 50,
      why: 'Our CTO is quoted in it',
      authorId: 'mem_eric',
      moderation: null,
    })
    expect(Object.values(item.captions)).toEqual(Array(7).fill('Worth a read'))
    const pending = await waitFor('the proposal pending', async () => {
      const mine = await employee.client.call('proposal.listMine', {})
      return mine[0]?.state === 'pending' ? mine : undefined
    })
    expect(pending.map((p) => p.id)).toEqual([proposal.id])

    // Re-sending the same submission changes nothing.
    const submission = {
      id: proposal.id,
      url: proposal.url,
      title: proposal.title,
      note: proposal.note,
      caption: proposal.caption,
      proposedAt: proposal.proposedAt,
    }
    const again = await call('POST', '/api/v1/proposals', {
      token: employeeToken,
      body: submission,
    })
    expect(again).toEqual({ status: 200, body: { id: proposal.id, created: false } })
    // Someone else cannot take over that id.
    const taken = await call('POST', '/api/v1/proposals', {
      token: championToken,
      body: submission,
    })
    expect(taken.status).toBe(409)
    const count = (await champion.client.call('queue.list', {})).filter((i) => i.id === proposal.id)
    expect(count).toHaveLength(1)

    // A champion's decision (in the curation document, which the author does not hold) reaches
    // the author through the relay.
    const doc = champion.core.joined().sync.docs.curation
    const map = doc.getMap('items').get(proposal.id) as { set(key: string, value: unknown): void }
    doc.transact(() => {
      map.set('moderation', {
        decision: 'rejected',
        by: 'mem_chloe',
        at: '2026-11-24T10:00:00.000Z',
        reason: 'Off topic for us',
      })
      map.set('status', 'archived')
    })
    const decided = await waitFor('the proposal rejected', async () => {
      const mine = await employee.client.call('proposal.listMine', {})
      return mine[0]?.state === 'rejected' ? mine[0] : undefined
    })
    expect(decided).toMatchObject({
      reason: 'Off topic for us',
      decidedAt: '2026-11-24T10:00:00.000Z',
    })
  })

  it('validates the body', async () => {
    const bad = await call('POST', '/api/v1/proposals', {
      token: employeeToken,
      body: {
        id: 'prop_bad1',
        url: 'javascript:alert(1)',
        title: '',
        note: '',
        caption: '',
        proposedAt: 'soon',
      },
    })
    expect(bad.status).toBe(400)
    expect(bad.body.error?.message).toMatch(/url: must be an absolute http\(s\) URL/)
    expect(bad.body.error?.message).toMatch(/title/)
    expect(bad.body.error?.message).toMatch(/proposedAt/)
  })
})

describe('POST /api/v1/proposals: limits', () => {
  it(`one member has at most ${MAX_PENDING_PROPOSALS} proposals awaiting review; more get 429`, async () => {
    const { token } = await relay.issueToken({
      workspaceId: acme,
      name: 'Prolific',
      role: 'employee',
      memberId: 'mem_prolific',
    })
    const propose = (n: number) =>
      call('POST', '/api/v1/proposals', {
        token,
        body: {
          id: `prop_limit_${n}`,
          url: `https://example.com/limit/${n}`,
          title: `Proposal ${n}`,
          note: '',
          caption: '',
          proposedAt: new Date().toISOString(),
        },
      })
    for (let n = 0; n < MAX_PENDING_PROPOSALS; n++) expect((await propose(n)).status).toBe(201)
    const refused = await propose(MAX_PENDING_PROPOSALS)
    expect(refused.status).toBe(429)
    expect(refused.body.error?.message).toMatch(/await review/)
    // A re-sent proposal that is already there stays a harmless 200.
    expect((await propose(0)).status).toBe(200)
  })
})
