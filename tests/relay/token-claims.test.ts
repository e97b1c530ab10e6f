import { describe, expect, it } from 'vitest'
import {
  quickClaims,
  VerifiedClaims as Reference,
  signToken,
  verifyToken,
} from '../../sync-server/auth/tokens'
import { prng } from '../helpers/prng'

const SECRET = 'token-claims-test-secret-0123456789abcdef'

const pick = <T>(random: () => number, values: readonly T[]): T =>
  values[Math.floor(random() * values.length)] as T

/** Claims values near every edge of the schema: valid ones first, then refused ones. */
const IDS = [
  ['abc', 'member-1_x', 'a'.repeat(64)],
  ['ab', 'a'.repeat(65), 'a b c', 'é-abc', '', 7],
]
const ROLES = [
  ['employee', 'champion', 'admin'],
  ['Admin', 'owner', '', null],
]
const NAMES = [
  ['c', 'x'.repeat(120), 'Zoë Dupont', ' '],
  ['', 'x'.repeat(121), 3],
]
const INTS = [
  [0, 1, -5, 1_764_000_000],
  [1.5, 2 ** 53, Number.NaN, '1', null],
]
const GENS = [
  [undefined, 1, 2, 1e9],
  [0, 1e9 + 1, 2.5, '2', null],
]
const DEVS = [
  [undefined, 'abcdefgh', 'A'.repeat(64)],
  ['abcdefg', 'A'.repeat(65), 'dev ice-1', 5],
]

function randomClaims(random: () => number): Record<string, unknown> {
  // Each claim valid most of the time, so that both outcomes are common.
  const value = (choices: unknown[][]) =>
    pick(random, random() < 0.85 ? (choices[0] ?? []) : (choices[1] ?? []))
  const claims: Record<string, unknown> = {
    sub: value(IDS),
    ws: value(IDS),
    role: value(ROLES),
    name: value(NAMES),
    iat: value(INTS),
    exp: value(INTS),
    gen: value(GENS),
    dev: value(DEVS),
  }
  // Missing claims and extra ones (stripped by the schema).
  if (random() < 0.1) delete claims[pick(random, Object.keys(claims))]
  if (random() < 0.1) claims.extra = 'x'
  return claims
}

// verifyToken checks the claims of a well-formed token by hand (quickClaims) before the zod
// schema: the hand check must never accept what the schema refuses, and give what it gives.
describe('token claims checked without zod', () => {
  it('accepts only what the schema accepts, with the same claims', () => {
    const random = prng(11)
    let accepted = 0
    let refused = 0
    for (let i = 0; i < 5000; i++) {
      const payload = randomClaims(random)
      const quick = quickClaims(payload)
      const parsed = Reference.safeParse(payload)
      if (!quick) {
        if (!parsed.success) refused++
        continue
      }
      accepted++
      expect(parsed.success, JSON.stringify(payload)).toBe(true)
      if (!parsed.success) continue
      const { gen, dev, ...claims } = parsed.data
      expect(quick).toEqual({ claims, generation: gen ?? 1, device: dev ?? null })
    }
    // The common case does take the quick path.
    expect(accepted).toBeGreaterThan(500)
    expect(refused).toBeGreaterThan(500)
    expect(quickClaims(null)).toBeNull()
    expect(quickClaims([])).toBeNull()
  })

  it('verifies signed tokens the same way with or without a device', async () => {
    const base = { memberId: 'member-1', workspaceId: 'ws-1234', role: 'champion' as const }
    const plain = await signToken(SECRET, { ...base, name: 'Zoë', ttlSeconds: 60 })
    const device = await signToken(SECRET, {
      ...base,
      name: 'Zoë',
      ttlSeconds: 60,
      generation: 3,
      device: 'device-abcdef',
    })
    const a = await verifyToken(SECRET, plain)
    const b = await verifyToken(SECRET, device)
    expect(a).toMatchObject({ ok: true, generation: 1, device: null })
    expect(b).toMatchObject({ ok: true, generation: 3, device: 'device-abcdef' })
    if (!a.ok) return
    expect(a.claims).toEqual({
      sub: 'member-1',
      ws: 'ws-1234',
      role: 'champion',
      name: 'Zoë',
      iat: a.claims.iat,
      exp: a.claims.iat + 60,
    })
    // A claim the schema refuses still gets its reason.
    const long = await signToken(SECRET, { ...base, name: 'x', ttlSeconds: 60 }).then((t) => {
      const [h, p, s] = t.split('.')
      const claims = JSON.parse(Buffer.from(p ?? '', 'base64url').toString('utf8'))
      return [h, Buffer.from(JSON.stringify({ ...claims, name: '' })).toString('base64url'), s]
    })
    expect(await verifyToken(SECRET, long.join('.'))).toMatchObject({ ok: false })
  })
})
