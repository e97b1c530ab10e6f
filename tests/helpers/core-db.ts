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

/** Poll until `check` returns a value other than undefined; generous timeout, no timing asserted. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  { timeoutMs = 20_000, intervalMs = 10, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined) return value
    } catch (error) {
      last = error
    }
    if (Date.now() > deadline) {
      throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs))
  }
}
