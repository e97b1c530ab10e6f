import path from 'node:path'
import Database from 'better-sqlite3'
import { Item } from '../../common/model/item'
import { DATABASE_FILE } from '../../main/core/store/database'

/** Read a core's queue table straight from its SQLite file (read-only), as another process would. */
export function readQueueTable(dataDir: string): Item[] {
  const db = new Database(path.join(dataDir, DATABASE_FILE), {
    readonly: true,
    fileMustExist: true,
  })
  try {
    return db
      .prepare<[], { json: string }>('SELECT json FROM items ORDER BY id')
      .all()
      .map((row) => Item.parse(JSON.parse(row.json)))
  } finally {
    db.close()
  }
}
