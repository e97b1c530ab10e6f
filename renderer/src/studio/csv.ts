/**
 * CSV for the results view's exports (RFC 4180): comma-separated, CRLF line ends, a field quoted
 * when it holds a comma, a quote, CR or LF, quotes doubled inside. Numbers are written raw (no
 * language separators) so a spreadsheet reads them as numbers; the screen formats the same values.
 */
export type CsvCell = string | number | null

/**
 * Text that a spreadsheet would run as a formula ("=HYPERLINK(...)" in an item title) is
 * prefixed with an apostrophe, the usual defence against CSV injection: item titles come from
 * feeds and employees' proposals.
 */
const FORMULA_START = /^[=+\-@\t\r]/

export function csvField(cell: CsvCell): string {
  if (cell === null) return ''
  if (typeof cell === 'number') return Number.isFinite(cell) ? String(cell) : ''
  const text = FORMULA_START.test(cell) ? `'${cell}` : cell
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text
}

export function toCsv(header: readonly string[], rows: readonly (readonly CsvCell[])[]): string {
  const lines = [header, ...rows].map((row) => row.map(csvField).join(','))
  return `${lines.join('\r\n')}\r\n`
}

/** RFC 4180 parsing (quoted fields, doubled quotes, CRLF or LF), for tests and round trips. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let field = ''
  let quoted = false
  let i = text.startsWith('\uFEFF') ? 1 : 0
  for (; i < text.length; i++) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"'
        i++
      } else if (c === '"') quoted = false
      else field += c
    } else if (c === '"' && field === '') quoted = true
    else if (c === ',') {
      row.push(field)
      field = ''
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++
      row.push(field)
      rows.push(row)
      row = []
      field = ''
    } else field += c
  }
  if (field !== '' || row.length > 0) {
    row.push(field)
    rows.push(row)
  }
  return rows
}

/** A file name for a table's export: `porte-voix-<table>-<YYYY-MM-DD>.csv`. */
export function csvFileName(table: string, now: Date): string {
  const slug = table
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '')
  return `porte-voix-${slug || 'table'}-${now.toISOString().slice(0, 10)}.csv`
}

/** Save the CSV through the browser's download (a byte-order mark so spreadsheets read UTF-8). */
export function downloadCsv(fileName: string, csv: string): void {
  const blob = new Blob([`\uFEFF${csv}`], { type: 'text/csv;charset=utf-8' })
  const url = URL.createObjectURL(blob)
  const link = document.createElement('a')
  link.href = url
  link.download = fileName
  link.style.display = 'none'
  document.body.append(link)
  link.click()
  link.remove()
  // The download has its own reference to the blob once started.
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}
