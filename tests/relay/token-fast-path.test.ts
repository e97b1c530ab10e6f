import { createHmac } from 'node:crypto'
import { jwtVerify } from 'jose'
import { describe, expect, it } from 'vitest'
import { MAX_VERIFIED, verifyToken, verifyTokenNow } from '../../sync-server/auth/tokens'

/**
 * The relay checks the usual HS256 token with node:crypto before jose (verifyTokenNow, issue
 * 11.3): it must never accept a token jose refuses, and must read the same claims. Every
 * combination of odd headers, claims and signatures below goes through both.
 */
const SECRET = 'fast-path-secret-fast-path-secret-fast-path-01'
const OTHER = 'fast-path-other-secret-fast-path-other-secret-02'
const now = Math.floor(Date.now() / 1000)

const b64 = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')

const headers: unknown[] = [
  { alg: 'HS256', typ: 'JWT' },
  { alg: 'HS256' },
  { alg: 'none' },
  { alg: 'HS512', typ: 'JWT' },
  { alg: 'hs256' },
  { alg: 'HS256', crit: ['exp'] },
  { alg: 'HS256', b64: false, crit: ['b64'] },
  { alg: 'HS256', b64: true },
  ['HS256'],
  'not json',
  null,
]

const base = { sub: 'mem-fast-1', ws: 'ws-fast-1', role: 'champion', name: 'Ana', iat: now, gen: 1 }
const payloads: unknown[] = [
  { ...base, exp: now + 3600 },
  { ...base, exp: now - 10 },
  { ...base, exp: now },
  { ...base },
  { ...base, exp: String(now + 3600) },
  { ...base, exp: now + 3600, nbf: now + 600 },
  { ...base, exp: now + 3600, nbf: now - 600 },
  { ...base, exp: now + 3600, nbf: 'soon' },
  { ...base, exp: now + 3600, iat: 'today' },
  { ...base, exp: now + 3600, role: 'admin' },
  [1, 2, 3],
  'plain text',
]

type Sign = (input: string) => string
const hmac =
  (secret: string): Sign =>
  (input) =>
    createHmac('sha256', secret).update(input).digest('base64url')
const signatures: Sign[] = [
  hmac(SECRET),
  hmac(OTHER),
  (input) => hmac(SECRET)(input).slice(0, -2),
  () => '',
  (input) => `${hmac(SECRET)(input)}A`,
]

const key = new TextEncoder().encode(SECRET)

async function joseAccepts(token: string): Promise<Record<string, unknown> | null> {
  try {
    return { ...(await jwtVerify(token, key, { algorithms: ['HS256'] })).payload }
  } catch {
    return null
  }
}

describe('the synchronous token check', () => {
  it('accepts only what jose accepts, with the same claims', async () => {
    let accepted = 0
    let cases = 0
    for (const header of headers)
      for (const payload of payloads)
        for (const sign of signatures) {
          const input = `${b64(header)}.${b64(payload)}`
          const token = `${input}.${sign(input)}`
          cases++
          const fast = verifyTokenNow(SECRET, token)
          const jose = await joseAccepts(token)
          if (fast) {
            accepted++
            expect(jose, token).not.toBeNull()
            expect(fast.claims.sub).toBe(jose?.sub)
            expect(fast.claims.ws).toBe(jose?.ws)
            expect(fast.claims.role).toBe(jose?.role)
            expect(fast.claims.exp).toBe(jose?.exp)
          }
          // The whole check (fast path, else jose and the schema) never accepts what jose refuses.
          const whole = await verifyToken(SECRET, token)
          if (whole.ok) expect(jose, token).not.toBeNull()
          // Asked again (a remembered token): the same answer.
          expect((await verifyToken(SECRET, token)).ok).toBe(whole.ok)
        }
    expect(cases).toBe(headers.length * payloads.length * signatures.length)
    // The plain tokens the relay signs do take the fast path.
    expect(accepted).toBeGreaterThan(0)
  })
})

describe('the verified-token cache', () => {
  // Its own secret: a cache of its own (keyed per secret), not shared with the cases above.
  const secret = 'cache-lru-secret-cache-lru-secret-cache-lru-03'
  const token = (n: number) => {
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ ...base, sub: `mem-lru-${n}`, exp: now + 3600 })}`
    return `${input}.${hmac(secret)(input)}`
  }

  it('keeps a token used recently when older ones are evicted (least recently used out)', () => {
    const kept = token(0)
    const first = verifyTokenNow(secret, kept)
    expect(first).not.toBeNull()
    // Fill the cache to its bound, use `kept` again (a core's other document), then add as many
    // tokens again as the cache holds minus one: first in, but recently used, it must stay.
    for (let n = 1; n < MAX_VERIFIED; n++) verifyTokenNow(secret, token(n))
    expect(verifyTokenNow(secret, kept)).toBe(first)
    for (let n = MAX_VERIFIED; n < 2 * MAX_VERIFIED - 1; n++) verifyTokenNow(secret, token(n))
    // The same object: answered from the cache, not verified again.
    expect(verifyTokenNow(secret, kept)).toBe(first)
  })

  it('verifyToken told the synchronous check was tried still verifies with jose', async () => {
    const t = token(-1)
    const result = await verifyToken(secret, t, { triedNow: true })
    expect(result.ok && result.claims.sub).toBe('mem-lru--1')
  })
})
