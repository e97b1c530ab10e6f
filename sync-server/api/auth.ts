import type { IncomingMessage, ServerResponse } from 'node:http'
import type { ProblemCode } from '../../common/contract/problems'
import { newId } from '../../common/model/ids'
import type { TokenClaims } from '../../common/model/invitation'
import { canCurate } from '../../common/model/member'
import { checkMembership } from '../auth/membership'
import { signToken } from '../auth/tokens'
import { checkAccess, checkToken, checkWorkspace, type Refusal } from '../http/authorize'
import type { WorkspaceStore } from '../persistence/workspace-store'
import { ApiError, sendJson } from './respond'

/** An API refusal that also carries the problem code the core shows (header x-porte-voix-problem). */
export class AccessRefused extends ApiError {
  constructor(
    status: number,
    readonly problem: ProblemCode,
    message: string,
  ) {
    super(status, status === 401 ? 'unauthorized' : 'forbidden', message)
  }
}

function refused(refusal: Refusal): AccessRefused {
  return new AccessRefused(refusal.status, refusal.problem, refusal.reason)
}

function bearer(req: IncomingMessage): string | null {
  const header = req.headers.authorization ?? ''
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null
}

/**
 * `Authorization: Bearer <token>`, checked by the very functions that guard WebSocket upgrades
 * (token, workspace, membership): the same token is accepted or refused the same way on both.
 */
export async function authenticate(
  req: IncomingMessage,
  secret: string,
  workspaces: WorkspaceStore,
): Promise<TokenClaims> {
  const access = await checkAccess(bearer(req), secret, workspaces)
  if (!access.ok) throw refused(access)
  return access.claims
}

export function requireCurator(claims: TokenClaims, what: string): void {
  if (!canCurate(claims.role)) {
    throw new ApiError(403, 'forbidden', `only champions and admins may read ${what}`)
  }
}

export type RenewDeps = {
  secret: string
  workspaces: WorkspaceStore
  /** Lifetime of the device tokens renewal hands out. */
  deviceTokenSeconds: number
}

/**
 * `POST /api/v1/token/renew` with a valid token: a fresh device token, with the member's current
 * name and role, for as long as the member is a member. A token whose role is out of date may
 * renew (that is how a role change reaches a device); removed, superseded or expired ones may not.
 * The device keeps its opaque id across renewals so "devices" counts devices, not tokens.
 */
export async function postRenewToken(
  req: IncomingMessage,
  res: ServerResponse,
  deps: RenewDeps,
): Promise<void> {
  const token = await checkToken(bearer(req), deps.secret)
  if (!token.ok) throw refused(token)
  const workspace = await checkWorkspace(token.claims, deps.workspaces)
  if (workspace) throw refused(workspace)
  const member = await deps.workspaces.getMemberRecord(token.claims.sub)
  const membership = checkMembership(token, member)
  if (!membership.ok && membership.kind !== 'role-changed') {
    throw new AccessRefused(403, membership.problem, membership.reason)
  }
  if (!member) throw new AccessRefused(403, 'invitationRevoked', 'not a member of this workspace')
  req.resume()
  const now = new Date()
  const device = token.device ?? newId('dev', 16)
  const fresh = await signToken(
    deps.secret,
    {
      memberId: member.id,
      workspaceId: member.workspaceId,
      role: member.role,
      name: member.displayName,
      ttlSeconds: deps.deviceTokenSeconds,
      generation: member.generation,
      device,
    },
    now.getTime(),
  )
  await deps.workspaces.touchDevice(member.id, device, now, 0)
  const expiresAt = new Date(
    Math.floor(now.getTime() / 1000) * 1000 + deps.deviceTokenSeconds * 1000,
  )
  sendJson(res, 200, { token: fresh, role: member.role, expiresAt: expiresAt.toISOString() })
}
