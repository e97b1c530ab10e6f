import type { Db } from './database'
import { DocLog, type DocLogOptions } from './doc-log'
import type { QueueTable } from './queue-table'
import type { SessionStore } from './session'
import type { SettingsStore } from './settings'
import { openTables, type StoreTables } from './tables'

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
  return withDocLog(openTables(dataDir), docLogOptions)
}

/** The tables, opened already (core/start.ts), with the document log: the core's whole store. */
export function withDocLog(tables: StoreTables, docLogOptions: DocLogOptions = {}): Store {
  const { db } = tables
  let docLog: DocLog
  try {
    docLog = new DocLog(db, docLogOptions)
  } catch (error) {
    tables.close()
    throw error
  }
  let closed = false
  return {
    db,
    docLog,
    queue: tables.queue,
    settings: tables.settings,
    session: tables.session,
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
      } catch {
        // The next start reads the log as it is.
      } finally {
        tables.close()
      }
    },
  }
}
