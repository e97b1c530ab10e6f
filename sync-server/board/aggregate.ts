import {
  BOARD_DAYS,
  type BoardCounts,
  type BoardDay,
  type ChallengeStandings,
  CLICK_CURVE_ALL,
  type Leaderboard,
} from '../../common/model/board'
import { OBJECTIVES, type Objective, SOURCE_KINDS, type SourceKind } from '../../common/model/item'
import { NETWORKS, type Network } from '../../common/model/networks'
import type { Challenge, PointWeights } from '../../common/model/recognition'
import type { Db } from '../persistence/database'
import { boardStandings } from './standings'

/** What the board document holds, computed from the relay's tables (board/writer.ts writes it). */
export type BoardContent = {
  items: Map<string, BoardCounts & { itemId: string; daily: BoardDay[] }>
  networks: Map<Network, BoardCounts>
  objectives: Map<Objective, BoardCounts>
  sourceKinds: Map<SourceKind, BoardCounts>
  campaigns: Map<string, BoardCounts & { campaignId: string; daily: BoardDay[] }>
  clickCurve: Map<Network | typeof CLICK_CURVE_ALL, number[]>
  leaderboard: Leaderboard
  challenges: Map<string, ChallengeStandings>
}

export type ShareRow = {
  id: string
  item_id: string
  network: string
  objective: string
  campaign_id: string | null
  shared_at: string
  source_kind: string | null
  member_id: string | null
}
/** Clicks grouped by share, UTC day and UTC hour of the week: SQLite counts, not JS. */
export type ClickRow = {
  share_id: string
  item_id: string
  network: string
  day: string
  how: number
  n: number
  u: number
  objective: string | null
  source_kind: string | null
  campaign_id: string | null
}
export type ConversionRow = {
  share_id: string | null
  campaign_id: string
  value: number | null
  at: string
}

const isNetwork = (v: string): v is Network => (NETWORKS as readonly string[]).includes(v)
const isObjective = (v: string | null): v is Objective =>
  v !== null && (OBJECTIVES as readonly string[]).includes(v)
const isSourceKind = (v: string | null): v is SourceKind =>
  v !== null && (SOURCE_KINDS as readonly string[]).includes(v)

const zero = (): BoardCounts => ({
  shares: 0,
  clicks: 0,
  uniqueClicks: 0,
  conversions: 0,
  conversionValue: 0,
})

type Event =
  | { kind: 'share' }
  | { kind: 'click'; n: number; unique: number }
  | { kind: 'conversion'; value: number | null }

function add(counts: BoardCounts, event: Event): void {
  if (event.kind === 'share') counts.shares++
  else if (event.kind === 'click') {
    counts.clicks += event.n
    counts.uniqueClicks += event.unique
  } else {
    counts.conversions++
    // Cents, so repeated sums stay exact enough to compare between rebuilds.
    if (event.value !== null && event.value > 0)
      counts.conversionValue = Math.round((counts.conversionValue + event.value) * 100) / 100
  }
}

/** Per-day counts, the last BOARD_DAYS UTC days with any activity (oldest first). */
class Daily {
  readonly #days = new Map<string, BoardDay>()
  constructor(private readonly since: string) {}
  add(day: string, event: Event): void {
    if (day < this.since) return
    let row = this.#days.get(day)
    if (!row) {
      row = { day, shares: 0, clicks: 0, conversions: 0 }
      this.#days.set(day, row)
    }
    if (event.kind === 'share') row.shares++
    else if (event.kind === 'click') row.clicks += event.n
    else row.conversions++
  }
  list(): BoardDay[] {
    return [...this.#days.values()].sort((a, b) => a.day.localeCompare(b.day))
  }
}

function bump<K>(map: Map<K, BoardCounts>, key: K, event: Event): void {
  let counts = map.get(key)
  if (!counts) {
    counts = zero()
    map.set(key, counts)
  }
  add(counts, event)
}

/**
 * What a board is computed from, as the tables hold it: shares (with their item's source kind
 * and, for opted-in members only, who made them), clicks grouped by share × item × network ×
 * UTC day × hour of week, conversions, and the opted-in member ids (sorted).
 */
export type BoardRows = {
  shares: Iterable<ShareRow>
  clicks: Iterable<ClickRow>
  conversions: Iterable<ConversionRow>
  optedIn: readonly string[]
  /** Where these rows stand in the workspace's board_seq (read in the same snapshot). */
  cursor?: BoardCursor
}

/**
 * A workspace's board_seq table row: `seq` numbers the rows added to the board's inputs (shares,
 * clicks, conversions, share ↔ member links) in commit order; `generation` moves on any other
 * change to them (a deletion, an erasure, a link_items fact), after which counting on is unsound.
 */
export type BoardCursor = { seq: number; generation: number }

/** The rows numbered past a cursor (board/counters.ts counts them on). */
export type BoardDelta = {
  shares: ShareRow[]
  clicks: ClickRow[]
  conversions: ConversionRow[]
  links: { share_id: string; member_id: string }[]
  optedIn: readonly string[]
  cursor: BoardCursor
}

/** Reads a workspace's BoardRows (SQLite: sqliteBoardRows; PostgreSQL: storage/postgres/). */
export interface BoardSource {
  boardRows(workspaceId: string): Promise<BoardRows>
  /** The rows added after `after`, or null when the generation moved (rebuild from boardRows). */
  boardDelta(workspaceId: string, after: BoardCursor): Promise<BoardDelta | null>
}

export type BoardInput = {
  weights: PointWeights
  challenges: readonly Challenge[]
  /** Display names of current members (the relay's members table); others are left out. */
  memberName: (memberId: string) => string | null
  now: Date
}

const SHARES_SQL = `SELECT s.id, s.item_id, s.network, s.objective, s.campaign_id, s.shared_at,
              li.source_kind, sm.member_id
         FROM shares s
         LEFT JOIN link_items li ON li.workspace_id = s.workspace_id AND li.item_id = s.item_id
         LEFT JOIN share_members sm ON sm.workspace_id = s.workspace_id AND sm.share_id = s.id
        WHERE s.workspace_id = ?`

const CLICKS_SQL = (
  where: string,
) => `SELECT c.share_id, c.item_id, c.network, substr(c.at, 1, 10) AS day,
              CAST(strftime('%w', c.at) AS INTEGER) * 24 + CAST(strftime('%H', c.at) AS INTEGER) AS how,
              COUNT(*) AS n, SUM(c.is_unique) AS u,
              li.objective, li.source_kind, li.campaign_id
         FROM clicks c
         LEFT JOIN link_items li ON li.workspace_id = c.workspace_id AND li.item_id = c.item_id
        WHERE c.workspace_id = ?${where}
        GROUP BY c.share_id, c.item_id, c.network, day, how`

const CURSOR_SQL = 'SELECT seq, generation FROM board_seq WHERE workspace_id = ?'

/** The rows from the relay's SQLite file, read lazily (iterators) as the aggregate walks them. */
export function sqliteBoardRows(db: Db, workspaceId: string): BoardRows {
  return {
    shares: db.prepare<[string], ShareRow>(SHARES_SQL).iterate(workspaceId),
    clicks: {
      [Symbol.iterator]: () => db.prepare<[string], ClickRow>(CLICKS_SQL('')).iterate(workspaceId),
    },
    conversions: {
      [Symbol.iterator]: () =>
        db
          .prepare<[string], ConversionRow>(
            'SELECT share_id, campaign_id, value, at FROM conversions WHERE workspace_id = ?',
          )
          .iterate(workspaceId),
    },
    get optedIn() {
      return db
        .prepare<[string], { member_id: string }>(
          'SELECT member_id FROM leaderboard WHERE workspace_id = ? ORDER BY member_id',
        )
        .all(workspaceId)
        .map((row) => row.member_id)
    },
  }
}

/** The SQLite BoardSource (the embedded default). */
export class SqliteBoardSource implements BoardSource {
  constructor(private readonly db: Db) {}
  async boardRows(workspaceId: string): Promise<BoardRows> {
    // Read now, in one transaction (one snapshot with the cursor): the caller may await before
    // walking them.
    return this.db.transaction(() => {
      const rows = sqliteBoardRows(this.db, workspaceId)
      return {
        shares: [...rows.shares],
        clicks: [...rows.clicks],
        conversions: [...rows.conversions],
        optedIn: rows.optedIn,
        cursor: this.#cursor(workspaceId),
      }
    })()
  }

  #cursor(workspaceId: string): BoardCursor {
    return (
      this.db.prepare<[string], BoardCursor>(CURSOR_SQL).get(workspaceId) ?? {
        seq: 0,
        generation: 0,
      }
    )
  }

  async boardDelta(workspaceId: string, after: BoardCursor): Promise<BoardDelta | null> {
    return this.db.transaction(() => {
      const cursor = this.#cursor(workspaceId)
      if (cursor.generation !== after.generation) return null
      if (cursor.seq === after.seq)
        return {
          shares: [],
          clicks: [],
          conversions: [],
          links: [],
          optedIn: this.#optedIn(workspaceId),
          cursor,
        }
      const args: [string, number] = [workspaceId, after.seq]
      return {
        shares: this.db
          .prepare<[string, number], ShareRow>(`${SHARES_SQL} AND s.board_seq > ?`)
          .all(...args),
        clicks: this.db
          .prepare<[string, number], ClickRow>(CLICKS_SQL(' AND c.board_seq > ?'))
          .all(...args),
        conversions: this.db
          .prepare<[string, number], ConversionRow>(
            'SELECT share_id, campaign_id, value, at FROM conversions WHERE workspace_id = ? AND board_seq > ?',
          )
          .all(...args),
        links: this.db
          .prepare<[string, number], { share_id: string; member_id: string }>(
            'SELECT share_id, member_id FROM share_members WHERE workspace_id = ? AND board_seq > ?',
          )
          .all(...args),
        optedIn: this.#optedIn(workspaceId),
        cursor,
      }
    })()
  }

  #optedIn(workspaceId: string): string[] {
    return this.db
      .prepare<[string], { member_id: string }>(
        'SELECT member_id FROM leaderboard WHERE workspace_id = ? ORDER BY member_id',
      )
      .all(workspaceId)
      .map((row) => row.member_id)
  }
}

/**
 * Everything on a workspace's board, from its share, click, conversion, link and leaderboard
 * tables (SQLite, read as it goes). Member identity is read only through share_members, which
 * holds links of opted-in members only; the aggregates never carry it.
 */
export function aggregateBoard(db: Db, workspaceId: string, input: BoardInput): BoardContent {
  return aggregateRows(sqliteBoardRows(db, workspaceId), input)
}

/** The board from rows read by any BoardSource. */
export function aggregateRows(rows: BoardRows, input: BoardInput): BoardContent {
  const since = new Date(input.now.getTime() - (BOARD_DAYS - 1) * 86_400_000)
    .toISOString()
    .slice(0, 10)
  const items = new Map<string, BoardCounts>()
  const itemDaily = new Map<string, Daily>()
  const networks = new Map<Network, BoardCounts>()
  const objectives = new Map<Objective, BoardCounts>()
  const sourceKinds = new Map<SourceKind, BoardCounts>()
  const campaigns = new Map<string, BoardCounts>()
  const campaignDaily = new Map<string, Daily>()
  const curves = new Map<Network | typeof CLICK_CURVE_ALL, number[]>()
  const curve = (key: Network | typeof CLICK_CURVE_ALL) => {
    let c = curves.get(key)
    if (!c) {
      c = new Array<number>(168).fill(0)
      curves.set(key, c)
    }
    return c
  }
  const record = (
    facts: {
      itemId: string | null
      network: string | null
      objective: string | null
      sourceKind: string | null
      campaignId: string | null
    },
    day: string,
    event: Event,
  ) => {
    if (facts.itemId !== null) {
      bump(items, facts.itemId, event)
      let daily = itemDaily.get(facts.itemId)
      if (!daily) {
        daily = new Daily(since)
        itemDaily.set(facts.itemId, daily)
      }
      daily.add(day, event)
    }
    if (facts.network !== null && isNetwork(facts.network)) bump(networks, facts.network, event)
    if (isObjective(facts.objective)) bump(objectives, facts.objective, event)
    if (isSourceKind(facts.sourceKind)) bump(sourceKinds, facts.sourceKind, event)
    if (facts.campaignId !== null) {
      bump(campaigns, facts.campaignId, event)
      let daily = campaignDaily.get(facts.campaignId)
      if (!daily) {
        daily = new Daily(since)
        campaignDaily.set(facts.campaignId, daily)
      }
      daily.add(day, event)
    }
  }
  const dayOf = (at: string) => {
    const t = Date.parse(at)
    return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : ''
  }

  // Shares, with what the link index knows of their item (source kind) and, for opted-in
  // members only, who made them.
  const shares = new Map<string, ShareRow>()
  for (const row of rows.shares) {
    shares.set(row.id, row)
    record(
      {
        itemId: row.item_id,
        network: row.network,
        objective: row.objective,
        sourceKind: row.source_kind,
        campaignId: row.campaign_id,
      },
      dayOf(row.shared_at),
      { kind: 'share' },
    )
  }

  const uniqueByShare = new Map<string, number>()
  for (const row of rows.clicks) {
    const share = shares.get(row.share_id)
    const unique = row.u
    if (unique > 0) uniqueByShare.set(row.share_id, (uniqueByShare.get(row.share_id) ?? 0) + unique)
    // The code names the item and network; a reported share also says objective and campaign.
    record(
      {
        itemId: row.item_id,
        network: row.network,
        objective: share?.objective ?? row.objective,
        sourceKind: share?.source_kind ?? row.source_kind,
        campaignId: share ? share.campaign_id : row.campaign_id,
      },
      row.day,
      { kind: 'click', n: row.n, unique },
    )
    const slot = row.how
    if (Number.isInteger(slot) && slot >= 0 && slot < 168) {
      const all = curve(CLICK_CURVE_ALL)
      all[slot] = (all[slot] ?? 0) + row.n
      if (isNetwork(row.network)) {
        const mine = curve(row.network)
        mine[slot] = (mine[slot] ?? 0) + row.n
      }
    }
  }

  const conversionsByShare = new Map<string, number>()
  for (const row of rows.conversions) {
    const share = row.share_id ? shares.get(row.share_id) : undefined
    if (row.share_id)
      conversionsByShare.set(row.share_id, (conversionsByShare.get(row.share_id) ?? 0) + 1)
    // The key names the campaign; the share (once reported) names item, network and kind.
    record(
      {
        itemId: share?.item_id ?? null,
        network: share?.network ?? null,
        objective: share?.objective ?? null,
        sourceKind: share?.source_kind ?? null,
        campaignId: row.campaign_id,
      },
      dayOf(row.at),
      { kind: 'conversion', value: row.value },
    )
  }

  const { leaderboard, challenges } = boardStandings(
    { shares: shares.values(), uniqueByShare, conversionsByShare, optedIn: rows.optedIn },
    input,
  )

  return {
    items: new Map(
      [...items].map(([itemId, counts]) => [
        itemId,
        { itemId, ...counts, daily: itemDaily.get(itemId)?.list() ?? [] },
      ]),
    ),
    networks,
    objectives,
    sourceKinds,
    campaigns: new Map(
      [...campaigns].map(([campaignId, counts]) => [
        campaignId,
        { campaignId, ...counts, daily: campaignDaily.get(campaignId)?.list() ?? [] },
      ]),
    ),
    clickCurve: curves,
    leaderboard,
    challenges,
  }
}
