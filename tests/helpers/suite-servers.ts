import { afterAll, beforeAll } from 'vitest'
import { silentLogger } from '../../sync-server/log'
import { RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { startPostgres, startRedis, type TestServer } from './servers'

/**
 * A suite's own redis-server and PostgreSQL (not the run's shared ones: its tests stop, kill or
 * fill them), started before its tests and stopped after them. Read `redis` and `postgres` in
 * tests and hooks, once started. `openDocStore` opens a Redis + PostgreSQL DocStore on them.
 * `stopFirst` runs after the tests, before the servers stop (what runs on them: nodes, clients).
 */
export function suiteServers(o: { stopFirst?: () => Promise<void> } = {}): {
  readonly redis: TestServer
  readonly postgres: TestServer
  openDocStore(): Promise<RedisDocStore>
} {
  let redis: TestServer | undefined
  let postgres: TestServer | undefined
  beforeAll(async () => {
    ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  })
  afterAll(async () => {
    await o.stopFirst?.()
    await Promise.all([redis?.stop(), postgres?.stop()])
  })
  const started = (server: TestServer | undefined): TestServer => {
    if (!server) throw new Error('the suite has not started its servers')
    return server
  }
  return {
    get redis() {
      return started(redis)
    },
    get postgres() {
      return started(postgres)
    },
    openDocStore: () =>
      RedisDocStore.open({
        redisUrl: started(redis).url,
        postgresUrl: started(postgres).url,
        log: silentLogger,
      }),
  }
}
