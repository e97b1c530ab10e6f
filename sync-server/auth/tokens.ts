import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
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

/** Both sets of claims in one schema: one parse per verification (issue 11.3, connects). */
const VerifiedClaims = TokenClaims.extend(RelayClaims.shape)

export type VerifiedToken = {
  claims: TokenClaims
  generation: number
  device: string | null
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
}

/** The HMAC key made once per secret (a string key is imported again on every createHmac). */
let hmacKey: { secret: string; key: KeyObject } | null = null
function hmacKeyOf(secret: string): KeyObject {
  if (hmacKey?.secret !== secret) hmacKey = { secret, key: createSecretKey(Buffer.from(secret)) }
  return hmacKey.key
}

/**
 * The common case checked synchronously with node:crypto: a well-formed HS256 token with a
 * matching signature and a current `exp`, which jose would accept too. jose's asynchronous
 * WebCrypto verification was a third of the relay's own CPU per connect (issue 11.3). Anything
 * else (other header, bad signature, expired, odd claims) returns null and goes through jose,
 * so refusals keep its exact reasons.
 */
function fastVerify(secret: string, token: string): unknown {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first <= 0 || second <= first + 1 || token.indexOf('.', second + 1) !== -1) return null
  let header: unknown
  let payload: unknown
  try {
    header = JSON.parse(Buffer.from(token.slice(0, first), 'base64url').toString('utf8'))
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'))
  } catch {
    return null
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return null
  const h = header as Record<string, unknown>
  if (h.alg !== ALG || 'crit' in h || 'b64' in h) return null
  const expected = Buffer.from(
    createHmac('sha256', hmacKeyOf(secret)).update(token.slice(0, second)).digest('base64url'),
  )
  const given = Buffer.from(token.slice(second + 1))
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return null
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null
  const claims = payload as Record<string, unknown>
  const now = Math.floor(Date.now() / 1000)
  if (typeof claims.exp !== 'number' || claims.exp <= now) return null
  if (claims.nbf !== undefined && (typeof claims.nbf !== 'number' || claims.nbf > now)) return null
  if (claims.iat !== undefined && typeof claims.iat !== 'number') return null
  return payload
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
    payload =
      fastVerify(secret, token) ??
      (await jwtVerify(token, keyOf(secret), { algorithms: [ALG] })).payload
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      return { ok: false, reason: 'expired', detail: 'token expired' }
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: 'bad-signature', detail: 'signature does not match' }
    }
    return { ok: false, reason: 'malformed', detail: (error as Error).message }
  }
  const parsed = VerifiedClaims.safeParse(payload)
  if (!parsed.success) {
    return { ok: false, reason: 'bad-claims', detail: describeIssues(parsed.error).join('; ') }
  }
  const { gen, dev, ...claims } = parsed.data
  return { ok: true, claims, generation: gen ?? 1, device: dev ?? null }
}
