import { NETWORKS, type Network } from '../../../common/model/networks'
import type { MediaValue } from '../../../common/model/recognition'
import type { AudienceSizes, MyResultsStats } from '../../../common/model/results'
import { localDate } from '../stats/personal-stats'
import type { ResultShare, StoredClick, StoredConversion } from './results-store'

export const STATS_DAYS = 90
const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun']

function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

/** Local weekday (0 = Monday) and hour of an instant; one formatter per time zone. */
function slotReader(timeZone: string): (instant: Date) => { weekday: number; hour: number } {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone,
    weekday: 'short',
    hour: '2-digit',
    hourCycle: 'h23',
  })
  return (instant) => {
    const parts = format.formatToParts(instant)
    const weekday = WEEKDAYS.indexOf(parts.find((p) => p.type === 'weekday')?.value ?? '')
    const hour = Number(parts.find((p) => p.type === 'hour')?.value ?? 0) % 24
    return { weekday: Math.max(0, weekday), hour }
  }
}

const ratio = (part: number, whole: number | null | undefined): number | null =>
  whole ? part / whole : null

/**
 * My stats from what SQLite holds: shares, clicks and conversions per share, item and network,
 * click-through against the audience I entered, 90 days of shares and clicks, and when my
 * audience clicks (local weekday × hour). Pure, so the core computes it offline and tests check it.
 */
export function computeMyStats(input: {
  shares: readonly ResultShare[]
  clicks: readonly StoredClick[]
  conversions: readonly StoredConversion[]
  titles: (itemId: string) => string | null
  audience: AudienceSizes
  fetchedAt: string | null
  now: Date
  timeZone: string
  /** The workspace's CPC/CPM, or null (no earned media value). */
  mediaValue?: MediaValue | null
}): MyResultsStats {
  const { shares, clicks, conversions, audience, now, timeZone } = input
  type Counts = { clicks: number; uniqueClicks: number; conversions: number }
  const zero = (): Counts => ({ clicks: 0, uniqueClicks: 0, conversions: 0 })
  const byShare = new Map<string, Counts>(shares.map((share) => [share.id, zero()]))
  for (const click of clicks) {
    const counts = byShare.get(click.shareId)
    if (!counts) continue
    counts.clicks++
    if (click.unique) counts.uniqueClicks++
  }
  for (const conversion of conversions) {
    const counts = byShare.get(conversion.shareId)
    if (counts) counts.conversions++
  }

  const titles = new Map<string, string | null>()
  const titleOf = (itemId: string) => {
    if (!titles.has(itemId)) titles.set(itemId, input.titles(itemId))
    return titles.get(itemId) ?? null
  }

  const perShare = shares
    .map((share) => {
      const counts = byShare.get(share.id) ?? zero()
      return {
        shareId: share.id,
        itemId: share.itemId,
        title: titleOf(share.itemId),
        network: share.network,
        sharedAt: share.sharedAt,
        ...counts,
        clickThrough: ratio(counts.uniqueClicks, audience[share.network]),
      }
    })
    .sort((a, b) => b.sharedAt.localeCompare(a.sharedAt))

  const items = new Map<string, MyResultsStats['perItem'][number]>()
  const networks = new Map<Network, Counts & { shares: number }>()
  for (const row of perShare) {
    const item = items.get(row.itemId) ?? {
      itemId: row.itemId,
      title: row.title,
      shares: 0,
      ...zero(),
    }
    item.shares++
    item.clicks += row.clicks
    item.uniqueClicks += row.uniqueClicks
    item.conversions += row.conversions
    items.set(row.itemId, item)
    const network = networks.get(row.network) ?? { shares: 0, ...zero() }
    network.shares++
    network.clicks += row.clicks
    network.uniqueClicks += row.uniqueClicks
    network.conversions += row.conversions
    networks.set(row.network, network)
  }
  // Best first: most unique clicks, then clicks, then conversions, then shares.
  const perItem = [...items.values()].sort(
    (a, b) =>
      b.uniqueClicks - a.uniqueClicks ||
      b.clicks - a.clicks ||
      b.conversions - a.conversions ||
      b.shares - a.shares ||
      a.itemId.localeCompare(b.itemId),
  )
  const perNetwork = NETWORKS.flatMap((network) => {
    const counts = networks.get(network)
    const size = audience[network] ?? null
    if (!counts && size === null) return []
    const c = counts ?? { shares: 0, ...zero() }
    return [
      {
        network,
        ...c,
        audience: size,
        reach: size === null ? null : size * c.shares,
        clickThrough: ratio(c.uniqueClicks, size === null ? null : size * c.shares),
      },
    ]
  })

  const today = localDate(now, timeZone)
  const first = addDays(today, -(STATS_DAYS - 1))
  const perDay = new Map<string, { shares: number; clicks: number }>()
  for (let i = 0; i < STATS_DAYS; i++) perDay.set(addDays(first, i), { shares: 0, clicks: 0 })
  for (const share of shares) {
    const day = perDay.get(localDate(new Date(share.sharedAt), timeZone))
    if (day) day.shares++
  }
  const slot = slotReader(timeZone)
  const heatmap = Array.from({ length: 7 }, () => new Array<number>(24).fill(0))
  let clickTotal = 0
  let uniqueTotal = 0
  for (const click of clicks) {
    if (!byShare.has(click.shareId)) continue
    clickTotal++
    if (click.unique) uniqueTotal++
    const at = new Date(click.at)
    const day = perDay.get(localDate(at, timeZone))
    if (day) day.clicks++
    const { weekday, hour } = slot(at)
    const row = heatmap[weekday]
    if (row) row[hour] = (row[hour] ?? 0) + 1
  }

  const impressions = perNetwork.reduce((sum, row) => sum + (row.reach ?? 0), 0)
  const value = input.mediaValue ?? null
  const earnedMediaValue = value
    ? {
        currency: value.currency,
        // Cents: a sum of many small products carries float noise otherwise.
        amount: Math.round((clickTotal * value.cpc + (impressions / 1000) * value.cpm) * 100) / 100,
        clicks: clickTotal,
        impressions,
        cpc: value.cpc,
        cpm: value.cpm,
      }
    : null

  return {
    fetchedAt: input.fetchedAt,
    totals: {
      shares: shares.length,
      clicks: clickTotal,
      uniqueClicks: uniqueTotal,
      conversions: conversions.filter((c) => byShare.has(c.shareId)).length,
    },
    perShare,
    perItem,
    perNetwork,
    daily: [...perDay.entries()].map(([date, counts]) => ({ date, ...counts })),
    heatmap,
    earnedMediaValue,
  }
}
