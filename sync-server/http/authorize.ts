import type { IncomingMessage } from 'node:http'
import { z } from 'zod'
import { parseRoomName, type RoomRef } from '../../common/doc/rooms'
import type { TokenClaims } from '../../common/model/invitation'
import { verifyToken } from '../auth/tokens'
import type { WorkspaceStore } from '../persistence/workspace-store'

export type Authorization =
  | { ok: true; claims: TokenClaims; ref: RoomRef }
  | { ok: false; status: 400 | 401 | 403 | 404; reason: string }

const TokenText = z.string().min(10, 'token is too short').max(4096, 'token is too long')

export type TokenCheck =
  | { ok: true; claims: TokenClaims }
  | { ok: false; status: 401 | 403; reason: string }

/**
 * Who is this: the one token check shared by WebSocket upgrades and the HTTP API, so both refuse
 * exactly the same tokens. 401 = no/forged/expired/malformed token.
 */
export async function checkToken(rawToken: string | null, secret: string): Promise<TokenCheck> {
  if (rawToken === null || rawToken === '')
    return { ok: false, status: 401, reason: 'missing token' }
  const text = TokenText.safeParse(rawToken)
  if (!text.success) {
    return { ok: false, status: 401, reason: text.error.issues[0]?.message ?? 'bad token' }
  }
  const verified = await verifyToken(secret, text.data)
  if (!verified.ok)
    return { ok: false, status: 401, reason: `${verified.reason}: ${verified.detail}` }
  return { ok: true, claims: verified.claims }
}

/** The token's workspace must exist on this relay (403: a token for something not here). */
export function checkWorkspace(claims: TokenClaims, workspaces: WorkspaceStore): TokenCheck {
  if (!workspaces.getWorkspace(claims.ws)) {
    return { ok: false, status: 403, reason: 'workspace does not exist on this relay' }
  }
  return { ok: true, claims }
}

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
  const token = await checkToken(url.searchParams.get('token'), secret)
  if (!token.ok) return token
  let path: string
  try {
    path = decodeURIComponent(url.pathname.replace(/^\/+/, ''))
  } catch {
    return { ok: false, status: 404, reason: 'unknown room' }
  }
  const ref = parseRoomName(path)
  if (!ref) return { ok: false, status: 404, reason: `unknown room "${path.slice(0, 80)}"` }
  const claims = token.claims
  if (ref.workspaceId !== claims.ws) {
    return { ok: false, status: 403, reason: 'token is for another workspace' }
  }
  const workspace = checkWorkspace(claims, workspaces)
  if (!workspace.ok) return workspace
  return { ok: true, claims, ref }
}
