import { z } from 'zod'
import { Id } from './ids'
import { lazySchema } from './lazy'
import { Role } from './member'

/** What a relay-signed token says about its bearer. Signed with HS256 by the relay's secret. */
export const TokenClaims = lazySchema(() =>
  z.object({
    sub: Id,
    ws: Id,
    role: Role,
    name: z.string().min(1).max(120),
    iat: z.number().int(),
    exp: z.number().int(),
  }),
)
export type TokenClaims = z.infer<typeof TokenClaims>

export const RelayUrl = lazySchema(() =>
  z
    .string()
    .trim()
    .refine((value) => {
      try {
        const url = new URL(value)
        return url.protocol === 'ws:' || url.protocol === 'wss:'
      } catch {
        return false
      }
    }, 'relay must be a ws:// or wss:// URL'),
)

export const Invitation = lazySchema(() =>
  z.object({ relayUrl: RelayUrl, token: z.string().min(10) }),
)
export type Invitation = z.infer<typeof Invitation>

/** `porte-voix://join?relay=<ws(s) URL>&token=<token>`: what the admin tool hands out. */
export function formatInvitation(invitation: Invitation): string {
  const params = new URLSearchParams({ relay: invitation.relayUrl, token: invitation.token })
  return `porte-voix://join?${params.toString()}`
}

export class InvitationError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'InvitationError'
  }
}

/** Read an invitation link as pasted by a person (surrounding spaces and quotes tolerated). */
export function parseInvitation(text: string): Invitation {
  const cleaned = text.trim().replace(/^["'<]+|["'>]+$/g, '')
  let url: URL
  try {
    url = new URL(cleaned)
  } catch {
    throw new InvitationError('This is not an invitation link (expected porte-voix://join?…)')
  }
  if (url.protocol !== 'porte-voix:' || url.hostname !== 'join') {
    throw new InvitationError('This is not an invitation link (expected porte-voix://join?…)')
  }
  const relayUrl = url.searchParams.get('relay')
  const token = url.searchParams.get('token')
  if (!relayUrl || !token) throw new InvitationError('The invitation lacks its relay or its token')
  const parsed = Invitation.safeParse({ relayUrl, token })
  if (!parsed.success) {
    throw new InvitationError(`The invitation is damaged: ${parsed.error.issues[0]?.message ?? ''}`)
  }
  return parsed.data
}

/** Read a token's claims without checking its signature (only the relay can, and does). */
export function readTokenClaims(token: string): TokenClaims {
  const part = token.split('.')[1]
  if (!part) throw new InvitationError('The invitation token is malformed')
  let json: unknown
  try {
    const base64 = part.replace(/-/g, '+').replace(/_/g, '/')
    json = JSON.parse(
      new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))),
    )
  } catch {
    throw new InvitationError('The invitation token is malformed')
  }
  const parsed = TokenClaims.safeParse(json)
  if (!parsed.success) throw new InvitationError('The invitation token does not carry a membership')
  return parsed.data
}
