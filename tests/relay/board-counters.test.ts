import { describe, expect, it } from 'vitest'
import type { Challenge, PointWeights } from '../../common/model/recognition'
import { newShareId } from '../../common/share'
import { aggregateRows } from '../../sync-server/board/aggregate'
import { BoardState } from '../../sync-server/board/counters'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { normalBoard } from '../helpers/board-content'
import { prng } from '../helpers/prng'
import { tempDir } from '../helpers/process'
import { relationalStoresFor } from '../helpers/relational-stores'
import { onClusterBackend } from '../helpers/relay'

/**
 * The board's running counters (board/counters.ts) against a full rebuild (aggregateRows over
 * every row), on this project's backend: SQLite, or PostgreSQL on relay-cluster. Random shares,
 * clicks (before and after their share is reported), conversions, opt-ins and links, opt-outs
 * and member deletions, link_items changes, weight and challenge changes and days passing; after
 * each step the counters, moved only by the rows added since (boardDelta), must equal a rebuild.
 * (Bots never reach these tables: the redirect does not record them, tests/relay/links.)
 */
const dir = tempDir('porte-voix-board-counters-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

const NETWORKS = ['linkedin', 'x', 'facebook'] as const
const OBJECTIVES = ['awareness', 'campaign', 'talent'] as const
const KINDS = ['internal', 'third-party', 'employee'] as const
const ITEMS = ['item_a', 'item_b', 'item_c', 'item_d']
const CAMPAIGNS = ['camp_1', 'camp_2', null]
const MEMBERS = ['mem_a', 'mem_b', 'mem_c', 'mem_d']

async function run(seed: number, steps: number): Promise<{ deltas: number; rebuilds: number }> {
  const random = prng(seed)
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
  const ws = `ws_counters_${seed}`
  await s.workspaces.createWorkspace({ id: ws, name: `Counters ${seed}` })
  let now = new Date('2026-03-20T12:00:00Z')
  const at = () => new Date(now.getTime() - Math.floor(random() * 100 * 86_400_000))
  const names = new Map<string, string>()
  for (const id of MEMBERS) {
    await s.workspaces.upsertMember(
      { id, workspaceId: ws, displayName: `Name ${id}`, role: 'employee' },
      now,
      new Date(now.getTime() + 86_400_000 * 365),
    )
    names.set(id, `Name ${id}`)
  }
  let weights: PointWeights = { share: 10, click: 1, conversion: 25 }
  let challenges: Challenge[] = []
  // Share ids, reported or not yet, with their owner and proof.
  const shares: { id: string; proof: string; member: string; reported: boolean }[] = []
  const newShare = () => {
    const id = newShareId()
    const entry = {
      id,
      proof: `proof-${id}-0123456789abcdef0123456789ab`.slice(0, 43),
      member: pick(MEMBERS),
      reported: false,
    }
    shares.push(entry)
    return entry
  }
  for (const item of ITEMS)
    await s.links.putTargets(
      ws,
      new Map([
        [
          item,
          {
            url: `https://example.com/${item}`,
            campaignId: pick(CAMPAIGNS),
            campaignSlug: 'spring',
            objective: pick(OBJECTIVES),
            sourceKind: pick(KINDS),
          },
        ],
      ]),
    )
  const input = () => ({
    weights,
    challenges,
    memberName: (id: string) => names.get(id) ?? null,
    now,
  })
  let state = BoardState.fromRows(await s.board.boardRows(ws))
  let deltas = 0
  let rebuilds = 0
  for (let step = 0; step < steps; step++) {
    const r = random()
    if (r < 0.2) {
      // A share report (sometimes of an id clicked before it was reported).
      const unreported = shares.filter((x) => !x.reported)
      const entry = unreported.length > 0 && random() < 0.5 ? pick(unreported) : newShare()
      entry.reported = true
      await s.shares.record(
        ws,
        [
          {
            id: entry.id,
            itemId: pick(ITEMS),
            network: pick(NETWORKS),
            objective: pick(OBJECTIVES),
            campaignId: pick(CAMPAIGNS),
            sharedAt: at().toISOString(),
            proof: entry.proof,
          },
        ],
        now,
      )
      await s.results.linkIfOptedIn(ws, entry.member, [entry.id])
    } else if (r < 0.6) {
      // Clicks, mostly on reported shares, some on ids not reported yet; repeat visitors.
      const entry = shares.length > 0 && random() < 0.85 ? pick(shares) : newShare()
      await s.links.recordClick({
        workspaceId: ws,
        shareId: entry.id,
        itemId: pick(ITEMS),
        network: pick(NETWORKS),
        ip: `203.0.113.${Math.floor(random() * 4)}`,
        uaFamily: pick(['firefox/linux', 'safari/ios']),
        at: at(),
      })
    } else if (r < 0.7) {
      const entry = shares.length > 0 && random() < 0.8 ? pick(shares) : null
      await s.results.recordConversion(
        { workspaceId: ws, campaignId: pick(['camp_1', 'camp_2']) },
        {
          idempotencyId: `conv-${seed}-${step}`,
          shareId: entry ? entry.id : random() < 0.5 ? null : newShare().id,
          kind: 'signup',
          value: random() < 0.3 ? null : Math.round(random() * 10_000) / 100,
        },
        at(),
      )
    } else if (r < 0.78) {
      const member = pick(MEMBERS)
      if (names.has(member)) {
        const mine = shares.filter((x) => x.member === member && x.reported)
        await s.results.optIn(ws, member, mine, now)
      }
    } else if (r < 0.82) {
      // An opt-out deletes the member's links: a generation change, rebuilt from the tables.
      await s.results.optOut(ws, pick(MEMBERS))
    } else if (r < 0.84) {
      // A member erased: out of the leaderboard and their links deleted.
      const member = pick(MEMBERS)
      await s.results.optOut(ws, member)
      await s.workspaces.deleteMember(member)
      names.delete(member)
    } else if (r < 0.9) {
      // A link_items fact changes (objective, campaign or kind of an item).
      await s.links.putTargets(
        ws,
        new Map([
          [
            pick(ITEMS),
            {
              url: 'https://example.com/moved',
              campaignId: pick(CAMPAIGNS),
              campaignSlug: 'autumn',
              objective: pick(OBJECTIVES),
              sourceKind: pick(KINDS),
            },
          ],
        ]),
      )
    } else if (r < 0.95) {
      weights = {
        share: Math.floor(random() * 20),
        click: Math.floor(random() * 3),
        conversion: Math.floor(random() * 50),
      }
      challenges =
        random() < 0.5
          ? []
          : [
              {
                id: 'chal_1',
                name: 'Spring',
                metric: pick(['shares', 'clicks', 'conversions', 'points'] as const),
                filter: random() < 0.5 ? {} : { objective: pick(OBJECTIVES) },
                startsAt: new Date(now.getTime() - 40 * 86_400_000).toISOString(),
                endsAt: new Date(now.getTime() + 86_400_000).toISOString(),
                prize: 'A mug',
              },
            ]
    } else {
      // Days pass: the 90-day window and the month move.
      now = new Date(now.getTime() + Math.floor(random() * 20) * 86_400_000)
    }

    const delta = await s.board.boardDelta(ws, state.cursor)
    if (delta) {
      state.apply(delta)
      deltas++
    } else {
      state = BoardState.fromRows(await s.board.boardRows(ws))
      rebuilds++
    }
    const full = aggregateRows(await s.board.boardRows(ws), input())
    expect(normalBoard(state.content(input())), `seed ${seed}, step ${step}`).toEqual(
      normalBoard(full),
    )
  }
  return { deltas, rebuilds }
}

describe(`board counters equal a rebuild (${onClusterBackend() ? 'PostgreSQL' : 'SQLite'})`, () => {
  it('after random shares, clicks, conversions, opt-ins, deletions and weight changes', async () => {
    let deltas = 0
    let rebuilds = 0
    for (const seed of [1, 2, 3]) {
      const counted = await run(seed, 150)
      deltas += counted.deltas
      rebuilds += counted.rebuilds
    }
    // Most steps counted on; deletions and link_items changes rebuilt.
    expect(deltas).toBeGreaterThan(rebuilds * 3)
    expect(rebuilds).toBeGreaterThan(0)
  })

  it('a click moves the cursor by one and reads only that click', async () => {
    const ws = 'ws_counters_one'
    await s.workspaces.createWorkspace({ id: ws, name: 'One' })
    const id = newShareId()
    await s.links.putTargets(
      ws,
      new Map([
        [
          'item_a',
          {
            url: 'https://example.com/a',
            campaignId: 'camp_1',
            campaignSlug: 'spring',
            objective: 'talent',
            sourceKind: 'internal',
          },
        ],
      ]),
    )
    for (let i = 0; i < 20; i++)
      await s.links.recordClick({
        workspaceId: ws,
        shareId: id,
        itemId: 'item_a',
        network: 'linkedin',
        ip: `198.51.100.${i}`,
        uaFamily: 'firefox/linux',
        at: new Date(`2026-03-0${1 + (i % 5)}T10:00:00Z`),
      })
    const state = BoardState.fromRows(await s.board.boardRows(ws))
    await s.links.recordClick({
      workspaceId: ws,
      shareId: id,
      itemId: 'item_a',
      network: 'linkedin',
      ip: '198.51.100.200',
      uaFamily: 'firefox/linux',
      at: new Date('2026-03-06T10:00:00Z'),
    })
    const delta = await s.board.boardDelta(ws, state.cursor)
    expect(delta?.cursor).toEqual({ ...state.cursor, seq: state.cursor.seq + 1 })
    expect(delta?.clicks).toEqual([expect.objectContaining({ share_id: id, n: 1, u: 1 })])
    expect(delta?.shares).toEqual([])
  })
})
