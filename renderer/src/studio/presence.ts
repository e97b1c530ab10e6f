import type { Session } from '../../../common/contract/api'

/**
 * Presence colours come from a fixed palette: remote cursors are coloured by CSS classes
 * (`pv-peer-N` in studio.css) because the page's CSP forbids inline style attributes.
 */
export const PEER_COLORS = [
  '#d9480f',
  '#2b8a3e',
  '#1971c2',
  '#9c36b5',
  '#c2255c',
  '#0c8599',
  '#e67700',
  '#5f3dc4',
] as const

export type PresenceUser = { name: string; color: string; colorLight: string; memberId: string }

function hash(text: string): number {
  let h = 2166136261
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 16777619)
  }
  return h >>> 0
}

/** A member keeps the same colour in every window and on every colleague's screen. */
export function presenceFor(session: Session): PresenceUser {
  const color = PEER_COLORS[hash(session.memberId) % PEER_COLORS.length] ?? PEER_COLORS[0]
  return { name: session.displayName, color, colorLight: `${color}33`, memberId: session.memberId }
}

/** The palette slot of a colour another client announced (unknown colours get slot 0). */
export function peerClass(color: unknown): string {
  const index = (PEER_COLORS as readonly unknown[]).indexOf(color)
  return `pv-peer-${Math.max(index, 0)}`
}

/**
 * Control characters, bidirectional overrides, embeddings, isolates and marks, line and paragraph
 * separators: a name from awareness (any client may send anything) must not reorder or break the
 * text around it, nor fake separators.
 */
const UNSAFE_IN_NAMES =
  /[\p{Cc}\u061C\u200E\u200F\u2028\u2029\u202A-\u202E\u2066-\u2069\uFEFF\uFFF9-\uFFFB]/gu

/** A display name from an untrusted source: unsafe characters removed, spaces collapsed, short. */
export function cleanName(raw: string): string {
  const cleaned = raw.replace(/\s+/gu, ' ').replace(UNSAFE_IN_NAMES, '').trim()
  return [...cleaned].slice(0, 60).join('')
}

/** Read another client's announced user, trusting nothing (it crossed the network). */
export function readPeer(state: unknown): { name: string; color: unknown } | null {
  if (typeof state !== 'object' || state === null) return null
  const user = (state as { user?: unknown }).user
  if (typeof user !== 'object' || user === null) return null
  const name = (user as { name?: unknown }).name
  const cleaned = typeof name === 'string' ? cleanName(name) : ''
  return {
    name: cleaned || 'Anonymous',
    color: (user as { color?: unknown }).color,
  }
}
