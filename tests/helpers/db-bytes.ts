import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../../main/core/store/database'
import { JOURNAL_FILE, UpdateJournal } from '../../sync-server/storage/sqlite/journal'

/** Every byte of a core's database, after folding the WAL into the main file. */
export function databaseBytes(dataDir: string, fileName: string = DATABASE_FILE): Buffer {
  const file = path.join(dataDir, fileName)
  const db = new Database(file)
  try {
    db.pragma('wal_checkpoint(TRUNCATE)')
  } finally {
    db.close()
  }
  // The main file and whatever else SQLite keeps next to it (WAL, shared memory).
  const parts = readdirSync(dataDir)
    .filter((name) => name.startsWith(fileName))
    .map((name) => readFileSync(path.join(dataDir, name)))
  return Buffer.concat(parts)
}

export function foundIn(bytes: Buffer, secrets: readonly string[]): string[] {
  return secrets.filter((secret) => bytes.includes(Buffer.from(secret, 'utf8')))
}

/**
 * Every byte of a copy of the relay's database (WAL included, taken with VACUUM INTO while the
 * relay runs) after dropping the tables and deleting the rooms' stored updates that are allowed to
 * hold what is searched for, then VACUUMing so nothing dropped stays in free pages. The copy goes
 * in a temp folder removed before returning. Then the update bytes of the records in the update
 * journal beside the file (relay.updates.journal: appends not yet folded into SQLite), read with
 * the journal module's own reader, except those of the dropped rooms.
 */
export function relayBytesWithout(
  dbFile: string,
  drop: { tables?: readonly string[]; rooms?: readonly string[] },
): Buffer {
  // The journal BEFORE the database: a fold in between then leaves a row in both, never in
  // neither (the fold commits to SQLite, then truncates the journal). An unreadable journal
  // throws: a search that silently skipped it would pass for the wrong reason.
  const dropped = new Set(drop.rooms ?? [])
  const { records } = UpdateJournal.read(path.join(path.dirname(dbFile), JOURNAL_FILE))
  const journal = records.filter((r) => !dropped.has(r.room)).map((r) => r.data)
  const dir = mkdtempSync(path.join(tmpdir(), 'porte-voix-dbcopy-'))
  try {
    const copy = path.join(dir, 'copy.sqlite')
    const source = new Database(dbFile, { readonly: true })
    try {
      source.prepare('VACUUM INTO ?').run(copy)
    } finally {
      source.close()
    }
    const db = new Database(copy)
    try {
      for (const table of drop.tables ?? []) db.exec(`DROP TABLE IF EXISTS "${table}"`)
      for (const room of drop.rooms ?? []) {
        db.prepare('DELETE FROM updates WHERE room = ?').run(room)
        db.prepare('DELETE FROM snapshots WHERE room = ?').run(room)
      }
      db.exec('VACUUM')
    } finally {
      db.close()
    }
    return Buffer.concat([readFileSync(copy), ...journal])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
