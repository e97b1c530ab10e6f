/**
 * The heap the relay's verified-token cache holds when full (MAX_VERIFIED tokens of one secret),
 * in this process after full GCs: the cache full, then replaced by another secret's empty one.
 * Tokens as the relay issues them (a device token: member, workspace, role, name, device).
 *
 *   node --expose-gc --import tsx tests/bench/token-cache-heap.ts
 */
import { MAX_VERIFIED, signToken, verifyTokenNow } from '../../sync-server/auth/tokens'

const gc = (globalThis as { gc?: () => void }).gc
if (!gc) throw new Error('run with node --expose-gc --import tsx')
const collect = (): void => {
  for (let i = 0; i < 3; i++) gc()
}

async function main(): Promise<void> {
  const secret = 's'.repeat(48)
  const tokens: string[] = []
  for (let i = 0; i < MAX_VERIFIED; i++) {
    tokens.push(
      await signToken(secret, {
        memberId: `member-${i}-${'m'.repeat(20)}`,
        workspaceId: 'acme-workspace',
        role: 'employee',
        name: `Employee Number ${i}`,
        ttlSeconds: 30 * 86_400,
        device: `device-${i}-abcdef`,
      }),
    )
  }
  const chars = tokens.reduce((sum, token) => sum + token.length, 0) / tokens.length
  for (const token of tokens) {
    if (!verifyTokenNow(secret, token)) throw new Error('a signed token was not verified')
  }
  tokens.length = 0
  collect()
  const full = process.memoryUsage().heapUsed
  verifyTokenNow('t'.repeat(48), 'not.a.token') // another secret: the full cache is dropped
  collect()
  const empty = process.memoryUsage().heapUsed
  const bytes = full - empty
  console.log(
    `token cache, ${MAX_VERIFIED} tokens of ${Math.round(chars)} chars: ` +
      `${(bytes / 2 ** 20).toFixed(1)} MiB of heap, ${Math.round(bytes / MAX_VERIFIED)} B per token`,
  )
}

await main()
