import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import { parseRoomName, type RoomRef } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import { verifyToken } from '../auth/tokens'
import type { WorkspaceStore } from '../persistence/workspace-store'

export type Authorization =
  | { ok: true; claims: TokenClaims; ref: RoomRef }
  | { ok: false; status: 400 | 401 | 403 | 404; reason: string }

const UpgradeQuery = z.object({
  token: z.string().min(10, 'token is too short').max(4096, 'token is too long'),
})

/**
 * Decide on a WebSocket upgrade *before* accepting it: `/<workspaceId>/<doc>?token=<jwt>`.
 * 401 = who are you (no/forged/expired token), 404 = no such document, 403 = not yours.
 */
export async function authorizeUpgrade(
  req: IncomingMessage,
  secret: string,
  workspaces: WorkspaceStore,
): Promise<Authorization> {
  let url: URL
  try {
    url = new URL(req.url ?? '/', 'http://relay')
  } catch {
    return { ok: false, status: 400, reason: 'unreadable request URL' }
  }
  const rawToken = url.searchParams.get('token')
  if (rawToken === null || rawToken === '')
    return { ok: false, status: 401, reason: 'missing token' }
  const query = UpgradeQuery.safeParse({ token: rawToken })
  if (!query.success) {
    return { ok: false, status: 401, reason: query.error.issues[0]?.message ?? 'bad token' }
  }
  const verified = await verifyToken(secret, query.data.token)
  if (!verified.ok)
    return { ok: false, status: 401, reason: `${verified.reason}: ${verified.detail}` }
  let path: string
  try {
    path = decodeURIComponent(url.pathname.replace(/^\/+/, ''))
  } catch {
    return { ok: false, status: 404, reason: 'unknown room' }
  }
  const ref = parseRoomName(path)
  if (!ref) return { ok: false, status: 404, reason: `unknown room "${path.slice(0, 80)}"` }
  const claims = verified.claims
  if (ref.workspaceId !== claims.ws) {
    return { ok: false, status: 403, reason: 'token is for another workspace' }
  }
  if (!workspaces.getWorkspace(ref.workspaceId)) {
    return { ok: false, status: 403, reason: 'workspace does not exist on this relay' }
  }
  return { ok: true, claims, ref }
}
