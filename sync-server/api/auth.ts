import type { IncomingMessage } from 'node:http'
import type { TokenClaims } from '../../common/model/invitation'
import { canCurate } from '../../common/model/member'
import { checkToken, checkWorkspace } from '../http/authorize'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { ApiError } from './respond'

/**
 * `Authorization: Bearer <token>`, checked by the very functions that guard WebSocket upgrades:
 * the same token is accepted or refused the same way on both paths.
 */
export async function authenticate(
  req: IncomingMessage,
  secret: string,
  workspaces: WorkspaceStore,
): Promise<TokenClaims> {
  const header = req.headers.authorization ?? ''
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header)
  const token = await checkToken(match?.[1] ?? null, secret)
  if (!token.ok) throw new ApiError(401, 'unauthorized', token.reason)
  const workspace = checkWorkspace(token.claims, workspaces)
  if (!workspace.ok) throw new ApiError(403, 'forbidden', workspace.reason)
  return token.claims
}

export function requireCurator(claims: TokenClaims, what: string): void {
  if (!canCurate(claims.role)) {
    throw new ApiError(403, 'forbidden', `only champions and admins may read ${what}`)
  }
}
