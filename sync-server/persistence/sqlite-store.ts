import { readFileSync, unwatchFile, watchFile } from 'node:fs'
import type { Db } from './database'

/**
 * Test hook for disk-full faults: when this environment variable names a file, its content (a
 * page count, or nothing) is applied as SQLite's `max_page_count` each time the file changes, so
 * a test can make the relay's disk "fill up" mid-stream and "free space" again. Unset in
 * production; SQLite then behaves exactly as without it.
 */
export const PAGE_LIMIT_FILE_ENV = 'PORTE_VOIX_RELAY_TEST_PAGE_LIMIT_FILE'
/** SQLite's own default ceiling, restored when the file is emptied. */
const NO_PAGE_LIMIT = 4_294_967_294

function watchPageLimit(db: Db, file: string): () => void {
  const apply = () => {
    // Closed (a test's store in process): the hook goes with it.
    if (!db.open) {
      unwatchFile(file, apply)
      return
    }
    let text = ''
    try {
      text = readFileSync(file, 'utf8').trim()
    } catch {
      // No file: no limit.
    }
    const wanted = text === '' ? NO_PAGE_LIMIT : Math.max(1, Number(text) || 1)
    // SQLite never sets it below the current size: "1" means "full at the current size".
    const set = db.pragma(`max_page_count = ${wanted}`, { simple: true })
    const pages = db.pragma('page_count', { simple: true })
    process.stderr.write(`test hook: max_page_count=${String(set)} page_count=${String(pages)}\n`)
  }
  apply()
  watchFile(file, { interval: 50 }, apply).unref()
  return () => unwatchFile(file, apply)
}

export type StoredRoom = {
  snapshot: Uint8Array | null
  /** Seq of the last update folded into the snapshot (0 when none). */
  snapshotSeq: number
  updates: Uint8Array[]
  /** Highest seq stored for the room (snapshot or update); the next append uses lastSeq + 1. */
  lastSeq: number
}

type UpdateRow = { seq: number; data: Buffer }
type SnapshotRow = { data: Buffer; upto_seq: number }

function bytes(buffer: Buffer): Uint8Array {
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/**
 * Append-only Yjs update log plus one snapshot per room. Every method is one SQLite transaction,
 * so a crash leaves either all or none of it.
 */
export class SqliteStore {
  readonly #db: Db
  readonly #insertUpdate
  readonly #selectUpdates
  readonly #selectSnapshot
  readonly #upsertSnapshot
  readonly #deleteUpdatesUpTo
  readonly #countUpdates
  readonly #maxSeq
  readonly #selectUpdatesUpTo

  /**
   * The disk-full test hook's file (PAGE_LIMIT_FILE_ENV): while it is not empty the update
   * journal's write() fails as on a full disk too (ENOSPC), or the journal would acknowledge
   * edits until the next fold.
   */
  readonly #pageLimitFile: string | null

  constructor(db: Db) {
    this.#db = db
    const pageLimitFile = process.env[PAGE_LIMIT_FILE_ENV]
    this.#pageLimitFile = pageLimitFile || null
    if (pageLimitFile) watchPageLimit(db, pageLimitFile)
    this.#insertUpdate = db.prepare('INSERT INTO updates (room, seq, data) VALUES (?, ?, ?)')
    this.#selectUpdates = db.prepare<[string, number], UpdateRow>(
      'SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq',
    )
    this.#selectSnapshot = db.prepare<[string], SnapshotRow>(
      'SELECT data, upto_seq FROM snapshots WHERE room = ?',
    )
    this.#upsertSnapshot = db.prepare(
      `INSERT INTO snapshots (room, data, upto_seq) VALUES (?, ?, ?)
       ON CONFLICT (room) DO UPDATE SET data = excluded.data, upto_seq = excluded.upto_seq`,
    )
    this.#deleteUpdatesUpTo = db.prepare('DELETE FROM updates WHERE room = ? AND seq <= ?')
    this.#countUpdates = db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM updates WHERE room = ?',
    )
    this.#maxSeq = db.prepare<[string], { m: number | null }>(
      'SELECT max(seq) AS m FROM updates WHERE room = ?',
    )
    this.#selectUpdatesUpTo = db.prepare<[string, number, number], UpdateRow>(
      'SELECT seq, data FROM updates WHERE room = ? AND seq > ? AND seq <= ? ORDER BY seq',
    )
  }

  /** Whether the disk-full test hook is on (never outside tests: PAGE_LIMIT_FILE_ENV). */
  get diskFullForTests(): boolean {
    if (this.#pageLimitFile === null) return false
    // Read at each call, not from the file watcher: a change made before the watcher's first
    // look would never be seen.
    try {
      return readFileSync(this.#pageLimitFile, 'utf8').trim() !== ''
    } catch {
      return false
    }
  }

  /** The database, for callers that group several calls in one transaction. */
  get db(): Db {
    return this.#db
  }

  /** Highest seq stored for the room (snapshot or update), 0 when none. */
  lastSeq(room: string): number {
    const snapshotSeq = this.#selectSnapshot.get(room)?.upto_seq ?? 0
    return Math.max(snapshotSeq, this.#maxSeq.get(room)?.m ?? 0)
  }

  /** The snapshot and the stored updates after it up to `uptoSeq` (what a compaction folds). */
  loadUpTo(room: string, uptoSeq: number): StoredRoom {
    return this.#db.transaction(() => {
      const snapshot = this.#selectSnapshot.get(room)
      const snapshotSeq = snapshot?.upto_seq ?? 0
      const rows = this.#selectUpdatesUpTo.all(room, snapshotSeq, uptoSeq)
      return {
        snapshot: snapshot ? bytes(snapshot.data) : null,
        snapshotSeq,
        updates: rows.map((row) => bytes(row.data)),
        lastSeq: rows.at(-1)?.seq ?? snapshotSeq,
      }
    })()
  }

  load(room: string): StoredRoom {
    return this.#db.transaction(() => {
      const snapshot = this.#selectSnapshot.get(room)
      const snapshotSeq = snapshot?.upto_seq ?? 0
      const rows = this.#selectUpdates.all(room, snapshotSeq)
      const last = rows.at(-1)?.seq ?? snapshotSeq
      return {
        snapshot: snapshot ? bytes(snapshot.data) : null,
        snapshotSeq,
        updates: rows.map((row) => bytes(row.data)),
        lastSeq: Math.max(last, this.#maxSeq.get(room)?.m ?? 0),
      }
    })()
  }

  /**
   * Append updates with consecutive seqs starting at `firstSeq`, committed before returning
   * (or with the caller's transaction, when one is open: group commit).
   */
  append(room: string, firstSeq: number, updates: readonly Uint8Array[]): void {
    const insert = () => {
      for (let i = 0; i < updates.length; i++)
        this.#insertUpdate.run(room, firstSeq + i, updates[i] as Uint8Array)
    }
    if (this.#db.inTransaction) insert()
    else this.#db.transaction(insert)()
  }

  /**
   * Replace snapshot + updates up to `uptoSeq` by `snapshot` (which must contain all of them),
   * in one transaction: a crash in the middle leaves the old snapshot and log intact.
   */
  compact(room: string, snapshot: Uint8Array, uptoSeq: number): number {
    return this.#db.transaction(() => {
      this.#upsertSnapshot.run(room, snapshot, uptoSeq)
      return this.#deleteUpdatesUpTo.run(room, uptoSeq).changes
    })()
  }

  countUpdates(room: string): number {
    return this.#countUpdates.get(room)?.n ?? 0
  }
}
