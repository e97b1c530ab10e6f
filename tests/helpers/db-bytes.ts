import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { DATABASE_FILE } from '../../main/core/store/database'

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
