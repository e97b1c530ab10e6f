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
  let docLog: DocLog
  let parts: Pick<Store, 'queue' | 'settings' | 'session'>
  try {
    docLog = new DocLog(db, docLogOptions)
    parts = {
      queue: new QueueTable(db),
      settings: new SettingsStore(db),
      session: new SessionStore(db),
    }
  } catch (error) {
    // Half a store is no store: nothing stays open when a part cannot start.
    db.close()
    throw error
  }
  let closed = false
  return {
    db,
    docLog,
    ...parts,
    close() {
      if (closed) return
      closed = true
      // A last try to write updates held while the disk was full; what still fails is lost
      // here, except what the relay received (everything synced before closing).
      docLog.close()
      try {
        // Fold the log into snapshots so the next start loads fast; then checkpoint the WAL.
        // With the disk full either may fail: the log itself is intact, so close regardless.
        docLog.compactAll()
        db.pragma('wal_checkpoint(TRUNCATE)')
      } catch {
        // The next start reads the log as it is.
      } finally {
        db.close()
      }
    },
  }
}
