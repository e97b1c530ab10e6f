import { readdirSync, readFileSync } from 'node:fs'
import Redis from 'ioredis'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createLogger } from '../../sync-server/log'
import { type PurgeTiming, RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'

/*
 * The Redis half of the erasure purge (storage/redis/doc-store.ts purgeRedisFiles): it asks Redis
 * for a fork (BGREWRITEAOF, BGSAVE), asks again while another fork is in progress, waits for its
 * own under a bound, and calls the wait void when Redis restarted meanwhile (run_id changed).
 * On a real redis-server per test. A fork is held open with Redis's `rdb-key-save-delay` (µs per
 * key, applied in the child, which inherits it when it forks): the test decides when it ends
 * (SIGUSR1 to the child, by pid: Redis's own signal to abort a fork without marking it failed).
 * The purge's waits and clock are replaced (PurgeTiming), so each step happens between two of
 * its polls, with no real waits. Runs once, on the relay-cluster project (it starts its own
 * servers; the backend switch does not apply).
 */
const cluster = process.env.PORTE_VOIX_TEST_RELAY_BACKEND === 'cluster'

/** Children of the redis-server process: the fork it is running, if any. */
function forks(redisPid: number): number[] {
  const pids: number[] = []
  for (const task of readdirSync(`/proc/${redisPid}/task`)) {
    const text = readFileSync(`/proc/${redisPid}/task/${task}/children`, 'utf8').trim()
    for (const pid of text.split(/\s+/).filter(Boolean)) pids.push(Number(pid))
  }
  return pids
}

const field = (info: string, name: string) => new RegExp(`${name}:(\\S+)`).exec(info)?.[1]

describe.skipIf(!cluster)('the Redis purge and its forks (relay-cluster project)', () => {
  let postgres: TestServer
  beforeAll(async () => {
    postgres = await startPostgres()
  })
  afterAll(async () => {
    await postgres?.stop()
  })

  /** A Redis of the test's own, a test connection to it, a store on it with `timing`. */
  async function setup(timing: PurgeTiming) {
    const redis = await startRedis()
    const admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: null })
    await admin.connect()
    const lines: string[] = []
    const store = await RedisDocStore.open({
      redisUrl: redis.url,
      postgresUrl: postgres.url,
      log: createLogger((line) => lines.push(line)),
      purgeTiming: timing,
    })
    // A key, so that a fork has one to be slowed on.
    await admin.set('k', 'v')
    const info = async () => String(await admin.info('persistence'))
    /** Start a fork with `ask` that lasts until the test ends it (endForks). */
    const holdFork = async (ask: () => Promise<unknown>, inProgress: string) => {
      await admin.config('SET', 'rdb-key-save-delay', '600000000')
      await ask()
      await waitFor('the fork', async () => field(await info(), inProgress) === '1')
      // Forks made from now on are not slowed.
      await admin.config('SET', 'rdb-key-save-delay', '0')
    }
    const endForks = async () => {
      for (const pid of forks(redis.pid)) process.kill(pid, 'SIGUSR1')
      await waitFor(
        'no fork',
        async () => /rdb_bgsave_in_progress:0/.test(await info()) && forks(redis.pid).length === 0,
      )
    }
    const cleanup = async () => {
      await store.close()
      admin.disconnect()
      await redis.stop()
    }
    return { redis, admin, store, lines, info, holdFork, endForks, cleanup }
  }

  /**
   * A purge whose first ask finds the fork `hold` started in progress: refused (logged as
   * `refused`), it waits, the held fork is ended, and it asks again once and completes. Its own
   * fork ran after the held one: `count` grew by one and `status` is ok.
   */
  async function purgeAfterHeldFork(
    hold: (t: Awaited<ReturnType<typeof setup>>) => Promise<void>,
    refused: RegExp,
    count: string,
    status: string,
  ) {
    const steps: string[] = []
    let onAsk: () => Promise<void> = async () => {}
    const t = await setup({
      wait: async (_ms, step) => {
        steps.push(step)
        if (step === 'ask') await onAsk()
      },
    })
    try {
      await hold(t)
      // Counted when a fork starts: a held AOF rewrite is in it already.
      const before = Number(field(await t.info(), count))
      // The purge was refused ("already in progress"): end the running fork, then let it ask again.
      onAsk = async () => {
        onAsk = async () => {}
        await t.endForks()
      }
      expect(await t.store.purgeRedisFiles()).toBe('complete')
      expect(steps.filter((s) => s === 'ask')).toHaveLength(1)
      expect(t.lines.some((l) => refused.test(l))).toBe(true)
      const after = await t.info()
      expect(Number(field(after, count))).toBe(before + 1)
      expect(field(after, status)).toBe('ok')
      expect(await t.admin.get('pv:purge:done')).not.toBeNull()
    } finally {
      await t.cleanup()
    }
  }

  it('a BGSAVE already running when the purge asks: asked again once it ended, then done', async () => {
    await purgeAfterHeldFork(
      async (t) => {
        // RDB saves only (the AOF rewrite comes first otherwise, and forks after the save).
        await t.admin.config('SET', 'appendonly', 'no')
        await t.admin.config('SET', 'save', '3600 1')
        await t.holdFork(() => t.admin.bgsave(), 'rdb_bgsave_in_progress')
      },
      /redis BGSAVE: another fork in progress/,
      'rdb_saves',
      'rdb_last_bgsave_status',
    )
  })

  it('an AOF rewrite already running when the purge asks (it may predate the trim): the purge waits and has its own', async () => {
    await purgeAfterHeldFork(
      (t) => t.holdFork(() => t.admin.bgrewriteaof(), 'aof_rewrite_in_progress'),
      /redis BGREWRITEAOF: another fork in progress/,
      'aof_rewrites',
      'aof_last_bgrewrite_status',
    )
  })

  it('a fork that stays in progress: the purge stops asking after 120 asks, unfinished', async () => {
    let asks = 0
    const t = await setup({
      wait: async (_ms, step) => {
        if (step !== 'ask') return
        // Without the bound the purge would ask for ever: fail instead of hanging.
        if (++asks > 1000) throw new Error('the purge kept asking')
      },
    })
    try {
      await t.admin.config('SET', 'appendonly', 'no')
      await t.admin.config('SET', 'save', '3600 1')
      await t.holdFork(() => t.admin.bgsave(), 'rdb_bgsave_in_progress')
      expect(await t.store.purgeRedisFiles()).toBe('unfinished')
      // 120 asks, each refused and waited after.
      expect(asks).toBe(120)
      expect(t.lines.some((l) => /stayed in progress for a minute/.test(l))).toBe(true)
      expect(await t.admin.get('pv:purge:done')).toBeNull()
      await t.endForks()
    } finally {
      await t.cleanup()
    }
  })

  it('Redis restarted while the purge waited for its rewrite: unfinished, then redone', async () => {
    let onPoll: () => Promise<void> = async () => {}
    const t = await setup({
      wait: async (_ms, step) => {
        if (step === 'poll') await onPoll()
      },
    })
    try {
      // The purge's BGREWRITEAOF forks with the delay set: it runs until Redis stops.
      await t.admin.config('SET', 'rdb-key-save-delay', '600000000')
      const rewritesBefore = Number(field(await t.info(), 'aof_rewrites'))
      onPoll = async () => {
        onPoll = async () => {}
        expect(field(await t.info(), 'aof_rewrite_in_progress')).toBe('1')
        const runId = field(String(await t.admin.info('server')), 'run_id')
        await t.redis.restart()
        // The new Redis (same data, new run_id) runs a rewrite of its own to the end: its
        // counters and status then say "a rewrite finished, ok" — but not the one the purge asked.
        await waitFor('the test connection back', async () => (await t.admin.ping()) === 'PONG')
        expect(field(String(await t.admin.info('server')), 'run_id')).not.toBe(runId)
        // (One it started by itself would do as well: "already in progress" is not an error here.)
        await t.admin.bgrewriteaof().catch(() => {})
        await waitFor('its rewrite', async () => {
          const now = await t.info()
          return (
            field(now, 'aof_rewrite_in_progress') === '0' &&
            field(now, 'aof_rewrite_scheduled') === '0' &&
            Number(field(now, 'aof_rewrites')) > rewritesBefore
          )
        })
        // The store's connection is back too (its next poll must reach the new Redis).
        await waitFor('the store reconnected', () =>
          t.store.countUpdates('probe').then(
            () => true,
            () => false,
          ),
        )
      }
      expect(await t.store.purgeRedisFiles()).toBe('unfinished')
      expect(t.lines.some((l) => /Redis restarted while its fork ran/.test(l))).toBe(true)
      expect(await t.admin.get('pv:purge:done')).toBeNull()
      // The next purge runs in full on this Redis, and records it.
      expect(await t.store.purgeRedisFiles()).toBe('complete')
      expect(await t.admin.get('pv:purge:done')).not.toBeNull()
    } finally {
      await t.cleanup()
    }
  })

  it('a rewrite that does not finish in 10 minutes (the purge clock): unfinished, lease freed', async () => {
    let now = 1_000_000
    let polls = 0
    const t = await setup({
      now: () => now,
      wait: async (_ms, step) => {
        if (step !== 'poll') return
        if (++polls > 1000) throw new Error('the purge kept waiting')
        // Each poll two minutes later on the purge's clock.
        now += 2 * 60_000
      },
    })
    try {
      await t.admin.config('SET', 'rdb-key-save-delay', '600000000')
      expect(await t.store.purgeRedisFiles()).toBe('unfinished')
      // Given up once more than 10 minutes passed: after the 6th wait (12 minutes; at 10 not yet).
      expect(polls).toBe(6)
      expect(t.lines.some((l) => /the fork did not finish in time/.test(l))).toBe(true)
      expect(field(await t.info(), 'aof_rewrite_in_progress')).toBe('1')
      expect(await t.admin.get('pv:purge:done')).toBeNull()
      // The lease is released: another purge may run (here, once the stuck rewrite is ended).
      expect(await t.admin.get('pv:purge:l')).toBeNull()
      await t.endForks()
    } finally {
      await t.cleanup()
    }
  })
})
