import type { ProblemCode } from '../../common/contract/problems'
import type { MemberRecord } from '../persistence/workspace-store'
import type { VerifiedToken } from './tokens'

export type MembershipCheck =
  | { ok: true; member: MemberRecord }
  | { ok: false; reason: string; problem: ProblemCode; kind: MembershipFailure }

/** How a token no longer matches its member; decides the close code of live connections too. */
export type MembershipFailure = 'unknown' | 'removed' | 'superseded' | 'role-changed'

/**
 * Does this verified token still stand for a member of its workspace? Refused: a member the relay
 * does not know (deleted) or removed, a token issued before the latest invitation (lower
 * generation), and one whose role is no longer the member's (its device renews into the new one).
 */
export function checkMembership(
  token: Pick<VerifiedToken, 'claims' | 'generation'>,
  member: MemberRecord | null,
): MembershipCheck {
  if (!member || member.workspaceId !== token.claims.ws) {
    return {
      ok: false,
      kind: 'unknown',
      reason: 'not a member of this workspace',
      problem: 'invitationRevoked',
    }
  }
  if (member.removedAt !== null) {
    return { ok: false, kind: 'removed', reason: 'member was removed', problem: 'memberRemoved' }
  }
  if (token.generation !== member.generation) {
    return {
      ok: false,
      kind: 'superseded',
      reason: 'token superseded by a newer invitation',
      problem: 'invitationRevoked',
    }
  }
  if (token.claims.role !== member.role) {
    return {
      ok: false,
      kind: 'role-changed',
      reason: `role changed to ${member.role}; renew the token`,
      problem: 'roleChanged',
    }
  }
  return { ok: true, member }
}
