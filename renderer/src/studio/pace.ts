import type { BoardDay } from '../../../common/model/board'
import type { CampaignGoalKind } from '../../../common/model/campaign'

const DAY_MS = 86_400_000
/** A deadline years away still draws a readable chart: at most this many days are plotted. */
const MAX_DAYS = 400

export type PaceSeries = {
  /** Each UTC day from the first plotted to the deadline's, as Unix seconds (uPlot's x). */
  x: number[]
  /** Cumulative count at the end of each day up to today; null after today. */
  actual: (number | null)[]
  /** The straight line from the first day's count to the target on the deadline's day. */
  pace: number[]
}

const dayStart = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS

/**
 * The campaign's pace chart: what was reached day by day (from the board's daily counts, which
 * list only days with activity, so the days between are filled) against the straight line to
 * the target by the deadline. `total` is the campaign's count now: anything older than the
 * board's 90 days is the starting level.
 */
export function paceSeries(
  daily: readonly BoardDay[],
  kind: CampaignGoalKind,
  total: number,
  target: number,
  deadline: string,
  now: Date,
): PaceSeries {
  const today = dayStart(now.getTime())
  const end = dayStart(Date.parse(deadline))
  const firstActive = daily[0] ? Date.parse(`${daily[0].day}T00:00:00Z`) : today
  let start = Math.min(firstActive, today, end)
  if ((Math.max(end, today) - start) / DAY_MS > MAX_DAYS) {
    start = Math.max(end, today) - MAX_DAYS * DAY_MS
  }
  const perDay = new Map(daily.map((d) => [d.day, d[kind]]))
  const inWindow = daily
    .filter((d) => Date.parse(`${d.day}T00:00:00Z`) >= start)
    .reduce((sum, d) => sum + d[kind], 0)
  let running = Math.max(0, total - inWindow)
  const first = running
  const last = Math.max(end, today)
  const span = Math.max(1, (end - start) / DAY_MS)
  const series: PaceSeries = { x: [], actual: [], pace: [] }
  for (let day = start; day <= last; day += DAY_MS) {
    running += perDay.get(new Date(day).toISOString().slice(0, 10)) ?? 0
    series.x.push(day / 1000)
    series.actual.push(day <= today ? running : null)
    const along = Math.min(1, (day - start) / DAY_MS / span)
    series.pace.push(Math.round((first + (target - first) * along) * 100) / 100)
  }
  return series
}

/** Clicks per day over the last `days` UTC days, oldest first (the board lists active days only). */
export function dailyClicks(daily: readonly BoardDay[], now: Date, days: number): number[] {
  const byDay = new Map(daily.map((d) => [d.day, d.clicks]))
  const today = dayStart(now.getTime())
  return Array.from(
    { length: days },
    (_, i) => byDay.get(new Date(today - (days - 1 - i) * DAY_MS).toISOString().slice(0, 10)) ?? 0,
  )
}
