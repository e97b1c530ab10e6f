import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { silentLogger } from '../../sync-server/log'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'

/**
 * The erasure purge on PostgreSQL (review findings on issue 11): every node hears of an
 * erasure and asks for a purge, and VACUUM FULL takes an exclusive lock on pv_members, which a
 * connect reads. Two nodes asked at once rewrite the tables once (a lease), and a connect made
 * while the purge waits for its lock is answered, not held until the pool's 10 s query timeout.
 */
let postgres: TestServer
let redis: TestServer

beforeAll(async () => {
  ;[postgres, redis] = await Promise.all([startPostgres(), startRedis()])
})
afterAll(async () => {
  await Promise.all([postgres?.stop(), redis?.stop()])
})

/** Statements sent by every pg client of this process whose text starts with `prefix`. */
function counting(prefix: string) {
  const sent = vi.spyOn(pg.Client.prototype, 'query')
  return {
    count: () =>
      sent.mock.calls.filter((call) => {
        const text = typeof call[0] === 'string' ? call[0] : (call[0] as { text?: string }).text
        return typeof text === 'string' && text.startsWith(prefix)
      }).length,
    restore: () => sent.mockRestore(),
  }
}

describe('erasure purge on PostgreSQL', () => {
  it('two nodes asked to purge at once rewrite pv_members once per pass, not once each', async () => {
    const purge = { passGapMs: 200 }
    const [a, b] = await Promise.all([
      openPgRelational({ url: postgres.url, purge }),
      openPgRelational({ url: postgres.url, purge }),
    ])
    const vacuums = counting('VACUUM FULL')
    try {
      await Promise.all([a.purgeErased?.(), b.purgeErased?.()])
      // One purge of two passes; its tables one per statement.
      expect(vacuums.count()).toBe(2 * 4)
      // Asked again later (a new erasure): it runs again.
      await a.purgeErased?.()
      expect(vacuums.count()).toBe(4 * 4)
    } finally {
      vacuums.restore()
      await Promise.all([a.close(), b.close()])
    }
  })

  it('a connect while the purge waits for pv_members is answered; the purge completes after', async () => {
    const stores = await openPgRelational({
      url: postgres.url,
      purge: { passGapMs: 100, lockTimeoutMs: 300, retryMs: 300 },
    })
    await stores.workspaces.createWorkspace({ id: 'ws_purge', name: 'Purge' })
    // A long transaction that read pv_members: VACUUM FULL must wait for it.
    const reader = new pg.Client({ connectionString: postgres.url })
    await reader.connect()
    try {
      await reader.query('BEGIN')
      await reader.query('SELECT count(*) FROM pv_members')
      const purged = stores.purgeErased?.()
      const waiting = async () =>
        (
          await reader.query(
            `SELECT 1 FROM pg_locks WHERE relation = 'pv_members'::regclass
               AND mode = 'AccessExclusiveLock' AND NOT granted`,
          )
        ).rowCount === 1
      await waitFor('VACUUM FULL waiting for pv_members', waiting, { intervalMs: 5 })
      // A connect's member lookup: queued behind VACUUM FULL's request unless it gives way.
      expect(await stores.workspaces.getMemberRecord('mem_nobody')).toBeNull()
      await reader.query('COMMIT')
      await purged
    } finally {
      await reader.end()
      await stores.close()
    }
  })

  it('two nodes asked to purge at once have Redis rewrite its AOF once', async () => {
    const open = () =>
      RedisDocStore.open({ redisUrl: redis.url, postgresUrl: postgres.url, log: silentLogger })
    const [a, b] = await Promise.all([open(), open()])
    const admin = new Redis(redis.url)
    const rewrites = async () => {
      const info = await admin.info('persistence')
      return Number(/aof_rewrites:(\d+)/.exec(info)?.[1] ?? Number.NaN)
    }
    const idle = async () => /aof_rewrite_in_progress:0/.test(await admin.info('persistence'))
    try {
      await waitFor('no rewrite in progress', idle)
      const before = await rewrites()
      await Promise.all([a.purgeErased(), b.purgeErased()])
      await waitFor('the rewrite done', idle)
      expect((await rewrites()) - before).toBe(1)
    } finally {
      admin.disconnect()
      await Promise.all([a.close(), b.close()])
    }
  })
})
