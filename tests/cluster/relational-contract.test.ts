import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { DEFAULT_POINT_WEIGHTS } from '../../common/model/recognition'
import { newShareId } from '../../common/share'
import { aggregateRows } from '../../sync-server/board/aggregate'
import { type Db, openDatabase } from '../../sync-server/persistence/database'
import {
  openSqliteRelational,
  type RelationalStores,
} from '../../sync-server/persistence/relational'
import { ShareConflictError } from '../../sync-server/persistence/share-store'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { removeTempDir, tempDir } from '../helpers/process'
import { startPostgres, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'

/**
 * One contract for the relay's relational stores (issue 11.2), run on both implementations: the
 * embedded SQLite file and PostgreSQL (a real server, a schema per backend instance). A second
 * instance on the same storage stands for the admin tool or another node.
 */
type Backend = {
  /** A store on the shared storage; `watching` = a relay node (follows member changes). */
  open(watching: boolean): Promise<RelationalStores>
  close(): Promise<void>
}

let postgres: TestServer | undefined
let schemas = 0

async function sqliteBackend(): Promise<Backend> {
  const dir = tempDir('porte-voix-contract-')
  const dbs: Db[] = []
  return {
    open: async () => {
      const db = openDatabase(dir)
      dbs.push(db)
      // The data_version poll is the SQLite watch: fast here so the test does not wait long.
      return openSqliteRelational(db, { pollMs: 20 })
    },
    close: async () => {
      for (const db of dbs) db.close()
      removeTempDir(dir)
    },
  }
}

async function postgresBackend(): Promise<Backend> {
  postgres ??= await startPostgres()
  const schema = `contract_${++schemas}`
  const client = new pg.Client({ connectionString: postgres.url })
  await client.connect()
  await client.query(`CREATE SCHEMA ${schema}`)
  await client.end()
  const url = `${postgres.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
  const open: RelationalStores[] = []
  return {
    open: async (watching) => {
      const stores = await openPgRelational({ url, listen: watching })
      open.push(stores)
      return stores
    },
    close: async () => {
      await Promise.all(open.map((s) => s.close()))
    },
  }
}

afterAll(async () => {
  await postgres?.stop()
})

const WS = 'ws_contract'
const member = (id: string, role: 'employee' | 'champion' = 'employee') => ({
  id,
  workspaceId: WS,
  displayName: `Name ${id}`,
  role,
})
const share = (id: string, itemId = 'item_a', network: 'linkedin' | 'x' = 'linkedin') => ({
  id,
  itemId,
  network,
  objective: 'awareness' as const,
  campaignId: 'camp_1',
  sharedAt: '2026-03-02T09:00:00.000Z',
  proof: `proof-of-${id}-0123456789abcdef0123456789abcdef`,
})
const target = (url: string) => ({
  url,
  campaignId: 'camp_1',
  campaignSlug: 'spring',
  objective: 'awareness',
  sourceKind: 'internal',
})
const click = (shareId: string, at: string, ip = '203.0.113.7') => ({
  workspaceId: WS,
  shareId,
  itemId: 'item_a',
  network: 'linkedin' as const,
  ip,
  uaFamily: 'firefox/linux',
  at: new Date(at),
})

describe.each([
  ['sqlite', sqliteBackend],
  ['postgres', postgresBackend],
] as const)('relational stores on %s', (_name, make) => {
  let backend: Backend
  let s: RelationalStores

  beforeAll(async () => {
    backend = await make()
    s = await backend.open(true)
    await s.workspaces.createWorkspace({ id: WS, name: 'Contract' })
  })
  afterAll(async () => {
    await backend?.close()
  })

  it('workspaces: created, read, listed; unknown is null', async () => {
    expect(await s.workspaces.getWorkspace(WS)).toEqual({ id: WS, name: 'Contract' })
    expect(await s.workspaces.getWorkspace('ws_nope')).toBeNull()
    expect((await s.workspaces.listWorkspaces()).map((w) => w.id)).toContain(WS)
  })

  it('members: invitation generations, role, removal lifted by a re-invitation, deletion', async () => {
    const now = new Date('2026-03-01T10:00:00Z')
    const later = new Date('2026-04-01T10:00:00Z')
    expect(await s.workspaces.upsertMember(member('mem_a'), now, later)).toBe(1)
    expect(await s.workspaces.upsertMember(member('mem_a', 'champion'), now, later)).toBe(2)
    const record = await s.workspaces.getMemberRecord('mem_a')
    expect(record).toMatchObject({ role: 'champion', generation: 2, removedAt: null })
    expect(await s.workspaces.getMember('mem_a')).toEqual(member('mem_a', 'champion'))
    expect(await s.workspaces.setRole('mem_a', 'employee')).toBe(true)
    expect(await s.workspaces.setRole('mem_nobody', 'employee')).toBe(false)
    expect((await s.workspaces.getMemberRecord('mem_a'))?.generation).toBe(2)
    expect(await s.workspaces.removeMember('mem_a', now)).toBe(true)
    expect(await s.workspaces.removeMember('mem_a', now)).toBe(false)
    expect((await s.workspaces.getMemberRecord('mem_a'))?.removedAt).toBe(now.toISOString())
    expect(await s.workspaces.upsertMember(member('mem_a'), now, later)).toBe(3)
    expect((await s.workspaces.getMemberRecord('mem_a'))?.removedAt).toBeNull()

    // Devices: one batch may touch a device twice (a connect and its disconnect).
    await s.workspaces.touchDevices([
      { member: 'mem_a', device: 'dev_1', now, connected: 1 },
      { member: 'mem_a', device: 'dev_1', now: later, connected: 0 },
      { member: 'mem_a', device: 'dev_2', now, connected: 1 },
    ])
    await s.workspaces.touchDevice('mem_a', 'dev_1', later, 1)
    const devices = await s.workspaces.listDevices('mem_a')
    expect(devices.map((d) => [d.device, d.connections, d.lastSeen])).toEqual([
      ['dev_1', 2, later.toISOString()],
      ['dev_2', 1, now.toISOString()],
    ])
    const listed = (await s.workspaces.listMembers(WS)).find((m) => m.id === 'mem_a')
    expect(listed).toMatchObject({ devices: 2, lastSeen: later.toISOString(), generation: 3 })

    const before = await s.workspaces.countMembers()
    expect(await s.workspaces.deleteMember('mem_a')).toBe(true)
    expect(await s.workspaces.deleteMember('mem_a')).toBe(false)
    expect(await s.workspaces.getMemberRecord('mem_a')).toBeNull()
    expect(await s.workspaces.listDevices('mem_a')).toEqual([])
    expect(await s.workspaces.countMembers()).toBe(before - 1)
  })

  it('a member change made by another instance is heard and not served from a cache', async () => {
    const now = new Date()
    await s.workspaces.upsertMember(member('mem_w', 'champion'), now, now)
    // Read (and maybe cached) here first.
    expect((await s.workspaces.getMemberRecord('mem_w'))?.role).toBe('champion')
    let heard = 0
    const unwatch = s.watchMembers(() => heard++)
    const other = await backend.open(false)
    try {
      await other.workspaces.setRole('mem_w', 'employee')
      await waitFor('the member change heard', () => heard > 0)
      expect((await s.workspaces.getMemberRecord('mem_w'))?.role).toBe('employee')
      await other.workspaces.removeMember('mem_w')
      await waitFor(
        'the removal seen',
        async () => (await s.workspaces.getMemberRecord('mem_w'))?.removedAt != null,
      )
    } finally {
      unwatch()
    }
  })

  it('shares: a batch once, re-sent ids are duplicates, another proof refuses the whole batch', async () => {
    const a = share(newShareId())
    const b = share(newShareId(), 'item_b', 'x')
    const at = new Date('2026-03-02T10:00:00Z')
    expect(await s.shares.record(WS, [a, b], at)).toEqual({
      accepted: 2,
      duplicates: 0,
      acceptedIds: [a.id, b.id],
      duplicateIds: [],
    })
    expect(await s.shares.record(WS, [a, a], at)).toEqual({
      accepted: 0,
      duplicates: 2,
      acceptedIds: [],
      duplicateIds: [a.id],
    })
    const c = share(newShareId())
    const stolen = { ...a, proof: 'another-proof-0123456789abcdef0123456789abcdef' }
    await expect(s.shares.record(WS, [c, stolen], at)).rejects.toBeInstanceOf(ShareConflictError)
    expect(await s.shares.owns(WS, c.id, c.proof)).toBe(false)
    expect(await s.shares.owns(WS, a.id, a.proof)).toBe(true)
    expect(await s.shares.owns(WS, a.id, stolen.proof)).toBe(false)
    const summary = await s.shares.summary(WS)
    expect(summary.total).toBeGreaterThanOrEqual(2)
    expect(summary.items.find((i) => i.itemId === 'item_b')?.byNetwork).toEqual({ x: 1 })
  })

  it('links: only changed targets are written; clicks unique per visitor within 24 h', async () => {
    expect(
      await s.links.putTargets(
        WS,
        new Map([
          ['item_a', target('https://example.com/a')],
          ['item_b', target('https://example.com/b')],
        ]),
      ),
    ).toBe(2)
    expect(
      await s.links.putTargets(WS, new Map([['item_a', target('https://example.com/a')]])),
    ).toBe(0)
    expect(
      await s.links.putTargets(WS, new Map([['item_a', target('https://example.com/a2')]])),
    ).toBe(1)
    expect(await s.links.target(WS, 'item_a')).toEqual(target('https://example.com/a2'))
    expect(await s.links.target(WS, 'item_zz')).toBeNull()

    const id = newShareId()
    const count = await s.links.clickCount(WS)
    expect(await s.links.recordClick(click(id, '2026-03-01T23:59:00Z'))).toBe(true)
    expect(await s.links.recordClick(click(id, '2026-03-02T00:01:00Z'))).toBe(false)
    expect(await s.links.recordClick(click(id, '2026-03-02T00:02:00Z', '203.0.113.8'))).toBe(true)
    expect(await s.links.recordClick(click(id, '2026-03-03T00:05:00Z'))).toBe(true)
    expect(await s.links.clickCount(WS)).toEqual({
      total: count.total + 4,
      unique: count.unique + 3,
    })
    expect(await s.links.forgetOldVisitors(new Date('2026-03-10T00:00:00Z'))).toBeGreaterThan(0)
  })

  it('results: opt-in links owned shares only, mine, opt-out, conversions once with attribution', async () => {
    const mine = share(newShareId())
    const other = share(newShareId())
    await s.shares.record(WS, [mine, other], new Date('2026-03-02T10:00:00Z'))
    await s.links.recordClick(click(mine.id, '2026-03-02T11:00:00Z'))
    expect(await s.results.optedIn(WS, 'mem_r')).toBe(false)
    expect(await s.results.linkIfOptedIn(WS, 'mem_r', [mine.id])).toBe(0)
    const linked = await s.results.optIn(
      WS,
      'mem_r',
      [
        { id: mine.id, proof: mine.proof },
        { id: other.id, proof: 'not-the-proof-0123456789abcdef0123456789abcdef' },
      ],
      new Date('2026-03-02T12:00:00Z'),
    )
    expect(linked).toBe(1)
    const later = share(newShareId())
    await s.shares.record(WS, [later], new Date())
    expect(await s.results.linkIfOptedIn(WS, 'mem_r', [later.id])).toBe(1)
    expect(await s.results.memberLinks(WS, 'mem_r')).toEqual({
      optedAt: '2026-03-02T12:00:00.000Z',
      shareIds: [mine.id, later.id].sort(),
    })

    const key = await s.results.createConversionKey(WS, 'camp_1', new Date())
    expect(await s.results.keyScope(key)).toEqual({ workspaceId: WS, campaignId: 'camp_1' })
    expect(await s.results.keyScope(`${key}x`)).toBeNull()
    const scope = { workspaceId: WS, campaignId: 'camp_1' }
    const input = {
      idempotencyId: `conv-${mine.id}`,
      shareId: mine.id,
      kind: 'signup',
      value: 12.5,
    }
    const first = await s.results.recordConversion(scope, input, new Date('2026-03-03T08:00:00Z'))
    expect(first).toEqual({
      counted: true,
      attribution: {
        campaignId: 'camp_1',
        shareId: mine.id,
        itemId: 'item_a',
        network: 'linkedin',
      },
    })
    expect((await s.results.recordConversion(scope, input, new Date())).counted).toBe(false)
    expect(await s.results.conversionCount(WS, 'camp_1')).toBeGreaterThanOrEqual(1)

    const results = await s.results.mine(WS, [
      { id: mine.id, proof: mine.proof },
      { id: other.id, proof: mine.proof },
    ])
    expect(results.clicks).toEqual([
      { shareId: mine.id, at: '2026-03-02T11:00:00.000Z', unique: true },
    ])
    expect(results.conversions).toEqual([
      {
        id: input.idempotencyId,
        shareId: mine.id,
        at: '2026-03-03T08:00:00.000Z',
        kind: 'signup',
        value: 12.5,
      },
    ])

    expect(await s.results.optOut(WS, 'mem_r')).toBe(2)
    expect(await s.results.memberLinks(WS, 'mem_r')).toBeNull()
  })

  it('board rows: the same aggregate from either backend (hour of week in UTC, opted-in names)', async () => {
    const ws = 'ws_board'
    await s.workspaces.createWorkspace({ id: ws, name: 'Board' })
    const now = new Date('2026-03-04T12:00:00Z')
    await s.workspaces.upsertMember({ ...member('mem_b'), workspaceId: ws }, now, now)
    const one = share(newShareId())
    await s.shares.record(ws, [one], now)
    await s.links.putTargets(ws, new Map([['item_a', target('https://example.com/a')]]))
    await s.results.optIn(ws, 'mem_b', [{ id: one.id, proof: one.proof }], now)
    // Wednesday 2026-03-04 05:30 UTC: slot 3 * 24 + 5 = 77.
    await s.links.recordClick({ ...click(one.id, '2026-03-04T05:30:00Z'), workspaceId: ws })
    await s.links.recordClick({ ...click(one.id, '2026-03-04T05:40:00Z'), workspaceId: ws })
    await s.results.recordConversion(
      { workspaceId: ws, campaignId: 'camp_1' },
      { idempotencyId: 'b-1', shareId: one.id, kind: 'signup', value: 3 },
      now,
    )
    const rows = await s.board.boardRows(ws)
    expect(rows.optedIn).toEqual(['mem_b'])
    const board = aggregateRows(rows, {
      weights: DEFAULT_POINT_WEIGHTS,
      challenges: [],
      memberName: (id) => (id === 'mem_b' ? 'Name mem_b' : null),
      now,
    })
    expect(board.items.get('item_a')).toMatchObject({
      shares: 1,
      clicks: 2,
      uniqueClicks: 1,
      conversions: 1,
      conversionValue: 3,
    })
    expect(board.sourceKinds.get('internal')).toMatchObject({ shares: 1, clicks: 2 })
    expect(board.clickCurve.get('linkedin')?.[77]).toBe(2)
    expect(board.leaderboard.rows.map((r) => [r.memberId, r.rank])).toEqual([['mem_b', 1]])
  })
})
