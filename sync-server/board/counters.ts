import {
  BOARD_DAYS,
  type BoardCounts,
  type BoardDay,
  CLICK_CURVE_ALL,
} from '../../common/model/board'
import { OBJECTIVES, type Objective, SOURCE_KINDS, type SourceKind } from '../../common/model/item'
import { NETWORKS, type Network } from '../../common/model/networks'
import type {
  BoardContent,
  BoardCursor,
  BoardDelta,
  BoardInput,
  BoardRows,
  ClickRow,
  ConversionRow,
  ShareRow,
} from './aggregate'
import { boardStandings } from './standings'

const isNetwork = (v: string): v is Network => (NETWORKS as readonly string[]).includes(v)
const isObjective = (v: string | null): v is Objective =>
  v !== null && (OBJECTIVES as readonly string[]).includes(v)
const isSourceKind = (v: string | null): v is SourceKind =>
  v !== null && (SOURCE_KINDS as readonly string[]).includes(v)

type Event =
  | { kind: 'share' }
  | { kind: 'click'; n: number; unique: number }
  | { kind: 'conversion'; value: number | null }

/** Where an event is counted; a null part is not counted there. */
type Facts = {
  itemId: string | null
  network: string | null
  objective: string | null
  sourceKind: string | null
  campaignId: string | null
}

/** Clicks counted before their share was reported, under the link index's facts. */
type OrphanClicks = {
  objective: string | null
  sourceKind: string | null
  campaignId: string | null
  day: string
  n: number
  u: number
}

const zero = (): BoardCounts => ({
  shares: 0,
  clicks: 0,
  uniqueClicks: 0,
  conversions: 0,
  conversionValue: 0,
})

/** Adds (sign 1) or takes back (sign -1, clicks only) an event. */
function add(counts: BoardCounts | BoardDay, event: Event, sign: 1 | -1): void {
  if (event.kind === 'share') counts.shares += sign
  else if (event.kind === 'click') {
    counts.clicks += sign * event.n
    if ('uniqueClicks' in counts) counts.uniqueClicks += sign * event.unique
  } else {
    counts.conversions += sign
    // Cents, as aggregateRows rounds them, so a rebuild and the counters agree.
    if ('conversionValue' in counts && event.value !== null && event.value > 0)
      counts.conversionValue = Math.round((counts.conversionValue + event.value) * 100) / 100
  }
}

/** An entry exists while something is counted in it (as a rebuild creates only those). */
const empty = (c: BoardCounts | BoardDay) => c.shares === 0 && c.clicks === 0 && c.conversions === 0

function bump<K>(map: Map<K, BoardCounts>, key: K, event: Event, sign: 1 | -1): void {
  let counts = map.get(key)
  if (!counts) {
    counts = zero()
    map.set(key, counts)
  }
  add(counts, event, sign)
  if (sign < 0 && empty(counts)) map.delete(key)
}

function bumpDay(
  days: Map<string, Map<string, BoardDay>>,
  key: string,
  day: string,
  event: Event,
  sign: 1 | -1,
): void {
  let rows = days.get(key)
  if (!rows) {
    rows = new Map()
    days.set(key, rows)
  }
  let row = rows.get(day)
  if (!row) {
    row = { day, shares: 0, clicks: 0, conversions: 0 }
    rows.set(day, row)
  }
  add(row, event, sign)
  if (sign < 0 && empty(row)) rows.delete(day)
}

type BuiltOf<M> = M extends Map<string, infer V> ? V : never

const dayOf = (at: string) => {
  const t = Date.parse(at)
  return Number.isFinite(t) ? new Date(t).toISOString().slice(0, 10) : ''
}

/**
 * A workspace's board as running counters (issue 11 follow-up): built once from every row
 * (fromRows, at start, after a generation change), then moved by the rows added since (apply),
 * so a click costs reading that click, not the workspace's whole history. content() answers what
 * aggregateRows answers for the same tables (tests/relay/board-counters checks it after random
 * shares, clicks, conversions, opt-ins, deletions and weight changes, on both backends).
 *
 * Standings (leaderboard, challenges) are recomputed by content() from the shares held here:
 * they depend on the month, the weights and the challenges, which change without any row.
 */
export class BoardState {
  cursor: BoardCursor
  readonly #items = new Map<string, BoardCounts>()
  readonly #itemDays = new Map<string, Map<string, BoardDay>>()
  readonly #networks = new Map<Network, BoardCounts>()
  readonly #objectives = new Map<Objective, BoardCounts>()
  readonly #sourceKinds = new Map<SourceKind, BoardCounts>()
  readonly #campaigns = new Map<string, BoardCounts>()
  readonly #campaignDays = new Map<string, Map<string, BoardDay>>()
  readonly #curves = new Map<Network | typeof CLICK_CURVE_ALL, number[]>()
  readonly #shares = new Map<string, ShareRow>()
  readonly #uniqueByShare = new Map<string, number>()
  readonly #conversionsByShare = new Map<string, number>()
  /** Clicks and conversions of shares not reported yet: counted again once they are. */
  readonly #orphanClicks = new Map<string, Map<string, OrphanClicks>>()
  readonly #orphanConversions = new Map<string, { day: string; value: number | null }[]>()
  #optedIn: readonly string[] = []
  /**
   * What content() built last for items and campaigns (their daily lists are most of the board),
   * rebuilt only for keys counted in since, or all when the 90-day window moved. The entries are
   * never changed once built (the board document may hold them).
   */
  readonly #built = {
    since: '',
    items: new Map<string, BuiltOf<BoardContent['items']>>(),
    campaigns: new Map<string, BuiltOf<BoardContent['campaigns']>>(),
    dirtyItems: new Set<string>(),
    dirtyCampaigns: new Set<string>(),
  }

  private constructor(cursor: BoardCursor) {
    this.cursor = cursor
  }

  static fromRows(rows: BoardRows): BoardState {
    const state = new BoardState(rows.cursor ?? { seq: 0, generation: 0 })
    state.#add(rows.shares, rows.clicks, rows.conversions)
    state.#optedIn = rows.optedIn
    return state
  }

  /** Rows added since `cursor` (same generation). */
  apply(delta: BoardDelta): void {
    this.#add(delta.shares, delta.clicks, delta.conversions)
    for (const link of delta.links) {
      // A link to a share not reported yet: the share's own row will carry its member.
      const share = this.#shares.get(link.share_id)
      if (share) share.member_id = link.member_id
    }
    this.#optedIn = delta.optedIn
    this.cursor = delta.cursor
  }

  /** Shares first, then clicks, then conversions, as aggregateRows walks them. */
  #add(
    shares: Iterable<ShareRow>,
    clicks: Iterable<ClickRow>,
    conversions: Iterable<ConversionRow>,
  ): void {
    for (const row of shares) this.#share({ ...row })
    for (const row of clicks) this.#click(row)
    for (const row of conversions) this.#conversion(row)
  }

  #record(facts: Facts, day: string, event: Event, sign: 1 | -1 = 1): void {
    if (facts.itemId !== null) {
      this.#built.dirtyItems.add(facts.itemId)
      bump(this.#items, facts.itemId, event, sign)
      bumpDay(this.#itemDays, facts.itemId, day, event, sign)
    }
    if (facts.network !== null && isNetwork(facts.network))
      bump(this.#networks, facts.network, event, sign)
    if (isObjective(facts.objective)) bump(this.#objectives, facts.objective, event, sign)
    if (isSourceKind(facts.sourceKind)) bump(this.#sourceKinds, facts.sourceKind, event, sign)
    if (facts.campaignId !== null) {
      this.#built.dirtyCampaigns.add(facts.campaignId)
      bump(this.#campaigns, facts.campaignId, event, sign)
      bumpDay(this.#campaignDays, facts.campaignId, day, event, sign)
    }
  }

  #share(row: ShareRow): void {
    if (this.#shares.has(row.id)) return
    this.#shares.set(row.id, row)
    this.#record(
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
    // Its earlier clicks were counted under the link index's objective, kind and campaign; a
    // reported share says its own (item, network and hour come from the code either way).
    const clicks = this.#orphanClicks.get(row.id)
    if (clicks) {
      this.#orphanClicks.delete(row.id)
      for (const c of clicks.values()) {
        const event: Event = { kind: 'click', n: c.n, unique: c.u }
        const common = { itemId: null, network: null }
        this.#record({ ...common, ...c }, c.day, event, -1)
        this.#record(
          {
            ...common,
            objective: row.objective,
            sourceKind: row.source_kind ?? c.sourceKind,
            campaignId: row.campaign_id,
          },
          c.day,
          event,
        )
      }
    }
    // Its conversions were counted for their campaign only; now for its item, network and kind.
    const conversions = this.#orphanConversions.get(row.id)
    if (conversions) {
      this.#orphanConversions.delete(row.id)
      for (const c of conversions)
        this.#record(
          {
            itemId: row.item_id,
            network: row.network,
            objective: row.objective,
            sourceKind: row.source_kind,
            campaignId: null,
          },
          c.day,
          { kind: 'conversion', value: c.value },
        )
    }
  }

  #click(row: ClickRow): void {
    const share = this.#shares.get(row.share_id)
    const unique = row.u
    if (unique > 0)
      this.#uniqueByShare.set(row.share_id, (this.#uniqueByShare.get(row.share_id) ?? 0) + unique)
    const facts: Facts = {
      itemId: row.item_id,
      network: row.network,
      objective: share?.objective ?? row.objective,
      sourceKind: share?.source_kind ?? row.source_kind,
      campaignId: share ? share.campaign_id : row.campaign_id,
    }
    this.#record(facts, row.day, { kind: 'click', n: row.n, unique })
    if (!share) {
      let groups = this.#orphanClicks.get(row.share_id)
      if (!groups) {
        groups = new Map()
        this.#orphanClicks.set(row.share_id, groups)
      }
      const key = JSON.stringify([row.objective, row.source_kind, row.campaign_id, row.day])
      const group = groups.get(key)
      if (group) {
        group.n += row.n
        group.u += unique
      } else
        groups.set(key, {
          objective: row.objective,
          sourceKind: row.source_kind,
          campaignId: row.campaign_id,
          day: row.day,
          n: row.n,
          u: unique,
        })
    }
    const slot = row.how
    if (Number.isInteger(slot) && slot >= 0 && slot < 168) {
      const all = this.#curve(CLICK_CURVE_ALL)
      all[slot] = (all[slot] ?? 0) + row.n
      if (isNetwork(row.network)) {
        const mine = this.#curve(row.network)
        mine[slot] = (mine[slot] ?? 0) + row.n
      }
    }
  }

  #curve(key: Network | typeof CLICK_CURVE_ALL): number[] {
    let c = this.#curves.get(key)
    if (!c) {
      c = new Array<number>(168).fill(0)
      this.#curves.set(key, c)
    }
    return c
  }

  #conversion(row: ConversionRow): void {
    const share = row.share_id ? this.#shares.get(row.share_id) : undefined
    const day = dayOf(row.at)
    if (row.share_id) {
      this.#conversionsByShare.set(
        row.share_id,
        (this.#conversionsByShare.get(row.share_id) ?? 0) + 1,
      )
      if (!share) {
        const list = this.#orphanConversions.get(row.share_id) ?? []
        list.push({ day, value: row.value })
        this.#orphanConversions.set(row.share_id, list)
      }
    }
    this.#record(
      {
        itemId: share?.item_id ?? null,
        network: share?.network ?? null,
        objective: share?.objective ?? null,
        sourceKind: share?.source_kind ?? null,
        campaignId: row.campaign_id,
      },
      day,
      { kind: 'conversion', value: row.value },
    )
  }

  /** The board now: the counters, the last BOARD_DAYS days, and the standings. */
  content(input: BoardInput): BoardContent {
    const since = new Date(input.now.getTime() - (BOARD_DAYS - 1) * 86_400_000)
      .toISOString()
      .slice(0, 10)
    const daily = (rows: Map<string, BoardDay> | undefined): BoardDay[] =>
      rows
        ? [...rows.values()]
            .filter((row) => row.day >= since)
            .sort((a, b) => a.day.localeCompare(b.day))
            .map((row) => ({ ...row }))
        : []

    const { leaderboard, challenges } = boardStandings(
      {
        shares: this.#shares.values(),
        uniqueByShare: this.#uniqueByShare,
        conversionsByShare: this.#conversionsByShare,
        optedIn: this.#optedIn,
      },
      input,
    )
    const copy = <K>(map: Map<K, BoardCounts>) =>
      new Map([...map].map(([key, counts]) => [key, { ...counts }]))
    const built = this.#built
    const all = built.since !== since
    built.since = since
    if (all) {
      built.items.clear()
      built.campaigns.clear()
    }
    const items = all ? this.#items.keys() : built.dirtyItems
    for (const itemId of items) {
      const counts = this.#items.get(itemId)
      if (counts)
        built.items.set(itemId, { itemId, ...counts, daily: daily(this.#itemDays.get(itemId)) })
      else built.items.delete(itemId)
    }
    const campaigns = all ? this.#campaigns.keys() : built.dirtyCampaigns
    for (const campaignId of campaigns) {
      const counts = this.#campaigns.get(campaignId)
      if (counts)
        built.campaigns.set(campaignId, {
          campaignId,
          ...counts,
          daily: daily(this.#campaignDays.get(campaignId)),
        })
      else built.campaigns.delete(campaignId)
    }
    built.dirtyItems.clear()
    built.dirtyCampaigns.clear()
    return {
      items: new Map(built.items),
      networks: copy(this.#networks),
      objectives: copy(this.#objectives),
      sourceKinds: copy(this.#sourceKinds),
      campaigns: new Map(built.campaigns),
      clickCurve: new Map([...this.#curves].map(([key, curve]) => [key, [...curve]])),
      leaderboard,
      challenges,
    }
  }
}
