/** Typography per language: French spaces before high punctuation, numbers with separators. */

/** U+202F NARROW NO-BREAK SPACE: before ; ! ? and inside « », as French typesetting does. */
export const NARROW_NBSP = '\u202f'
/** U+00A0 NO-BREAK SPACE: before a colon in French. */
export const NBSP = '\u00a0'

/**
 * French spacing: the space before `:` becomes a no-break space, before `;` `!` `?` and inside
 * guillemets a narrow no-break space, so the sign never starts a line on its own. A missing space
 * is added before `;` `!` `?` `:` only after a letter or a closing guillemet followed by a space
 * or the end (never inside URLs, times such as 14:30 or "…?").
 */
export function frenchTypography(text: string): string {
  return text
    .replace(/[ \u00a0\u202f]+:(?=\s|$)/g, `${NBSP}:`)
    .replace(/[ \u00a0\u202f]+([;!?])/g, `${NARROW_NBSP}$1`)
    .replace(/([\p{L}»)])([;!?])(?=\s|$)/gu, `$1${NARROW_NBSP}$2`)
    .replace(/([\p{L}»)]):(?=\s|$)/gu, `$1${NBSP}:`)
    .replace(/«[ \u00a0\u202f]*/g, `«${NARROW_NBSP}`)
    .replace(/[ \u00a0\u202f]*»/g, `${NARROW_NBSP}»`)
}

/** Apply a language's typography to a sentence (only French has rules here). */
export function typeset(text: string, language: string): string {
  return language.toLowerCase().startsWith('fr') ? frenchTypography(text) : text
}

/** A number with the language's separators ("12 345" in French, "12,345" in English). */
export function formatNumber(value: number, language: string): string {
  return new Intl.NumberFormat(language).format(value)
}

/** A size in bytes as people read it ("1.2 MB" / "1,2 Mo"), decimal units as file managers use. */
export function formatBytes(bytes: number, language: string): string {
  const french = language.toLowerCase().startsWith('fr')
  const units = french ? ['o', 'ko', 'Mo', 'Go'] : ['B', 'kB', 'MB', 'GB']
  let value = bytes
  let unit = 0
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000
    unit++
  }
  const number = new Intl.NumberFormat(language, { maximumFractionDigits: unit === 0 ? 0 : 1 })
  return `${number.format(value)}${french ? NBSP : ' '}${units[unit]}`
}
