import pg from 'pg'
import type { Logger } from '../../log'

/** A room's durable snapshot: every update with seq ≤ `upto` is folded into it. */
export type Snapshot = { snapshot: Uint8Array; upto: number }

const SCHEMA = `
CREATE TABLE IF NOT EXISTS porte_voix_snapshots (
  room text PRIMARY KEY,
  snapshot bytea NOT NULL,
  upto bigint NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`

/** Any number that identifies "creating Porte-voix's schema" among advisory locks. */
const SCHEMA_LOCK = 4_455_011

/**
 * The PostgreSQL half of the multi-node backend: one row per room holding its latest snapshot
 * and the stream seq it covers. Written only by compaction (under the room's lease); a write
 * never moves a room's snapshot backwards.
 */
export class PgSnapshots {
  readonly #pool: pg.Pool

  readonly #url: string

  constructor(url: string, log: Logger) {
    this.#url = url
    this.#pool = new pg.Pool({
      connectionString: url,
      max: 4,
      connectionTimeoutMillis: 5_000,
      // A query that hangs (server stopped mid-answer) must fail, not hold a room's queue.
      query_timeout: 10_000,
    })
    // An idle client's connection dropping (server restart) is reported here; without a
    // listener it would crash the relay. The next query opens a new connection.
    this.#pool.on('error', (error) =>
      log.warn('postgres connection lost', { error: error.message }),
    )
  }

  /** Create the table if needed; fails if PostgreSQL cannot be reached. */
  async open(): Promise<void> {
    const client = await this.#pool.connect()
    try {
      await client.query('BEGIN')
      // Nodes starting together would race on CREATE TABLE IF NOT EXISTS's catalog rows.
      await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK])
      await client.query(SCHEMA)
      await client.query('COMMIT')
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async get(room: string): Promise<Snapshot | null> {
    const { rows } = await this.#pool.query<{ snapshot: Buffer; upto: string }>(
      'SELECT snapshot, upto FROM porte_voix_snapshots WHERE room = $1',
      [room],
    )
    const row = rows[0]
    if (!row) return null
    return { snapshot: new Uint8Array(row.snapshot), upto: Number(row.upto) }
  }

  /** Store `snapshot` unless the room already has one covering as much; true if written. */
  async put(room: string, snapshot: Uint8Array, upto: number): Promise<boolean> {
    const result = await this.#pool.query(
      `INSERT INTO porte_voix_snapshots (room, snapshot, upto) VALUES ($1, $2, $3)
       ON CONFLICT (room) DO UPDATE SET snapshot = excluded.snapshot, upto = excluded.upto,
         updated_at = now()
       WHERE porte_voix_snapshots.upto < excluded.upto`,
      [room, Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength), upto],
    )
    return (result.rowCount ?? 0) > 0
  }

  /** Erasure: old snapshot versions (dead tuples) leave the table's files (see vacuumTables). */
  async purgeErased(log: Logger): Promise<void> {
    await vacuumTables(this.#url, ['porte_voix_snapshots'], log)
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}

/** The advisory lock a purge holds on its own session: one node purges at a time. */
const PURGE_LOCK = 4_455_012

export type PurgeOptions = {
  /**
   * How long VACUUM FULL may wait for a table's lock before giving way (default 1 s): while it
   * waits, every later read of that table queues behind its exclusive request, a connect's
   * member lookup included; it tries again `retryMs` later.
   */
  lockTimeoutMs?: number
  retryMs?: number
  /** Tries per table before the purge gives up on it (logged; the next erasure's purge covers it). */
  attempts?: number
  /** Between the two passes (a transaction open during the first keeps the rows it sees). */
  passGapMs?: number
  /** The purge's own session's statement timeout (default 10 min; the pools' 10 s would cut it). */
  statementTimeoutMs?: number
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms).unref())

/**
 * Erasure on PostgreSQL (issue 11 follow-up): a deleted or updated row stays in the table's files
 * as a dead tuple, and plain VACUUM does not wipe it: it frees the space, and a freed tuple at the
 * edge of a page's free space keeps its bytes there until reused (tests/cluster/erasure-bytes
 * found an erased member's name so). So after a member is erased: VACUUM FULL the tables touched
 * (each rewritten into a new file, the old one unlinked), then CHECKPOINT when allowed
 * (superuser or pg_checkpoint), else the server's next checkpoint writes the new files. A
 * transaction open meanwhile keeps the rows it can still see: run twice, a few seconds apart.
 * The WAL (pg_wal, and any WAL archive or backup) still holds the rows as written until its
 * segments are overwritten after later checkpoints: that retention is the operator's
 * (docs/privacy.md).
 *
 * Every node hears of an erasure (LISTEN) and asks for a purge; VACUUM FULL holds an exclusive
 * lock on the table it rewrites, which stalls connects (they read pv_members). So (review
 * findings, tests/cluster/erasure-purge): on its own session (not a pool: their 10 s
 * query_timeout would cut a long rewrite), under a session advisory lock (one node at a time;
 * released if the node dies); one table per statement with a lock_timeout, so a VACUUM FULL that
 * cannot have its lock at once gives way to connects and tries again.
 *
 * Which requests a purge covers is explicit (session 7 review findings): each request takes the
 * next number of a counter per set of tables (pv_purge_runs.asked, after its erasure committed);
 * a purge that has the lock reads the counter before its first VACUUM, so it covers every request
 * up to that number, and records it (done) only once both passes have completed. A request
 * already covered by a completed purge is skipped; one made after a purge read the counter, or
 * whose covering purge died or failed midway (nothing recorded), runs: nothing relies on when the
 * nodes' requests arrive relative to each other, nor on a purge that was merely started.
 * Resolves with whether this node ran it.
 */
export async function vacuumTables(
  url: string,
  tables: readonly string[],
  log: Logger,
  o: PurgeOptions = {},
): Promise<boolean> {
  const key = [...tables].sort().join(',')
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: 5_000,
    statement_timeout: o.statementTimeoutMs ?? 600_000,
  })
  client.on('error', (error) =>
    log.warn('postgres purge connection lost', { error: error.message }),
  )
  await client.connect()
  try {
    const ticket = await askPurge(client, key)
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS ok',
        [PURGE_LOCK],
      )
      if (rows[0]?.ok) break
      await sleep(250)
    }
    try {
      const { rows: marks } = await client.query<{ asked: string; done: string }>(
        'SELECT asked, done FROM pv_purge_runs WHERE tables = $1',
        [key],
      )
      const covers = Number(marks[0]?.asked ?? ticket)
      if (Number(marks[0]?.done ?? 0) >= ticket) {
        log.info('postgres purge skipped: another node purged since', { tables: key })
        return false
      }
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs ?? 1_000))}`)
      let complete = true
      const pass = async () => {
        for (const table of tables) complete = (await vacuumOne(client, table, log, o)) && complete
        try {
          await client.query('CHECKPOINT')
        } catch (error) {
          log.warn(
            'postgres CHECKPOINT refused: erased rows leave the files at the next checkpoint',
            {
              error: (error as Error).message,
            },
          )
        }
      }
      await pass()
      await sleep(o.passGapMs ?? 3_000)
      await pass()
      // A table given up on leaves its requests open: the next purge (a waiting node's, the
      // next erasure's, the next start's) runs them again.
      if (complete)
        await client.query('UPDATE pv_purge_runs SET done = GREATEST(done, $2) WHERE tables = $1', [
          key,
          covers,
        ])
      return true
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PURGE_LOCK]).catch(() => {})
    }
  } finally {
    await client.end().catch(() => {})
  }
}

/** The advisory lock (transaction-level) under which requests create the table and count. */
const PURGE_ASK_LOCK = PURGE_LOCK + 1

/** A purge request's number: every request so far for these tables, this one included. */
async function askPurge(client: pg.Client, key: string): Promise<number> {
  await client.query('BEGIN')
  try {
    // Two nodes creating the table at once would collide in the catalogue: one at a time.
    await client.query('SELECT pg_advisory_xact_lock($1)', [PURGE_ASK_LOCK])
    await client.query(
      `CREATE TABLE IF NOT EXISTS pv_purge_runs (
         tables text PRIMARY KEY, asked bigint NOT NULL, done bigint NOT NULL DEFAULT 0)`,
    )
    const { rows } = await client.query<{ asked: string }>(
      `INSERT INTO pv_purge_runs (tables, asked) VALUES ($1, 1)
       ON CONFLICT (tables) DO UPDATE SET asked = pv_purge_runs.asked + 1 RETURNING asked`,
      [key],
    )
    await client.query('COMMIT')
    return Number(rows[0]?.asked)
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  }
}

/**
 * VACUUM FULL one table, giving way (lock_timeout, SQLSTATE 55P03) and trying again; false when
 * it gave up (the purge is then not recorded as done).
 */
async function vacuumOne(
  client: pg.Client,
  table: string,
  log: Logger,
  o: PurgeOptions,
): Promise<boolean> {
  const attempts = o.attempts ?? 30
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`VACUUM FULL ${table}`)
      return true
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error
      if (attempt >= attempts) {
        log.warn('postgres purge gave up on a table: its lock stayed taken', { table, attempts })
        return false
      }
      await sleep(o.retryMs ?? 2_000)
    }
  }
}
