import { readBoard } from '../../../common/doc/board-doc'
import { readCampaigns } from '../../../common/doc/queue-doc'
import { type Board, CLICK_CURVE_ALL } from '../../../common/model/board'
import type { Item } from '../../../common/model/item'
import { NETWORKS } from '../../../common/model/networks'
import type { ShareStore } from '../shares/share-store'
import type { QueueTable } from '../store/queue-table'
import type { Joined } from '../workspace'
import type { Click, PooledCurve } from './model'
import type { NudgeItem } from './plan'
import type { NudgeContext } from './service'
import { PROCESS_ZONE, SLOT_MINUTES, SLOTS_PER_WEEK, weekSlot } from './time'

const HOUR_MS = 3_600_000
const SLOTS_PER_HOUR = 60 / SLOT_MINUTES

/** UTC hour of the week as the board counts it: getUTCDay (0 = Sunday) × 24 + hour. */
function utcHourOfWeek(at: number): number {
  const d = new Date(at)
  return d.getUTCDay() * 24 + d.getUTCHours()
}

/**
 * One of the board's UTC hour-of-week curves in the employee's local slots (weekday 0 = Monday,
 * SLOT_MINUTES each): each UTC hour of the week around `now` is placed where it falls locally
 * (so this week's offset, daylight saving included, and half-hour zones), spread evenly over its
 * slots.
 */
export function shiftCurve(utc: ArrayLike<number>, zone: string, now: number): Float64Array {
  const local = new Float64Array(SLOTS_PER_WEEK)
  // The last Sunday 00:00 UTC: hour h of the board's week is sunday + h hours.
  const sunday =
    Math.floor(now / HOUR_MS / 24) * 24 * HOUR_MS - new Date(now).getUTCDay() * 24 * HOUR_MS
  for (let h = 0; h < 168; h++) {
    const count = utc[h] ?? 0
    if (count <= 0) continue
    const first = weekSlot(sunday + h * HOUR_MS, zone)
    for (let q = 0; q < SLOTS_PER_HOUR; q++) {
      const slot = (first + q) % SLOTS_PER_WEEK
      local[slot] = (local[slot] ?? 0) + count / SLOTS_PER_HOUR
    }
  }
  return local
}

/**
 * The pooled middle layer of the audience models (issue 10): the team's click curves from the
 * board, without my own clicks (they are the top layer already), shifted to my time zone. A
 * network with no team clicks of its own borrows the all-networks curve at half its weight.
 */
export function pooledCurves(
  board: Pick<Board, 'clickCurves'>,
  zone: string,
  now: number,
  mine: readonly Click[] = [],
): PooledCurve[] {
  const minus = (key: string, curve: ArrayLike<number> | undefined) => {
    const out = Array.from({ length: 168 }, (_, h) => curve?.[h] ?? 0)
    for (const click of mine) {
      if (key !== CLICK_CURVE_ALL && click.network !== key) continue
      const h = utcHourOfWeek(click.at)
      out[h] = Math.max(0, (out[h] ?? 0) - 1)
    }
    return out
  }
  const all = minus(CLICK_CURVE_ALL, board.clickCurves[CLICK_CURVE_ALL])
  const allClicks = all.reduce((sum, n) => sum + n, 0)
  const curves: PooledCurve[] = []
  for (const network of NETWORKS) {
    const own = minus(network, board.clickCurves[network])
    const clicks = own.reduce((sum, n) => sum + n, 0)
    if (clicks > 0) curves.push({ network, curve: shiftCurve(own, zone, now), clicks })
    else if (allClicks > 0)
      curves.push({ network, curve: shiftCurve(all, zone, now), clicks: Math.floor(allClicks / 2) })
  }
  return curves
}

/** The planner's view of an item: when it became shareable, when it stops, its campaign's end. */
export function nudgeItem(item: Item, deadlines: ReadonlyMap<string, number>): NudgeItem {
  const available = Date.parse(item.publishAt ?? item.updatedAt)
  const expires = item.expiresAt ? Date.parse(item.expiresAt) : null
  return {
    id: item.id,
    title: item.title,
    status: item.status,
    availableAt: Number.isFinite(available) ? available : 0,
    expiresAt: expires !== null && Number.isFinite(expires) ? expires : null,
    priority: item.priority,
    deadline: item.campaignId ? (deadlines.get(item.campaignId) ?? null) : null,
  }
}

/** The joined workspace as the nudges see it: published items, campaign deadlines, my shares. */
export function workspaceNudgeContext(
  joined: Joined,
  queue: QueueTable,
  shares: ShareStore,
  pooled: { zone?: string | null; now: number; mine?: readonly Click[] } = { now: Date.now() },
): NudgeContext {
  const deadlines = new Map<string, number>()
  for (const campaign of readCampaigns(joined.sync.docs.queue).campaigns) {
    const at = Date.parse(campaign.deadline)
    if (Number.isFinite(at)) deadlines.set(campaign.id, at)
  }
  return {
    memberId: joined.session.claims.sub,
    items: queue.list({ status: ['published'] }).map((item) => nudgeItem(item, deadlines)),
    shared: new Set(shares.sharedNetworks(joined.session.claims.ws).keys()),
    pooled: pooledCurves(
      readBoard(joined.sync.docs.board),
      pooled.zone ?? PROCESS_ZONE,
      pooled.now,
      pooled.mine,
    ),
  }
}
