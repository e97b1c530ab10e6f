import { InvitationError, parseInvitation, readTokenClaims } from '../../../common/model/invitation'
import type { StoredSession } from '../store/session'

/**
 * Read a `porte-voix://join?relay=…&token=…` link into the session to store. The token's
 * signature is only checked by the relay (on connect); here we refuse what is plainly unusable.
 */
export function sessionFromInvitation(text: string, now: Date = new Date()): StoredSession {
  const invitation = parseInvitation(text)
  const claims = readTokenClaims(invitation.token)
  if (claims.exp * 1000 <= now.getTime()) {
    throw new InvitationError(
      `This invitation expired on ${new Date(claims.exp * 1000).toISOString()}; ask your admin for a new one`,
    )
  }
  return {
    relayUrl: invitation.relayUrl,
    token: invitation.token,
    claims,
    joinedAt: now.toISOString(),
  }
}
