import { execFileSync } from 'node:child_process'
import { Redis } from 'ioredis'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'
import { type Cluster, startCluster } from './support'

/**
 * Erasure on Redis + PostgreSQL (issue 11 follow-up), as tests/relay/privacy-bytes does on the
 * SQLite file: after a member deletes themselves (DELETE /api/v1/members/me) their name must
 * not survive in the FILES of a real Redis (its AOF: rewritten after the directory's compaction)
 * nor in PostgreSQL's table files (dead tuples: VACUUM + CHECKPOINT). PostgreSQL's WAL is left
 * out, on purpose: it holds every row as written until its segments are overwritten (the
 * purge's comment in storage/postgres/snapshots.ts and docs/scaling.md say so).
 */
const NAME = 'Ernestine Vaulquiezprivate'
const RACED = '(a file changed during the scan)'

let redis: TestServer
let postgres: TestServer
let cluster: Cluster | undefined
let watcher: RawClient | undefined

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  cluster = await startCluster(1, redis, postgres)
})
afterAll(async () => {
  await watcher?.close()
  await cluster?.stop()
  await Promise.all([redis?.stop(), postgres?.stop()])
})

async function sql<T>(text: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgres.url })
  await client.connect()
  try {
    return (await client.query(text)).rows as T[]
  } finally {
    await client.end()
  }
}

/** filesWith, scanned again while a file changed under it. */
async function settled(scan: () => string[]): Promise<string[]> {
  for (;;) {
    const found = scan()
    if (!found.includes(RACED)) return found
    await new Promise((r) => setTimeout(r, 100))
  }
}

/** Files under `dir` (but `except` subfolders) whose bytes contain `text`. */
function filesWith(dir: string, text: string, except: readonly string[] = []): string[] {
  try {
    return execFileSync('grep', [
      '-rlFs',
      '--binary-files=text',
      ...except.map((e) => `--exclude-dir=${e}`),
      text,
      dir,
    ])
      .toString()
      .trim()
      .split('\n')
      .filter(Boolean)
  } catch (error) {
    // grep exits 1 when nothing matched; 2 when a file went during the scan (VACUUM FULL
    // replaces files): what it found is not the whole answer, say so (callers retry).
    const status = (error as { status?: number }).status
    if (status === 1) return []
    if (status === 2) return [RACED]
    throw error
  }
}

describe('an erased member leaves the files of Redis and PostgreSQL', () => {
  it('their name is in the AOF and table files while they are a member, and in neither once erased', async () => {
    const node = cluster?.nodes[0]
    if (!node) throw new Error('node')
    const client = new Redis(redis.url)
    const redisDir = ((await client.config('GET', 'dir')) as string[])[1] as string
    client.disconnect()
    const [{ data_directory: pgDir }] = (await sql<{ data_directory: string }>(
      'SHOW data_directory',
    )) as [{ data_directory: string }]
    const ws = await node.createWorkspace('Acme')
    const chloe = await node.issueToken({ workspaceId: ws, name: 'Chloe', role: 'champion' })
    watcher = await RawClient.connect(roomUrl(node.url, ws, 'directory', chloe.token))
    await watcher.sync()
    const member = await node.issueToken({ workspaceId: ws, name: NAME, role: 'employee' })
    const live = await RawClient.connect(roomUrl(node.url, ws, 'queue', member.token))
    await live.sync()
    await waitFor('the member in the directory', () =>
      watcher?.doc.getMap('members').has(member.memberId),
    )
    // Positive controls: the name is where the search looks (PostgreSQL's pages after a
    // checkpoint; Redis's AOF at once, appendfsync always).
    await sql('CHECKPOINT')
    expect(await settled(() => filesWith(pgDir, NAME, ['pg_wal']))).toEqual([
      expect.stringMatching(/\/base\//),
    ])
    await waitFor(
      'the directory entry in the AOF',
      async () => (await settled(() => filesWith(redisDir, NAME))).length > 0,
    )

    const response = await fetch(`${node.httpUrl}/api/v1/members/me`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${member.token}` },
    })
    expect(response.status).toBe(200)
    await waitFor(
      'the member out of the directory',
      () => !watcher?.doc.getMap('members').has(member.memberId),
    )
    const left = () => [...filesWith(redisDir, NAME), ...filesWith(pgDir, NAME, ['pg_wal'])]
    await waitFor('the purge', () => node.logs().includes('erased members purged from storage'))
    await waitFor('the name gone from the files of Redis and PostgreSQL', async () =>
      (await settled(left)).length === 0 ? true : null,
    ).catch(() => {})
    expect(await settled(left)).toEqual([])
    await live.close()
  })
})
