import type { Logger } from '../../sync-server/log'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { type LoadedDoc, loadDoc } from '../../sync-server/rooms/room'
import { RedisDocStore } from '../../sync-server/storage/redis/doc-store'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import type { DocStore, StoredDoc } from '../../sync-server/storage/types'
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
