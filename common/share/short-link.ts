import { NETWORKS, type Network } from '../model/networks'
import { isShareId } from './tracked-link'

/**
 * Tracked short links `<public-url>/s/<code>` (issue 9). The core mints codes offline, so a code
 * cannot depend on anything the relay hands out: it names the workspace, the item, the network
 * and the share id, `<workspaceId>.<itemId>.<n><shareId>` (n: one letter per network). The relay
 * checks each part and redirects only to the URL it holds for that item of that workspace, so a
 * forged code can at worst point at another of the workspace's own published items.
 */
export type ShortCode = { workspaceId: string; itemId: string; network: Network; shareId: string }

const LETTER: Record<Network, string> = {
  linkedin: 'l',
  x: 'x',
  facebook: 'f',
  bluesky: 'b',
  mastodon: 'm',
  whatsapp: 'w',
  email: 'e',
}
const BY_LETTER = new Map(NETWORKS.map((n) => [LETTER[n], n] as const))

/** Ids as common/model/ids.ts allows them (3–64 of [A-Za-z0-9_-]); `.` separates the parts. */
const CODE_PATTERN =
  /^([A-Za-z0-9_-]{3,64})\.([A-Za-z0-9_-]{3,64})\.([a-z])([0-9a-hjkmnp-tv-z]{20})$/

/** Longest code a valid one can be; anything longer is refused before any parsing. */
export const MAX_SHORT_CODE_LENGTH = 64 + 1 + 64 + 1 + 1 + 20

export function shortCode(code: ShortCode): string {
  if (!isShareId(code.shareId)) throw new TypeError('shareId must come from newShareId()')
  const text = `${code.workspaceId}.${code.itemId}.${LETTER[code.network]}${code.shareId}`
  if (parseShortCode(text) === null) throw new TypeError('workspace or item id is not a valid id')
  return text
}

/** `https://relay.example/s/<code>`; the public URL's own path (a sub-folder) is kept. */
export function shortLink(publicUrl: string, code: ShortCode): string {
  const base = publicUrl.replace(/\/+$/, '')
  return `${base}/s/${shortCode(code)}`
}

/** The parts of a code, or null for anything that is not exactly a code (no decoding first). */
export function parseShortCode(text: string): ShortCode | null {
  if (text.length > MAX_SHORT_CODE_LENGTH) return null
  const match = CODE_PATTERN.exec(text)
  if (!match) return null
  const [, workspaceId, itemId, letter, shareId] = match
  const network = BY_LETTER.get(letter as string)
  if (!network || !workspaceId || !itemId || !shareId) return null
  return { workspaceId, itemId, network, shareId }
}
