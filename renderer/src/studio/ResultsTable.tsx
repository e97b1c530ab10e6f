import type { ReactNode } from 'react'
import { formatNumber } from '../../../common/format/typography'
import { type CsvCell, csvFileName, downloadCsv, toCsv } from './csv'
import { useST, useStudio } from './store'

export type ResultsColumn = { label: string; numeric?: boolean }
export type ResultsRow = {
  key: string
  /** One per column: what the screen shows (numbers formatted) and the CSV holds (raw). */
  cells: CsvCell[]
  /** Shown after the cells, not exported (a sparkline). */
  extra?: ReactNode
}

/**
 * A results table and its CSV export, from the same cells: the file holds exactly the figures
 * shown (raw numbers in the file, the language's separators on screen).
 */
export function ResultsTable({
  testId,
  title,
  columns,
  rows,
  extraLabel,
  empty,
  note,
}: {
  testId: string
  title: string
  columns: ResultsColumn[]
  rows: ResultsRow[]
  /** The header of the `extra` column, when rows have one. */
  extraLabel?: string
  empty: string
  note?: ReactNode
}) {
  const t = useST()
  const language = useStudio((state) => state.language)
  const show = (cell: CsvCell) =>
    cell === null ? '—' : typeof cell === 'number' ? formatNumber(cell, language) : cell
  const exportCsv = () =>
    downloadCsv(
      csvFileName(testId.replace(/^results-/, ''), new Date()),
      toCsv(
        columns.map((c) => c.label),
        rows.map((r) => r.cells),
      ),
    )
  return (
    <section className="results-block" data-testid={testId}>
      <div className="results-head">
        <h3 className="sub-head">{title}</h3>
        <button
          type="button"
          className="button"
          data-testid={`${testId}-csv`}
          disabled={rows.length === 0}
          aria-label={t('results.exportNamed', { table: title })}
          onClick={exportCsv}
        >
          {t('results.export')}
        </button>
      </div>
      {note}
      {rows.length === 0 ? (
        <p className="muted small">{empty}</p>
      ) : (
        <div className="table-scroll">
          <table className="results-grid">
            <thead>
              <tr>
                {columns.map((column) => (
                  <th key={column.label} scope="col" className={column.numeric ? 'num' : ''}>
                    {column.label}
                  </th>
                ))}
                {extraLabel ? <th scope="col">{extraLabel}</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.key} data-key={row.key}>
                  {row.cells.map((cell, index) =>
                    index === 0 ? (
                      // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                      <th key={index} scope="row" dir="auto">
                        {show(cell)}
                      </th>
                    ) : (
                      <td
                        // biome-ignore lint/suspicious/noArrayIndexKey: cells are positional
                        key={index}
                        className={columns[index]?.numeric ? 'num' : ''}
                        dir="auto"
                      >
                        {show(cell)}
                      </td>
                    ),
                  )}
                  {extraLabel ? <td>{row.extra}</td> : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  )
}

/** A trend in a table cell: a line of daily counts (plain SVG, a trivial shape). */
export function Sparkline({ values, label }: { values: number[]; label: string }) {
  const width = 96
  const height = 22
  const max = Math.max(1, ...values)
  const step = values.length > 1 ? width / (values.length - 1) : 0
  const points = values
    .map((v, i) => `${(i * step).toFixed(1)},${(height - 1 - (v / max) * (height - 2)).toFixed(1)}`)
    .join(' ')
  return (
    <svg
      className="sparkline"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={label}
    >
      <polyline points={points} fill="none" stroke="currentColor" strokeWidth="1.5" />
    </svg>
  )
}
