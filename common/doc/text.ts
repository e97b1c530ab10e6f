import type * as Y from 'yjs'

/**
 * Replace the content of a Y.Text with `next`, touching only the changed middle part,
 * so that concurrent edits elsewhere in the text survive the merge.
 */
export function setText(text: Y.Text, next: string): void {
  const current = text.toString()
  if (current === next) return
  let start = 0
  const max = Math.min(current.length, next.length)
  while (start < max && current.charCodeAt(start) === next.charCodeAt(start)) start++
  // Never cut between the two halves of a surrogate pair (emoji): Yjs would keep a lone half.
  if (start > 0 && isHighSurrogate(current.charCodeAt(start - 1))) start--
  let endCurrent = current.length
  let endNext = next.length
  while (
    endCurrent > start &&
    endNext > start &&
    current.charCodeAt(endCurrent - 1) === next.charCodeAt(endNext - 1)
  ) {
    endCurrent--
    endNext--
  }
  if (endCurrent < current.length && isLowSurrogate(current.charCodeAt(endCurrent))) {
    endCurrent++
    endNext++
  }
  const run = () => {
    if (endCurrent > start) text.delete(start, endCurrent - start)
    if (endNext > start) text.insert(start, next.slice(start, endNext))
  }
  if (text.doc) text.doc.transact(run)
  else run()
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff
}
