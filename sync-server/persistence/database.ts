import { chmodSync, closeSync, existsSync, mkdirSync, openSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Database from 'better-sqlite3'
import { sqliteBoardSeqMigration } from '../board/board-seq-sql'
import type { SyncMode } from '../config'

export type Db = Database.Database

export const DB_FILE = 'relay.sqlite'

/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many ran.
 * Never edit a shipped migration: append a new one.
 */
const MIGRATIONS: string[] = [
  `CREATE TABLE updates (
     room TEXT NOT NULL,
     seq INTEGER NOT NULL,
     data BLOB NOT NULL,
     PRIMARY KEY (room, seq)
   ) WITHOUT ROWID;
   CREATE TABLE snapshots (
     room TEXT PRIMARY KEY,
     data BLOB NOT NULL,
     upto_seq INTEGER NOT NULL
   );
   CREATE TABLE workspaces (
     id TEXT PRIMARY KEY,
     name TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE TABLE members (
     id TEXT PRIMARY KEY,
     workspace_id TEXT NOT NULL REFERENCES workspaces(id),
     display_name TEXT NOT NULL,
     role TEXT NOT NULL,
     issued_at TEXT NOT NULL,
     expires_at TEXT NOT NULL
   );
   CREATE INDEX members_by_workspace ON members(workspace_id);`,
  // Shares reported by employees' cores (POST /api/v1/shares). The id is the opaque share id the
  // core generated: inserting it again is ignored, which makes re-sent reports harmless.
  `CREATE TABLE shares (
     id TEXT PRIMARY KEY,
     workspace_id TEXT NOT NULL REFERENCES workspaces(id),
     member_id TEXT NOT NULL,
     item_id TEXT NOT NULL,
     network TEXT NOT NULL,
     objective TEXT NOT NULL,
     campaign_id TEXT,
     shared_at TEXT NOT NULL,
     received_at TEXT NOT NULL
   );
   CREATE INDEX shares_by_item ON shares(workspace_id, item_id, network);`,
  // Share ids are scoped to their workspace and owned: `owner_verifier` is SHA-256 of the
  // reporting device's proof (HMAC of the id with a secret only that device holds), so a second
  // report of the id by anyone else is refused, and the relay no longer stores which member made
  // a share (issue 9: members stay anonymous unless they opt in). Rows from before stay unowned.
  `CREATE TABLE shares_owned (
     workspace_id TEXT NOT NULL REFERENCES workspaces(id),
     id TEXT NOT NULL,
     owner_verifier TEXT,
     item_id TEXT NOT NULL,
     network TEXT NOT NULL,
     objective TEXT NOT NULL,
     campaign_id TEXT,
     shared_at TEXT NOT NULL,
     received_at TEXT NOT NULL,
     PRIMARY KEY (workspace_id, id)
   ) WITHOUT ROWID;
   INSERT INTO shares_owned
     (workspace_id, id, owner_verifier, item_id, network, objective, campaign_id, shared_at, received_at)
     SELECT workspace_id, id, NULL, item_id, network, objective, campaign_id, shared_at, received_at
     FROM shares;
   DROP TABLE shares;
   ALTER TABLE shares_owned RENAME TO shares;
   CREATE INDEX shares_by_item ON shares(workspace_id, item_id, network);`,
  // Revocation and devices (issue 8.5, 7.3). `generation` is carried by every token as `gen`:
  // re-inviting a member bumps it, which refuses every token issued before. `removed_at` keeps a
  // removed member's row so a refusal can say "removed" rather than "unknown". Devices are keyed
  // by an opaque token-derived id, never by IP address.
  `ALTER TABLE members ADD COLUMN generation INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE members ADD COLUMN removed_at TEXT;
   CREATE TABLE member_devices (
     member_id TEXT NOT NULL,
     device TEXT NOT NULL,
     first_seen TEXT NOT NULL,
     last_seen TEXT NOT NULL,
     connections INTEGER NOT NULL DEFAULT 0,
     PRIMARY KEY (member_id, device)
   ) WITHOUT ROWID;`,
  // Tracked short links, clicks, leaderboard opt-ins and conversions (issue 9, sync-server/links/).
  // link_items is fed by a room hook so a click never loads a document; its rows are kept after
  // archive. clicks hold no IP and no member: `visitor` is an HMAC under a daily key kept only in
  // memory. share_members links a share to a member only while that member is opted in.
  `CREATE TABLE link_items (
     workspace_id TEXT NOT NULL,
     item_id TEXT NOT NULL,
     url TEXT NOT NULL,
     campaign_id TEXT,
     campaign_slug TEXT NOT NULL,
     objective TEXT NOT NULL,
     source_kind TEXT NOT NULL,
     PRIMARY KEY (workspace_id, item_id)
   ) WITHOUT ROWID;
   CREATE TABLE clicks (
     workspace_id TEXT NOT NULL,
     share_id TEXT NOT NULL,
     item_id TEXT NOT NULL,
     network TEXT NOT NULL,
     at TEXT NOT NULL,
     visitor TEXT,
     is_unique INTEGER NOT NULL
   );
   CREATE INDEX clicks_by_share ON clicks(workspace_id, share_id, visitor);
   CREATE TABLE leaderboard (
     workspace_id TEXT NOT NULL,
     member_id TEXT NOT NULL,
     opted_at TEXT NOT NULL,
     PRIMARY KEY (workspace_id, member_id)
   ) WITHOUT ROWID;
   CREATE TABLE share_members (
     workspace_id TEXT NOT NULL,
     share_id TEXT NOT NULL,
     member_id TEXT NOT NULL,
     PRIMARY KEY (workspace_id, share_id)
   ) WITHOUT ROWID;
   CREATE INDEX share_members_by_member ON share_members(workspace_id, member_id);
   CREATE TABLE conversion_keys (
     key_hash TEXT PRIMARY KEY,
     workspace_id TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     created_at TEXT NOT NULL
   ) WITHOUT ROWID;
   CREATE TABLE conversions (
     workspace_id TEXT NOT NULL,
     idempotency_id TEXT NOT NULL,
     campaign_id TEXT NOT NULL,
     share_id TEXT,
     kind TEXT NOT NULL,
     value REAL,
     at TEXT NOT NULL,
     PRIMARY KEY (workspace_id, idempotency_id)
   ) WITHOUT ROWID;
   CREATE INDEX conversions_by_share ON conversions(workspace_id, share_id);`,
  // Incremental board counters (board/counters.ts): every row added to the board's inputs takes
  // the workspace's next board_seq, so the board reads only rows past what it has counted; any
  // other change to them (a deletion, an erasure, a link_items fact) moves the generation, and
  // the board is then rebuilt from the tables. Triggers, so no writer (the relay, the admin tool)
  // can forget it. A visitor hash cleared (clicks.visitor) changes nothing the board shows.
  sqliteBoardSeqMigration(),
]

export type OpenOptions = {
  synchronous?: SyncMode
  readonly?: boolean
  /** Refuse to create a database: admin commands must not start an empty relay in a typo'd dir. */
  mustExist?: boolean
}

export class MissingDatabaseError extends Error {
  constructor(dataDir: string) {
    super(
      `No relay database in ${resolve(dataDir)} (expected ${DB_FILE}); check --data-dir or PORTE_VOIX_RELAY_DATA`,
    )
    this.name = 'MissingDatabaseError'
  }
}

/**
 * SQLite refused the data dir's database at start (not a SQLite file, corrupt, unreadable, disk
 * full during a migration): an operator's matter, said in one line (sync-server/main.ts).
 */
export class DatabaseOpenError extends Error {
  constructor(file: string, cause: Error & { code?: unknown }) {
    const code = typeof cause.code === 'string' ? ` (${cause.code})` : ''
    super(
      `cannot open the relay database ${resolve(file)}: ${cause.message}${code}; restore it from a backup or move it away`,
    )
    this.name = 'DatabaseOpenError'
  }
}

/**
 * The data directory holds the signing secret and every member's content: owner only (8.11).
 * SQLite creates the -wal and -shm files with the database file's mode, so 0600 there suffices.
 */
export function ensurePrivateDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 })
  chmodSync(dataDir, 0o700)
}

function ensurePrivateFile(file: string): void {
  closeSync(openSync(file, 'a', 0o600))
  chmodSync(file, 0o600)
}

/**
 * Open (and migrate) the relay's SQLite file. Used by the relay and by the admin tool, which may
 * run at the same time: WAL lets one writer and many readers share the file, and busy_timeout
 * makes the rare concurrent write wait instead of failing.
 */
export function openDatabase(dataDir: string, options: OpenOptions = {}): Db {
  const file = join(dataDir, DB_FILE)
  if ((options.mustExist || options.readonly) && !existsSync(file)) {
    throw new MissingDatabaseError(dataDir)
  }
  ensurePrivateDir(dataDir)
  if (!options.readonly) ensurePrivateFile(file)
  let db: Db
  try {
    db = new Database(file, { readonly: options.readonly ?? false, fileMustExist: true })
  } catch (error) {
    throw error instanceof Database.SqliteError ? new DatabaseOpenError(file, error) : error
  }
  try {
    return configure(db, options)
  } catch (error) {
    // Closed, so a start that fails here holds no handle on the file (the caller drops the lock).
    db.close()
    throw error instanceof Database.SqliteError ? new DatabaseOpenError(file, error) : error
  }
}

function configure(db: Db, options: OpenOptions): Db {
  db.pragma('busy_timeout = 5000')
  if (options.readonly) return db
  db.pragma('journal_mode = WAL')
  // WAL + NORMAL: a commit is in the WAL file (OS page cache) when better-sqlite3 returns, so it
  // survives the process being killed (SIGKILL, crash) — what "append before broadcast" needs.
  // Only a power loss / kernel panic can drop the last commits, and then the clients that received
  // them still hold them and hand them back in sync step 2 on reconnect. FULL fsyncs every commit
  // for those who also want power-loss durability at the cost of throughput (`--synchronous full`).
  db.pragma(`synchronous = ${(options.synchronous ?? 'normal').toUpperCase()}`)
  db.pragma('foreign_keys = ON')
  // Deleted rows are zeroed, not left in free pages: content moved out of a document (a
  // rewritten history) must be gone from the file, not merely unreachable.
  db.pragma('secure_delete = ON')
  migrate(db)
  return db
}

function migrate(db: Db): void {
  // IMMEDIATE takes the write lock first, so a relay and an admin command starting together on a
  // fresh data dir cannot both run migration 1.
  db.transaction(() => {
    const version = db.pragma('user_version', { simple: true }) as number
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.exec(MIGRATIONS[i] as string)
    }
    if (version < MIGRATIONS.length) db.pragma(`user_version = ${MIGRATIONS.length}`)
  }).immediate()
}
