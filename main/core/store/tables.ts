import { closeDatabase, type Db, databasePath, openDatabase } from './database'
import { QueueTable } from './queue-table'
import { SessionStore } from './session'
import { SettingsStore } from './settings'

/**
 * The core's SQLite file with the tables a window's first screen reads (queue, settings,
 * session), without the document log: that one needs Yjs, which the first screen does not load
 * (core/start.ts). store.ts adds it for the core.
 */
export type StoreTables = {
  db: Db
  queue: QueueTable
  settings: SettingsStore
  session: SessionStore
  /** Checkpoint the WAL and close the database (nothing but these tables was used). */
  close(): void
}

export function openTables(dataDir: string): StoreTables {
  return tablesOn(openDatabase({ file: databasePath(dataDir) }))
}

/** The tables on a database already open (core/start.ts opens it first); closed with them. */
export function tablesOn(db: Db): StoreTables {
  let parts: Pick<StoreTables, 'queue' | 'settings' | 'session'>
  try {
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
    ...parts,
    close() {
      if (closed) return
      closed = true
      closeDatabase(db)
    },
  }
}
