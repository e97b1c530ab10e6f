/**
 * A small grouped horizontal bar chart in plain SVG (bars are trivial shapes: no library). One
 * row per category, one bar per series, each labelled with its value; the table beside it holds
 * the same figures for screen readers and CSV, so the figure is summarised in its aria-label.
 */
export type BarRow = { key: string; label: string; values: number[] }
export type BarSeries = { label: string; className: string }

const LABEL_WIDTH = 130
const VALUE_WIDTH = 44
const WIDTH = 420
const BAR = 9
const GAP = 2
const ROW_GAP = 8

export function GroupedBarChart({
  title,
  series,
  rows,
  format,
  testId,
}: {
  title: string
  series: BarSeries[]
  rows: BarRow[]
  format: (value: number) => string
  testId: string
}) {
  if (rows.length === 0) return null
  // One scale per series: shares and clicks differ by orders of magnitude.
  const maxes = series.map((_, s) => Math.max(0, ...rows.map((row) => row.values[s] ?? 0)))
  const rowHeight = series.length * (BAR + GAP) - GAP + ROW_GAP
  const legendHeight = series.length > 1 ? 18 : 0
  const height = legendHeight + rows.length * rowHeight
  const barSpace = WIDTH - LABEL_WIDTH - VALUE_WIDTH
  const summary = rows
    .map(
      (row) =>
        `${row.label}: ${series.map((s, i) => `${format(row.values[i] ?? 0)} ${s.label}`).join(', ')}`,
    )
    .join('; ')
  return (
    <figure className="bar-chart" data-testid={testId}>
      <figcaption className="small">{title}</figcaption>
      <svg
        viewBox={`0 0 ${WIDTH} ${height}`}
        width="100%"
        role="img"
        aria-label={`${title}. ${summary}`}
      >
        {series.length > 1
          ? series.map((s, i) => (
              <g key={s.label} transform={`translate(${LABEL_WIDTH + i * 110}, 2)`}>
                <rect className={s.className} width="10" height="10" />
                <text x="14" y="9" className="bar-legend">
                  {s.label}
                </text>
              </g>
            ))
          : null}
        {rows.map((row, r) => {
          const top = legendHeight + r * rowHeight
          return (
            <g key={row.key} data-key={row.key}>
              <text
                x={LABEL_WIDTH - 6}
                y={top + (rowHeight - ROW_GAP) / 2 + 4}
                textAnchor="end"
                className="bar-label"
              >
                {row.label}
              </text>
              {series.map((s, i) => {
                const value = row.values[i] ?? 0
                const max = maxes[i] ?? 0
                const width = max > 0 ? Math.max(value > 0 ? 1 : 0, (value / max) * barSpace) : 0
                const y = top + i * (BAR + GAP)
                return (
                  <g key={s.label}>
                    <rect
                      className={s.className}
                      x={LABEL_WIDTH}
                      y={y}
                      width={width.toFixed(1)}
                      height={BAR}
                    />
                    <text x={LABEL_WIDTH + width + 4} y={y + BAR - 1} className="bar-value">
                      {format(value)}
                    </text>
                  </g>
                )
              })}
            </g>
          )
        })}
      </svg>
    </figure>
  )
}
