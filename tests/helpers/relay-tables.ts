import { join } from 'node:path'
import Database from 'better-sqlite3'
import pg from 'pg'
import type { AdminTarget } from '../../sync-server/admin/admin'
import { DB_FILE } from '../../sync-server/persistence/database'

/** The relay's relational tables (named as in SQLite; PostgreSQL prefixes them with `pv_`). */
const TABLES = [
  'workspaces',
  'members',
  'member_devices',
  'shares',
  'link_items',
  'clicks',
  'leaderboard',
  'share_members',
  'conversion_keys',
  'conversions',
]

/** SQLite's SQL for the PostgreSQL schema: `pv_` table names, `$n` placeholders. */
function toPostgres(sql: string): string {
  let n = 0
  const named = sql.replace(
    new RegExp(`\\b(FROM|JOIN|INTO|UPDATE)\\s+(${TABLES.join('|')})\\b`, 'gi'),
    (_, keyword: string, table: string) => `${keyword} pv_${table}`,
  )
  return named.replace(/\?/g, () => `$${++n}`)
}

/**
 * Rows of a SELECT on a test relay's relational tables, wherever its backend keeps them: the data
 * dir's `relay.sqlite` (read only) or, for a relay started with `--postgres-url`, that PostgreSQL.
 * Write the SQL as for SQLite (`?` placeholders, unprefixed table names); counts come back as
 * numbers on both.
 */
export async function selectRelayRows<T extends Record<string, unknown>>(
  relay: { adminTarget: AdminTarget },
  sql: string,
  params: unknown[] = [],
): Promise<T[]> {
  const target = relay.adminTarget
  const postgresUrl = typeof target === 'string' ? undefined : target.postgresUrl
  if (postgresUrl === undefined) {
    const dataDir = typeof target === 'string' ? target : target.dataDir
    const db = new Database(join(dataDir, DB_FILE), { readonly: true })
    try {
      return db.prepare(sql).all(...params) as T[]
    } finally {
      db.close()
    }
  }
  const client = new pg.Client({ connectionString: postgresUrl })
  await client.connect()
  try {
    const { rows, fields } = await client.query(toPostgres(sql), params)
    // COUNT/SUM are bigint (text) in PostgreSQL, numbers in SQLite.
    const numeric = new Set(fields.filter((f) => f.dataTypeID === 20).map((f) => f.name))
    return rows.map((row: Record<string, unknown>) => {
      for (const name of numeric) if (typeof row[name] === 'string') row[name] = Number(row[name])
      return row as T
    })
  } finally {
    await client.end()
  }
}
