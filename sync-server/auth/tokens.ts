import { errors, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import { TokenClaims } from '../../common/model/invitation'
import type { Role } from '../../common/model/member'
import { describeIssues } from '../../common/model/validation'

const ALG = 'HS256'

export type TokenInput = {
  memberId: string
  workspaceId: string
  role: Role
  name: string
  /** Lifetime from now; negative values make an already expired token (tests). */
  ttlSeconds: number
  /** The member's generation when issued (see workspace-store); 1 if absent. */
  generation?: number
  /** A device token (from renewal) names its device with an opaque id; invitations do not. */
  device?: string
}

/**
 * Claims the relay adds beyond the shared TokenClaims, read only by the relay. Tokens issued
 * before these existed have neither: generation 1, no device.
 */
const RelayClaims = z.object({
  gen: z.number().int().min(1).max(1_000_000_000).optional(),
  dev: z
    .string()
    .regex(/^[A-Za-z0-9_-]{8,64}$/)
    .optional(),
})

export type VerifiedToken = {
  claims: TokenClaims
  generation: number
  device: string | null
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

/**
 * The secret imported once as a WebCrypto key: given raw bytes, jose imports them again on every
 * verification (about a third of its CPU, issue 11.3). One relay has one secret.
 */
const verifyKeys = new Map<string, Promise<CryptoKey>>()
function verifyKeyOf(secret: string): Promise<CryptoKey> {
  let key = verifyKeys.get(secret)
  if (!key) {
    key = crypto.subtle.importKey(
      'raw',
      new TextEncoder().encode(secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    )
    // Bounded: a process that verifies with many secrets (tests) keeps only the latest few.
    if (verifyKeys.size >= 8) verifyKeys.clear()
    verifyKeys.set(secret, key)
  }
  return key
}

export async function signToken(
  secret: string,
  input: TokenInput,
  now = Date.now(),
): Promise<string> {
  const iat = Math.floor(now / 1000)
  const claims = TokenClaims.parse({
    sub: input.memberId,
    ws: input.workspaceId,
    role: input.role,
    name: input.name,
    iat,
    exp: iat + input.ttlSeconds,
  })
  const extra = RelayClaims.parse({ gen: input.generation ?? 1, dev: input.device })
  return new SignJWT({ ws: claims.ws, role: claims.role, name: claims.name, ...extra })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(keyOf(secret))
}

export type VerifyResult =
  | ({ ok: true } & VerifiedToken)
  | { ok: false; reason: 'expired' | 'bad-signature' | 'malformed' | 'bad-claims'; detail: string }

/** Check signature and expiry (jose), then the shape of the claims (zod). Never throws. */
export async function verifyToken(secret: string, token: string): Promise<VerifyResult> {
  let payload: unknown
  try {
    // The algorithm is pinned so that an `alg: none` or RS/HS confusion token is refused.
    payload = (await jwtVerify(token, await verifyKeyOf(secret), { algorithms: [ALG] })).payload
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      return { ok: false, reason: 'expired', detail: 'token expired' }
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: 'bad-signature', detail: 'signature does not match' }
    }
    return { ok: false, reason: 'malformed', detail: (error as Error).message }
  }
  const parsed = TokenClaims.safeParse(payload)
  const extra = RelayClaims.safeParse(payload)
  if (!parsed.success) {
    return { ok: false, reason: 'bad-claims', detail: describeIssues(parsed.error).join('; ') }
  }
  if (!extra.success) {
    return { ok: false, reason: 'bad-claims', detail: describeIssues(extra.error).join('; ') }
  }
  return {
    ok: true,
    claims: parsed.data,
    generation: extra.data.gen ?? 1,
    device: extra.data.dev ?? null,
  }
}
