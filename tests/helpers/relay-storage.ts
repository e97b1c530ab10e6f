import pg from 'pg'
import type { Logger } from '../../sync-server/log'
import { DB_FILE, openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { type LoadedDoc, loadDoc } from '../../sync-server/rooms/room'
import { RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import type { DocStore, StoredDoc } from '../../sync-server/storage/types'
import { databaseBytes } from './db-bytes'
import { relayBackend } from './relay'

/**
 * A test's view of what a relay stored, through the DocStore of the backend the relay runs on
 * (helpers/relay.ts relayBackend): the data dir's SQLite file, or the data dir's PostgreSQL
 * snapshot + Redis stream. Tests that check what is stored, or seed a history before a relay
 * starts, go through here rather than through SQL on the SQLite file, so they hold on both.
 *
 *   const doc = await readStoredDoc(relay.dataDir, `${ws}/queue`)
 *   await seedStoredDoc(dataDir, `${ws}/queue`, updates)   // no relay running on dataDir
 */
const silent: Logger = { info() {}, warn() {}, error() {} }

/**
 * Open the data dir's document store; `close()` releases it (and SQLite's file). `readonly`
 * (SQLite) for a look while the relay runs; Redis + PostgreSQL are shared with it anyway.
 */
export async function openStoredDocs(
  dataDir: string,
  o: { readonly?: boolean } = {},
): Promise<DocStore> {
  const backend = await relayBackend(dataDir)
  if (backend.kind === 'cluster') {
    return RedisDocStore.open({
      redisUrl: backend.redisUrl,
      postgresUrl: backend.postgresUrl,
      log: silent,
    })
  }
  const db = openDatabase(dataDir, { readonly: o.readonly ?? false })
  const store = new SqliteDocStore(new SqliteStore(db))
  const close = store.close.bind(store)
  return Object.assign(store, {
    close: async () => {
      await close()
      db.close()
    },
  })
}

async function withStore<T>(
  dataDir: string,
  readonly: boolean,
  use: (store: DocStore) => Promise<T>,
): Promise<T> {
  const store = await openStoredDocs(dataDir, { readonly })
  try {
    return await use(store)
  } finally {
    await store.close()
  }
}

/** What is stored for the room, as parts (snapshot, then the log's updates): for byte checks. */
export function readStoredParts(dataDir: string, room: string): Promise<StoredDoc> {
  return withStore(dataDir, true, (store) => store.load(room))
}

/** The room's document as stored (snapshot + log), built as a relay loading it would. */
export function readStoredDoc(dataDir: string, room: string): Promise<LoadedDoc> {
  return withStore(dataDir, true, (store) => loadDoc(store, room))
}

/** Updates in the room's log (not yet folded into its snapshot). */
export function countStoredUpdates(dataDir: string, room: string): Promise<number> {
  return withStore(dataDir, true, (store) => store.countUpdates(room))
}

/** Append `updates` to the room's stored log, as if a relay had stored them; returns the last seq. */
export function seedStoredDoc(
  dataDir: string,
  room: string,
  updates: readonly Uint8Array[],
): Promise<number> {
  return withStore(dataDir, false, async (store) => {
    // The Redis store refuses appends to a room whose counter it has not seeded (load does).
    await store.load(room)
    return store.append(room, updates)
  })
}

/** The stored bytes (snapshot and log) of each of `rooms`, one after another: for byte checks. */
export async function storedRoomBytes(dataDir: string, rooms: readonly string[]): Promise<Buffer> {
  return withStore(dataDir, true, async (store) => {
    const parts: Buffer[] = []
    for (const room of rooms) {
      const stored = await store.load(room)
      if (stored.snapshot) parts.push(Buffer.from(stored.snapshot))
      for (const update of stored.updates) parts.push(Buffer.from(update))
    }
    return Buffer.concat(parts)
  })
}

/** Tables of the rooms' Yjs data (SQLite) and of snapshots (PostgreSQL), left out of `relationalRows`. */
const DOC_TABLES = ['updates', 'snapshots', 'porte_voix_snapshots']

/**
 * Every row of the relay's relational tables (members, shares, clicks…), by table name: its
 * SQLite file, or — on Redis + PostgreSQL, where a node opens no SQLite file — the pv_* tables of
 * its PostgreSQL schema, named without the prefix (pv_members → members), so tests compare the
 * same names on both.
 */
export async function relationalRows(dataDir: string): Promise<Map<string, unknown[]>> {
  const backend = await relayBackend(dataDir)
  const tables = new Map<string, unknown[]>()
  if (backend.kind === 'sqlite') {
    const db = openDatabase(dataDir, { readonly: true })
    try {
      const names = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .all()
        .map((t) => t.name)
        .filter((name) => !DOC_TABLES.includes(name))
      for (const name of names) tables.set(name, db.prepare(`SELECT * FROM "${name}"`).all())
    } finally {
      db.close()
    }
    return tables
  }
  const client = new pg.Client({ connectionString: backend.postgresUrl })
  await client.connect()
  try {
    const { rows } = await client.query<{ name: string }>(
      `SELECT table_name AS name FROM information_schema.tables
       WHERE table_schema = current_schema() AND table_name LIKE 'pv\\_%'`,
    )
    for (const { name } of rows) {
      if (DOC_TABLES.includes(name)) continue
      const result = await client.query(`SELECT * FROM "${name}"`)
      tables.set(name.replace(/^pv_/, ''), result.rows)
    }
  } finally {
    await client.end()
  }
  return tables
}

/**
 * What the relay holds, as bytes to search: on SQLite every byte of its file (WAL folded in:
 * freed pages and indexes too); on Redis + PostgreSQL its relational rows (as JSON) and the stored
 * bytes of `rooms` (snapshot and stream entries as the DocStore reads them: Redis's append-only
 * file and PostgreSQL's dead row versions are not searched).
 */
export async function relayHeldBytes(dataDir: string, rooms: readonly string[]): Promise<Buffer> {
  const backend = await relayBackend(dataDir)
  if (backend.kind === 'sqlite') return databaseBytes(dataDir, DB_FILE)
  const rows = await relationalRows(dataDir)
  return Buffer.concat([
    Buffer.from(JSON.stringify([...rows]), 'utf8'),
    await storedRoomBytes(dataDir, rooms),
  ])
}
