import Redis from 'ioredis'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'

describe('test servers', () => {
  const started: TestServer[] = []
  afterAll(async () => {
    await Promise.all(started.map((s) => s.stop()))
  })

  it('starts redis-server and PostgreSQL, keeps their data over a restart, and stops them', async () => {
    const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
    started.push(redis, postgres)
    const r = new Redis(redis.url)
    await r.set('k', 'v')
    r.disconnect()
    const client = new pg.Client({ connectionString: postgres.url })
    await client.connect()
    await client.query('CREATE TABLE t (v text)')
    await client.query("INSERT INTO t VALUES ('kept')")
    await client.end()

    await Promise.all([redis.restart({ kill: true }), postgres.restart()])
    const r2 = new Redis(redis.url)
    expect(await r2.get('k')).toBe('v')
    r2.disconnect()
    const client2 = new pg.Client({ connectionString: postgres.url })
    await client2.connect()
    expect((await client2.query('SELECT v FROM t')).rows).toEqual([{ v: 'kept' }])
    await client2.end()

    const pids = [redis.pid, postgres.pid]
    await Promise.all([redis.stop(), postgres.stop()])
    started.length = 0
    for (const pid of pids) expect(() => process.kill(pid, 0)).toThrow()
  })
})
