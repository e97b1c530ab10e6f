/**
 * Caption variants rotate between colleagues so that two of them rarely post the same words.
 * The choice is a pure function of (member, item): the same person always sees the same
 * suggestion for an item (on every device, offline too), and colleagues spread evenly.
 */

/** FNV-1a over UTF-16 units, then murmur3's finaliser so similar ids land far apart. */
function stableHash(value: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  hash ^= hash >>> 16
  hash = Math.imul(hash, 0x85ebca6b)
  hash ^= hash >>> 13
  hash = Math.imul(hash, 0xc2b2ae35)
  hash ^= hash >>> 16
  return hash >>> 0
}

/**
 * Pick this member's caption among `[caption, ...variants]`. Blank entries are skipped; returns
 * '' when there is nothing to suggest.
 */
export function pickVariant(
  captionAndVariants: string[],
  memberId: string,
  itemId: string,
): string {
  const choices = captionAndVariants.filter((text) => text.trim() !== '')
  if (choices.length === 0) return ''
  // The item id is part of the key, so one person is not always given "variant 2".
  return choices[stableHash(`${itemId}\u0000${memberId}`) % choices.length] ?? ''
}

export interface Placeholder {
  /** The text between the braces, trimmed: "your take" for "{{ your take }}". */
  label: string
  /** Index of the first "{" in the text. */
  start: number
  /** Index just after the last "}". */
  end: number
}

// On one line and short, so stray braces far apart are not taken for a placeholder.
const PLACEHOLDER = /\{\{([^{}\n]{0,80})\}\}/g

/** The `{{…}}` placeholders asking for a personal touch, in order. */
export function placeholders(text: string): Placeholder[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => ({
    label: (match[1] ?? '').trim(),
    start: match.index ?? 0,
    end: (match.index ?? 0) + match[0].length,
  }))
}

export function hasUnfilledPlaceholders(text: string): boolean {
  return placeholders(text).length > 0
}
