import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto'
import { errors, jwtVerify, SignJWT } from 'jose'
import { z } from 'zod'
import { TokenClaims } from '../../common/model/invitation'
import { ROLES, type Role } from '../../common/model/member'
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
export const VerifiedClaims = TokenClaims.extend(RelayClaims.shape)

export type VerifiedToken = {
  claims: TokenClaims
  generation: number
  device: string | null
}

const ID_TEXT = /^[A-Za-z0-9_-]{3,64}$/
const DEVICE_TEXT = /^[A-Za-z0-9_-]{8,64}$/
const ROLE_NAMES: readonly unknown[] = ROLES

/**
 * VerifiedClaims checked by hand for claims that plainly pass it; null for anything else, which
 * then goes through the zod schema (its refusal reasons). Never accepts what the schema refuses
 * (tests/relay/token-claims.test.ts): zod's parse was ~4% of the relay's CPU per connect.
 */
export function quickClaims(payload: unknown): VerifiedToken | null {
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null
  const c = payload as Record<string, unknown>
  const { sub, ws, role, name, iat, exp, gen, dev } = c
  if (typeof sub !== 'string' || !ID_TEXT.test(sub)) return null
  if (typeof ws !== 'string' || !ID_TEXT.test(ws)) return null
  if (!ROLE_NAMES.includes(role)) return null
  if (typeof name !== 'string' || name.length < 1 || name.length > 120) return null
  if (!Number.isSafeInteger(iat) || !Number.isSafeInteger(exp)) return null
  if (
    gen !== undefined &&
    (!Number.isSafeInteger(gen) || (gen as number) < 1 || (gen as number) > 1e9)
  )
    return null
  if (dev !== undefined && (typeof dev !== 'string' || !DEVICE_TEXT.test(dev))) return null
  return {
    claims: {
      sub,
      ws: sharedWorkspaceId(ws),
      role: role as Role,
      name,
      iat: iat as number,
      exp: exp as number,
    },
    generation: (gen as number | undefined) ?? 1,
    device: (dev as string | undefined) ?? null,
  }
}

/**
 * One string per workspace id for all its connections' claims (each token's parse makes its
 * own): an idle connection keeps its claims (issue 11.3, idle memory). Bounded.
 */
const workspaceIds = new Map<string, string>()

function sharedWorkspaceId(id: string): string {
  const known = workspaceIds.get(id)
  if (known !== undefined) return known
  if (workspaceIds.size >= 10_000) workspaceIds.clear()
  workspaceIds.set(id, id)
  return id
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

/** The last header segment that passed goodHeaderText (the same for every token we sign). */
let goodHeader: string | null = null

/** An HS256 header without `crit` or `b64`, the only one fastVerify accepts (may throw). */
function goodHeaderText(text: string): boolean {
  const header: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'))
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return false
  const h = header as Record<string, unknown>
  if (h.alg !== ALG || 'crit' in h || 'b64' in h) return false
  goodHeader = text
  return true
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
  const headerText = token.slice(0, first)
  let payload: unknown
  try {
    // Every token this relay signs has the same header: one already checked is not parsed again.
    if (headerText !== goodHeader && !goodHeaderText(headerText)) return null
    payload = JSON.parse(Buffer.from(token.slice(first + 1, second), 'base64url').toString('utf8'))
  } catch {
    return null
  }
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

/**
 * Tokens already verified, by their text, for their remaining lifetime: a core opens its four
 * documents with one token, and reconnects with it, so most upgrades present a token this process
 * has checked (issue 11.3, connects). Only the signature, expiry and claims are remembered: the
 * member is read from the store on every upgrade (checkMember), so a removal or re-invitation
 * still refuses the token as soon as the store knows of it (at once on SQLite; on PostgreSQL
 * once the node is notified, see checkAccess). Keyed per secret; least recently used out first (a hit moves
 * the token to the back), so the tokens of connected cores stay while one-off ones go.
 *
 * Bound: 50,000 tokens, above the live tokens of 20,000 members (one per device, shared by its
 * four documents; most members have one or two devices). An entry is the token text (~0.3 KB)
 * and its claims (~0.3 KB): 31.8 MiB when full (tests/bench/token-cache-heap.ts), less than the
 * sockets of that many cores.
 */
export const MAX_VERIFIED = 50_000
let verified: { secret: string; tokens: Map<string, VerifiedToken> } | null = null

function verifiedTokens(secret: string): Map<string, VerifiedToken> {
  if (verified?.secret !== secret) verified = { secret, tokens: new Map() }
  return verified.tokens
}

function remember(secret: string, token: string, result: VerifiedToken): void {
  const tokens = verifiedTokens(secret)
  if (tokens.size >= MAX_VERIFIED) {
    // A Map iterates in insertion order, and a hit re-inserts: the first key is the least used.
    const oldest = tokens.keys().next()
    if (!oldest.done) tokens.delete(oldest.value)
  }
  tokens.set(token, result)
}

/**
 * The common case without a promise: a token verified before and not expired since, or one
 * fastVerify and quickClaims accept. Null for anything else (refusals included), which
 * verifyToken then decides with jose and zod.
 */
export function verifyTokenNow(secret: string, token: string): VerifiedToken | null {
  const tokens = verifiedTokens(secret)
  const known = tokens.get(token)
  if (known) {
    tokens.delete(token)
    if (known.claims.exp <= Date.now() / 1000) return null
    tokens.set(token, known)
    return known
  }
  const payload = fastVerify(secret, token)
  const quick = payload === null ? null : quickClaims(payload)
  if (quick) remember(secret, token, quick)
  return quick
}

/**
 * Check signature and expiry (jose), then the shape of the claims (zod). Never throws.
 * `triedNow`: the caller already had verifyTokenNow say null (not checked synchronously twice).
 */
export async function verifyToken(
  secret: string,
  token: string,
  { triedNow = false }: { triedNow?: boolean } = {},
): Promise<VerifyResult> {
  const now = triedNow ? null : verifyTokenNow(secret, token)
  if (now) return { ok: true, ...now }
  let payload: unknown
  try {
    // The algorithm is pinned so that an `alg: none` or RS/HS confusion token is refused. The
    // key is the KeyObject made once per secret (a Uint8Array is imported again on every call).
    payload = (await jwtVerify(token, hmacKeyOf(secret), { algorithms: [ALG] })).payload
  } catch (error) {
    if (error instanceof errors.JWTExpired) {
      return { ok: false, reason: 'expired', detail: 'token expired' }
    }
    if (error instanceof errors.JWSSignatureVerificationFailed) {
      return { ok: false, reason: 'bad-signature', detail: 'signature does not match' }
    }
    return { ok: false, reason: 'malformed', detail: (error as Error).message }
  }
  const quick = quickClaims(payload)
  if (quick) {
    remember(secret, token, quick)
    return { ok: true, ...quick }
  }
  const parsed = VerifiedClaims.safeParse(payload)
  if (!parsed.success) {
    return { ok: false, reason: 'bad-claims', detail: describeIssues(parsed.error).join('; ') }
  }
  const { gen, dev, ...claims } = parsed.data
  const result = { claims, generation: gen ?? 1, device: dev ?? null }
  remember(secret, token, result)
  return { ok: true, ...result }
}
