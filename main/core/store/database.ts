import { createRequire } from 'node:module'
import path from 'node:path'
import type BetterSqlite3 from 'better-sqlite3'
import { MIGRATIONS, type Migration } from './migrations'

export type Db = BetterSqlite3.Database

/**
 * Through require(), as ws in the host's server: imported as an ES module, Node's loader first
 * scans the CommonJS package's sources for their exports, on the first screen's path (start.ts).
 */
const Database = createRequire(import.meta.url)('better-sqlite3') as typeof BetterSqlite3
/** node:fs too: its ES-module facade reads every export, loading the promises API at the start. */
const { mkdirSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs')

/** The core's single SQLite file inside its data directory. */
export const DATABASE_FILE = 'porte-voix.sqlite'

export function databasePath(dataDir: string): string {
  return path.join(dataDir, DATABASE_FILE)
}

export type OpenDatabaseOptions = {
  /** A file path, or ':memory:' for tests. */
  file: string
  migrations?: readonly Migration[]
}

/**
 * Open (creating if needed) the database in WAL mode. `synchronous = NORMAL` with WAL survives a
 * killed process without losing a committed transaction (the WAL lives in the OS cache); only a
 * power cut can drop the very last commits, and everything synced is also held by the relay.
 */
export function openDatabase({ file, migrations = MIGRATIONS }: OpenDatabaseOptions): Db {
  if (file !== ':memory:') mkdirSync(path.dirname(file), { recursive: true })
  // Inside Electron the native module must be built for Electron's ABI; a checkout keeps that
  // build apart from node_modules (scripts/electron-native.mjs) and names it here (the benches'
  // other Node too: tests/bench/node-runtime.ts sets it for the cores on that Node only).
  const nativeBinding = process.env.PORTE_VOIX_SQLITE_BINDING
  const db = new Database(file, nativeBinding ? { nativeBinding } : {})
  try {
    db.pragma('journal_mode = WAL')
    db.pragma('synchronous = NORMAL')
    db.pragma('foreign_keys = ON')
    // Deleted rows are zeroed, not left in free pages: content moved out of a document (a
    // rewritten history) must be gone from the file, not merely unreachable.
    db.pragma('secure_delete = ON')
    // Other readers (a test opening the file read-only, a backup) must not make writes fail.
    db.pragma('busy_timeout = 5000')
    // A page cache of 256 KiB instead of SQLite's 2 MiB: the file (4 MiB with a 1,000-item queue)
    // is read through the OS's page cache anyway, so a miss costs a read() and no measurable CPU
    // (the items, snapshots and updates read 50 times: the same CPU at either size), while the
    // 2 MiB a full cache holds stayed in the idle core's malloc heap (BENCHMARKS.md, core memory).
    // An in-memory database lives in its cache: left as it is.
    if (file !== ':memory:') db.pragma('cache_size = -256')
    migrate(db, migrations)
  } catch (error) {
    // A start that fails here (disk full during a migration, a corrupt file) leaves no handle open.
    db.close()
    throw error
  }
  return db
}

/** Close the database with its WAL folded into the file (checkpointed), when SQLite can. */
export function closeDatabase(db: Db): void {
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } catch {
    // The next start reads the WAL as it is.
  } finally {
    db.close()
  }
}

/** Apply the migrations not yet applied, in order. Idempotent. */
export function migrate(db: Db, migrations: readonly Migration[] = MIGRATIONS): number[] {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`)
  const applied = new Set(
    db
      .prepare<[], { version: number }>('SELECT version FROM schema_migrations')
      .all()
      .map((row) => row.version),
  )
  const ordered = [...migrations].sort((a, b) => a.version - b.version)
  const done: number[] = []
  const record = db.prepare(
    'INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)',
  )
  for (const migration of ordered) {
    if (applied.has(migration.version)) continue
    db.transaction(() => {
      db.exec(migration.sql)
      record.run(migration.version, migration.name, new Date().toISOString())
    })()
    done.push(migration.version)
  }
  return done
}
