import type { Objective } from '../../../common/model/item'
import type { Network } from '../../../common/model/networks'

export type ShareRecord = { sharedAt: string; network: Network; objective: Objective }

export type PersonalStats = {
  today: number
  week: number
  month: number
  total: number
  byNetwork: Partial<Record<Network, number>>
  byObjective: Partial<Record<Objective, number>>
  /** Consecutive days with at least one share, ending today (or yesterday: today is not over). */
  currentStreak: number
  longestStreak: number
  /** The last 30 days, oldest first, for the chart. */
  daily: { date: string; count: number }[]
}

/** `YYYY-MM-DD` of an instant in a time zone. */
export function localDate(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).formatToParts(instant)
  const get = (type: string) => parts.find((part) => part.type === type)?.value ?? '00'
  return `${get('year')}-${get('month')}-${get('day')}`
}

/** Calendar arithmetic on `YYYY-MM-DD` strings (time-zone free once the local date is known). */
function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`)
  d.setUTCDate(d.getUTCDate() + days)
  return d.toISOString().slice(0, 10)
}

function mondayOf(date: string): string {
  const weekday = new Date(`${date}T00:00:00Z`).getUTCDay() // 0 = Sunday
  return addDays(date, -((weekday + 6) % 7))
}

export function computeStats(
  shares: readonly ShareRecord[],
  now: Date,
  timeZone: string,
): PersonalStats {
  const today = localDate(now, timeZone)
  const weekStart = mondayOf(today)
  const monthStart = `${today.slice(0, 8)}01`
  const perDay = new Map<string, number>()
  const stats: PersonalStats = {
    today: 0,
    week: 0,
    month: 0,
    total: shares.length,
    byNetwork: {},
    byObjective: {},
    currentStreak: 0,
    longestStreak: 0,
    daily: [],
  }
  for (const share of shares) {
    const day = localDate(new Date(share.sharedAt), timeZone)
    perDay.set(day, (perDay.get(day) ?? 0) + 1)
    if (day === today) stats.today++
    if (day >= weekStart && day <= today) stats.week++
    if (day >= monthStart && day <= today) stats.month++
    stats.byNetwork[share.network] = (stats.byNetwork[share.network] ?? 0) + 1
    stats.byObjective[share.objective] = (stats.byObjective[share.objective] ?? 0) + 1
  }
  let cursor = perDay.has(today) ? today : addDays(today, -1)
  while (perDay.has(cursor)) {
    stats.currentStreak++
    cursor = addDays(cursor, -1)
  }
  let run = 0
  let previous: string | null = null
  for (const day of [...perDay.keys()].sort()) {
    run = previous !== null && addDays(previous, 1) === day ? run + 1 : 1
    stats.longestStreak = Math.max(stats.longestStreak, run)
    previous = day
  }
  for (let i = 29; i >= 0; i--) {
    const date = addDays(today, -i)
    stats.daily.push({ date, count: perDay.get(date) ?? 0 })
  }
  return stats
}
