import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { newShareId } from '../../common/share'
import type { Core, CoreOptions } from '../../main/core/core'
import { receiptProblem, relayApiUrl } from '../../main/core/shares/relay-api'
import { DATABASE_FILE } from '../../main/core/store/database'
import { DB_FILE } from '../../sync-server/persistence/database'
import { fakeInvitation, publishItem } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { ERIC, joinWith, openRelayCore } from './opened'

const cores = new Set<Core>()
const relays: RelayProcess[] = []
const servers: Server[] = []

afterAll(async () => {
  for (const core of cores) await core.close()
  for (const relay of relays) await relay.stop()
  for (const server of servers) await new Promise((done) => server.close(done))
})

const opened: string[] = []
async function openCore(dataDir: string, extra: Partial<CoreOptions> = {}) {
  const core = await openRelayCore(dataDir, {
    opener: { open: async (url) => void opened.push(url) },
    ...extra,
  })
  cores.add(core.core)
  return core
}

async function closeCore(core: Core): Promise<void> {
  cores.delete(core)
  await core.close()
}

type OutboxRow = {
  id: string
  attempts: number
  last_error: string | null
  delivered_at: string | null
  failed_at: string | null
}

function outbox(dataDir: string): OutboxRow[] {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    return db
      .prepare(
        'SELECT id, attempts, last_error, delivered_at, failed_at FROM outbox ORDER BY created_at',
      )
      .all() as OutboxRow[]
  } finally {
    db.close()
  }
}

function relayShareIds(relay: RelayProcess): string[] {
  const db = new Database(path.join(relay.dataDir, DB_FILE), { readonly: true })
  try {
    return (db.prepare('SELECT id FROM shares').all() as { id: string }[]).map((row) => row.id)
  } finally {
    db.close()
  }
}

describe('relay API URL', () => {
  it('is the relay URL over http(s), keeping a path prefix', () => {
    expect(relayApiUrl('ws://127.0.0.1:4455', 'shares')).toBe('http://127.0.0.1:4455/api/v1/shares')
    expect(relayApiUrl('wss://relay.acme.example/pv/', 'proposals')).toBe(
      'https://relay.acme.example/pv/api/v1/proposals',
    )
  })
})

describe('outbox against a real relay', () => {
  it('a share made while the relay is down survives a core restart and arrives exactly once', async () => {
    let relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await openCore(tempDir('pv-outbox-'))
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await publishItem(champion.client, 'Launch')
    const employeeDir = tempDir('pv-outbox-')
    let employee = await openCore(employeeDir)
    await joinWith(employee.client, relay, { workspaceId, ...ERIC })
    await waitFor(
      'the item in the employee queue',
      async () => (await employee.client.call('queue.forMe', {})).length === 1,
    )

    await relay.stop()
    relays.splice(relays.indexOf(relay), 1)
    await waitFor(
      'the employee offline',
      async () => (await employee.client.call('status.get', {})).sync === 'offline',
    )
    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Offline words',
    })
    // The relay is down: the POST fails and the entry waits, with the reason.
    await waitFor('a failed attempt', () => (outbox(employeeDir)[0]?.attempts ?? 0) > 0)
    expect(outbox(employeeDir)).toMatchObject([
      {
        id: share.shareId,
        delivered_at: null,
        failed_at: null,
        last_error: expect.stringMatching(/unreachable/),
      },
    ])

    // The core restarts (still offline): the entry is still pending.
    await closeCore(employee.core)
    employee = await openCore(employeeDir)
    expect(outbox(employeeDir)).toMatchObject([{ id: share.shareId, delivered_at: null }])
    const pending: number[] = []
    employee.client.on('mine.changed', ({ pendingOutbox }) => pending.push(pendingOutbox))

    relay = await startRelay({ dataDir: relay.dataDir, port: relay.port })
    relays.push(relay)
    await waitFor('the share is delivered', () => outbox(employeeDir)[0]?.delivered_at, {
      timeoutMs: 30_000,
    })
    expect(relayShareIds(relay)).toEqual([share.shareId])
    await waitFor('no share pending', () => pending.at(-1) === 0)
    // Sent once and never again: one report, no duplicates (the line names no member: the relay
    // does not record who shared what).
    const reports = relay.logs().match(/shares received .*/g) ?? []
    expect(reports.every((line) => !line.includes('mem_eric'))).toBe(true)
    expect(reports).toHaveLength(1)
    expect(reports[0]).toMatch(/accepted=1 duplicates=0/)
    // Stats stayed local all along.
    expect((await employee.client.call('stats.mine', {})).total).toBe(1)
  })
})

describe('outbox against a misbehaving relay', () => {
  it('retries 5xx, marks a 400 failed without retrying it, and splits a refused batch', async () => {
    type Seen = { ids: string[]; auth: string | undefined }
    const seen: Seen[] = []
    let mode: 'ok' | 'down' | 'bad' | ((ids: string[]) => number) = 'down'
    const server = createServer((req, res) => {
      if (req.url !== '/api/v1/shares') {
        res.writeHead(404).end()
        return
      }
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      req.on('end', () => {
        const ids = (JSON.parse(body) as { events: { id: string }[] }).events.map((e) => e.id)
        seen.push({ ids, auth: req.headers.authorization })
        const status =
          typeof mode === 'function' ? mode(ids) : mode === 'ok' ? 200 : mode === 'down' ? 503 : 400
        res.writeHead(status, { 'content-type': 'application/json' })
        res.end(
          status === 400
            ? JSON.stringify({ error: { code: 'bad_request', message: 'events.0.itemId: nope' } })
            : JSON.stringify({
                accepted: ids.length,
                duplicates: 0,
                acceptedIds: ids,
                duplicateIds: [],
              }),
        )
      })
    })
    servers.push(server)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const port = (server.address() as AddressInfo).port
    const dataDir = tempDir('pv-outbox-')
    const { client } = await openCore(dataDir)
    const invitation = fakeInvitation({ role: 'champion', relayUrl: `ws://127.0.0.1:${port}` })
    await client.call('workspace.join', { invitation })
    const token = new URLSearchParams(invitation.split('?')[1]).get('token')
    const item = await publishItem(client, 'Report')
    const share = async () =>
      (await client.call('share.perform', { itemId: item.id, network: 'x', text: 'Read this' }))
        .shareId
    const row = (id: string) => outbox(dataDir).find((r) => r.id === id)
    const requestsFor = (id: string) => seen.filter((s) => s.ids.includes(id)).length

    // 503 twice, then the relay is back: delivered, after retries.
    const c = await share()
    await waitFor('two tries of c', () => requestsFor(c) >= 2)
    mode = 'ok'
    await waitFor('c delivered', () => row(c)?.delivered_at)
    expect(seen[0]?.auth).toBe(`Bearer ${token}`)

    // A 400 is final: marked failed with the relay's message, kept, not sent again.
    mode = 'bad'
    const a = await share()
    await waitFor('a failed', () => row(a)?.failed_at)
    expect(row(a)).toMatchObject({
      delivered_at: null,
      last_error: 'HTTP 400: events.0.itemId: nope',
    })
    mode = 'ok'
    const b = await share()
    await waitFor('b delivered', () => row(b)?.delivered_at)
    expect(requestsFor(a)).toBe(1)

    // Two shares wait while the relay is down; then it refuses one: only that one fails.
    mode = 'down'
    const d = await share()
    const e = await share()
    await waitFor('a try of e', () => requestsFor(e) >= 1)
    mode = (ids) => (ids.includes(d) ? 400 : 200)
    await waitFor('e delivered and d failed', () => row(e)?.delivered_at && row(d)?.failed_at)
    expect(seen.some((s) => s.ids.length === 2 && s.ids.includes(d) && s.ids.includes(e))).toBe(
      true,
    )
    expect(requestsFor(a)).toBe(1)
    // Every share is still counted locally.
    expect((await client.call('stats.mine', {})).total).toBe(5)
    expect(outbox(dataDir)).toHaveLength(5)
  })
})

describe("delivery means delivery: a 2xx without the relay's receipt is not delivered", () => {
  it('keeps shares and proposals pending behind a captive portal, delivers them once the relay answers', async () => {
    let portal = true
    const bodies: string[] = []
    const server = createServer((req, res) => {
      let body = ''
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8')
      })
      req.on('end', () => {
        if (req.method !== 'POST') {
          res.writeHead(404).end()
          return
        }
        bodies.push(req.url ?? '')
        if (portal) {
          // What a hotel's portal or a proxy's block page answers to anything.
          res.writeHead(200, { 'content-type': 'text/html' }).end('<h1>200 okay</h1>')
          return
        }
        const sent = JSON.parse(body) as { id?: string; events?: { id: string }[] }
        res.writeHead(200, { 'content-type': 'application/json' })
        if (req.url === '/api/v1/shares') {
          const ids = (sent.events ?? []).map((e) => e.id)
          // A JSON 200 that leaves one share out is not a receipt for it either.
          const partial = ids.length > 1 ? ids.slice(1) : ids
          res.end(
            JSON.stringify({
              accepted: partial.length,
              duplicates: 0,
              acceptedIds: partial,
              duplicateIds: [],
            }),
          )
        } else res.end(JSON.stringify({ id: sent.id, created: true }))
      })
    })
    servers.push(server)
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
    const port = (server.address() as AddressInfo).port
    const dataDir = tempDir('pv-outbox-')
    const { client } = await openCore(dataDir)
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', relayUrl: `ws://127.0.0.1:${port}` }),
    })
    const item = await publishItem(client, 'Portal')
    const { shareId } = await client.call('share.perform', {
      itemId: item.id,
      network: 'x',
      text: 'Read this',
    })
    const proposal = await client.call('proposal.create', {
      url: 'https://blog.example.org/portal',
      title: 'Behind a portal',
      note: '',
      caption: '',
    })
    const row = (id: string) => outbox(dataDir).find((r) => r.id === id)
    await waitFor('both tried twice behind the portal', () => bodies.length >= 4)
    for (const id of [shareId, proposal.id]) {
      expect(row(id)).toMatchObject({ delivered_at: null, failed_at: null })
      expect(row(id)?.last_error).toMatch(/not the relay's answer \(not JSON\)/)
    }
    expect((await client.call('proposal.listMine', {}))[0]?.state).toBe('sending')
    portal = false
    await waitFor(
      'delivered with receipts',
      () => row(shareId)?.delivered_at && row(proposal.id)?.delivered_at,
    )
    expect((await client.call('proposal.listMine', {}))[0]?.state).toBe('pending')
  })

  it('a receipt must name every share of the batch', async () => {
    const url = 'http://relay.example/api/v1/shares'
    const [a, b] = [newShareId(), newShareId()] as [string, string]
    const sent = { events: [{ id: a }, { id: b }] }
    const receipt = (acceptedIds: string[], duplicateIds: string[]) =>
      JSON.stringify({
        accepted: acceptedIds.length,
        duplicates: duplicateIds.length,
        acceptedIds,
        duplicateIds,
      })
    expect(receiptProblem(url, sent, receipt([a], []))).toMatch(/1 share\(s\) missing/)
    expect(receiptProblem(url, sent, JSON.stringify({ accepted: 2, duplicates: 0 }))).toMatch(
      /not a share receipt/,
    )
    expect(receiptProblem(url, sent, '{"ok":true}')).toMatch(/not a share receipt/)
    expect(receiptProblem(url, sent, null)).toBe('no body')
    expect(receiptProblem(url, sent, receipt([a], [b]))).toBeNull()
    const proposals = 'http://relay.example/api/v1/proposals'
    expect(receiptProblem(proposals, { id: 'prop_1' }, '{"id":"prop_2","created":true}')).toBe(
      'another proposal id',
    )
    expect(
      receiptProblem(proposals, { id: 'prop_1' }, '{"id":"prop_1","created":false}'),
    ).toBeNull()
  })
})

describe('proposals go through the outbox too', () => {
  it('shows sending until the relay has it, then pending; HTTP delivery does not need the sync link', async () => {
    const relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const dataDir = tempDir('pv-outbox-')
    const { core, client } = await openCore(dataDir)
    await client.call('workspace.join', {
      invitation: await relay.invite({
        workspaceId,
        name: 'Erin',
        role: 'employee',
        memberId: 'mem_erin',
      }),
    })
    // The WebSocket sync is off: the item the relay creates cannot reach this replica yet.
    core.setNetwork(false)
    const made = await client.call('proposal.create', {
      url: 'https://blog.example.org/a',
      title: 'A post',
      note: '',
      caption: 'Nice',
    })
    expect(made.id).toMatch(/^prop_/)
    expect(made.state).toBe('sending')
    await waitFor('the proposal delivered', () => outbox(dataDir)[0]?.delivered_at)
    expect((await client.call('proposal.listMine', {})).map((p) => p.state)).toEqual(['pending'])
    core.setNetwork(true)
    await waitFor(
      'synced again',
      async () => (await client.call('status.get', {})).sync === 'synced',
    )
    // The proposal waits in the curators' document: the author's replica never holds it.
    expect(await client.call('queue.list', { status: ['submitted'] })).toEqual([])
    expect((await client.call('proposal.listMine', {})).map((p) => p.state)).toEqual(['pending'])
  })
})
