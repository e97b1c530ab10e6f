import { type Db, databasePath, openDatabase } from './database'
import { DocLog, type DocLogOptions } from './doc-log'
import { QueueTable } from './queue-table'
import { SessionStore } from './session'
import { SettingsStore } from './settings'

/** Everything the core keeps on disk, in one SQLite file. */
export type Store = {
  db: Db
  docLog: DocLog
  queue: QueueTable
  settings: SettingsStore
  session: SessionStore
  close(): void
}

export function openStore(dataDir: string, docLogOptions: DocLogOptions = {}): Store {
  const db = openDatabase({ file: databasePath(dataDir) })
  const docLog = new DocLog(db, docLogOptions)
  return {
    db,
    docLog,
    queue: new QueueTable(db),
    settings: new SettingsStore(db),
    session: new SessionStore(db),
    close() {
      docLog.close()
      // Fold the log into snapshots so the next start loads fast; then checkpoint the WAL.
      docLog.compactAll()
      db.pragma('wal_checkpoint(TRUNCATE)')
      db.close()
    },
  }
}
