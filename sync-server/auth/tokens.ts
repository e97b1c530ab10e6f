import { errors, jwtVerify, SignJWT } from 'jose'
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
}

function keyOf(secret: string): Uint8Array {
  return new TextEncoder().encode(secret)
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
  return new SignJWT({ ws: claims.ws, role: claims.role, name: claims.name })
    .setProtectedHeader({ alg: ALG, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuedAt(claims.iat)
    .setExpirationTime(claims.exp)
    .sign(keyOf(secret))
}

export type VerifyResult =
  | { ok: true; claims: TokenClaims }
  | { ok: false; reason: 'expired' | 'bad-signature' | 'malformed' | 'bad-claims'; detail: string }

/** Check signature and expiry (jose), then the shape of the claims (zod). Never throws. */
export async function verifyToken(secret: string, token: string): Promise<VerifyResult> {
  let payload: unknown
  try {
    // The algorithm is pinned so that an `alg: none` or RS/HS confusion token is refused.
    payload = (await jwtVerify(token, keyOf(secret), { algorithms: [ALG] })).payload
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
  if (!parsed.success) {
    return { ok: false, reason: 'bad-claims', detail: describeIssues(parsed.error).join('; ') }
  }
  return { ok: true, claims: parsed.data }
}
