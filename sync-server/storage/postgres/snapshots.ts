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

  constructor(url: string, log: Logger) {
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
  purgeErased(log: Logger): Promise<void> {
    return vacuumTables(this.#pool, ['porte_voix_snapshots'], log)
  }

  async close(): Promise<void> {
    await this.#pool.end()
  }
}

/**
 * Erasure on PostgreSQL (issue 11 follow-up): a deleted or updated row stays in the table's files
 * as a dead tuple, and plain VACUUM does not wipe it: it frees the space, and a freed tuple at the
 * edge of a page's free space keeps its bytes there until reused (tests/cluster/erasure-bytes
 * found an erased member's name so). So after a member is erased: VACUUM FULL the tables touched
 * (each rewritten into a new file, the old one unlinked; an exclusive lock on that table for the
 * rewrite: members and links are small, the snapshots table holds one row per room), then
 * CHECKPOINT when allowed (superuser or pg_checkpoint), else the server's next checkpoint
 * writes the new files. A transaction open meanwhile keeps the rows it can still see: run twice,
 * the second time a few seconds later. The WAL (pg_wal, and any WAL archive or backup) still
 * holds the rows as written until its segments are overwritten after later checkpoints: that
 * retention is the operator's (docs/privacy.md).
 */
export async function vacuumTables(
  pool: pg.Pool,
  tables: readonly string[],
  log: Logger,
): Promise<void> {
  const pass = async () => {
    await pool.query(`VACUUM FULL ${tables.join(', ')}`)
    try {
      await pool.query('CHECKPOINT')
    } catch (error) {
      log.warn('postgres CHECKPOINT refused: erased rows leave the files at the next checkpoint', {
        error: (error as Error).message,
      })
    }
  }
  await pass()
  await new Promise((r) => setTimeout(r, 3_000).unref())
  await pass()
}
