import { barHeights } from '../state/logic'

/** Vertical bars from plain elements (no SVG strings): one per day, oldest first. */
export function BarChart({
  days,
  label,
  describe,
}: {
  days: readonly { date: string; count: number }[]
  label: string
  describe(day: { date: string; count: number }): string
}) {
  const heights = barHeights(days.map((day) => day.count))
  return (
    <div className="chart" role="img" aria-label={label} data-testid="stats-chart">
      {days.map((day, index) => (
        <div key={day.date} className="chart-col" title={describe(day)}>
          <div
            className={day.count > 0 ? 'chart-bar filled' : 'chart-bar'}
            style={{ height: `${heights[index] ?? 0}%` }}
          />
        </div>
      ))}
    </div>
  )
}

/** Horizontal bars for a breakdown (per network, per objective). */
export function Breakdown({
  rows,
  testId,
}: {
  rows: { key: string; label: string; count: number }[]
  testId: string
}) {
  const max = Math.max(1, ...rows.map((row) => row.count))
  return (
    <ul className="breakdown" data-testid={testId}>
      {rows.map((row) => (
        <li key={row.key} data-key={row.key}>
          <span className="breakdown-label">{row.label}</span>
          <span className="breakdown-track">
            <span className="breakdown-fill" style={{ width: `${(row.count / max) * 100}%` }} />
          </span>
          <span className="breakdown-count">{row.count}</span>
        </li>
      ))}
    </ul>
  )
}
