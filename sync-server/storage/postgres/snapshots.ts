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
 * released if the node dies), skipped when another node's purge of the same tables STARTED after
 * this one was asked for (it covers this request); one table per statement with a lock_timeout,
 * so a VACUUM FULL that cannot have its lock at once gives way to connects and tries again.
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
    // The request's time on the server's clock (the erasure committed before it).
    const { rows: asked } = await client.query<{ t: Date }>('SELECT clock_timestamp() AS t')
    const askedAt = asked[0]?.t
    for (;;) {
      const { rows } = await client.query<{ ok: boolean }>(
        'SELECT pg_try_advisory_lock($1) AS ok',
        [PURGE_LOCK],
      )
      if (rows[0]?.ok) break
      await sleep(250)
    }
    try {
      await client.query(
        'CREATE TABLE IF NOT EXISTS pv_purges (tables text PRIMARY KEY, started_at timestamptz NOT NULL)',
      )
      const { rows: done } = await client.query<{ covered: boolean }>(
        'SELECT started_at > $2 AS covered FROM pv_purges WHERE tables = $1',
        [key, askedAt],
      )
      if (done[0]?.covered) {
        log.info('postgres purge skipped: another node purged since', { tables: key })
        return false
      }
      await client.query(
        `INSERT INTO pv_purges (tables, started_at) VALUES ($1, clock_timestamp())
         ON CONFLICT (tables) DO UPDATE SET started_at = excluded.started_at`,
        [key],
      )
      await client.query(`SET lock_timeout = ${Math.max(1, Math.round(o.lockTimeoutMs ?? 1_000))}`)
      const pass = async () => {
        for (const table of tables) await vacuumOne(client, table, log, o)
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
      return true
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [PURGE_LOCK]).catch(() => {})
    }
  } finally {
    await client.end().catch(() => {})
  }
}

/** VACUUM FULL one table, giving way (lock_timeout, SQLSTATE 55P03) and trying again. */
async function vacuumOne(client: pg.Client, table: string, log: Logger, o: PurgeOptions) {
  const attempts = o.attempts ?? 30
  for (let attempt = 1; ; attempt++) {
    try {
      await client.query(`VACUUM FULL ${table}`)
      return
    } catch (error) {
      if ((error as { code?: string }).code !== '55P03') throw error
      if (attempt >= attempts) {
        log.warn('postgres purge gave up on a table: its lock stayed taken', { table, attempts })
        return
      }
      await sleep(o.retryMs ?? 2_000)
    }
  }
}
