import { afterAll, beforeAll } from 'vitest'
import { type Db, openDatabase } from '../../sync-server/persistence/database'
import {
  openSqliteRelational,
  type RelationalStores,
} from '../../sync-server/persistence/relational'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { removeTempDir } from './process'
import { relayBackend } from './relay'

/**
 * The relational stores on this project's backend, opened on `dir`: SQLite there, or
 * PostgreSQL on relay-cluster (relayBackend). `close` closes the stores and the SQLite file;
 * the caller still removes `dir`.
 */
export async function openTestRelational(
  dir: string,
): Promise<{ stores: RelationalStores; close: () => Promise<void> }> {
  const backend = await relayBackend(dir)
  let db: Db | undefined
  let stores: RelationalStores
  if (backend.kind === 'cluster') stores = await openPgRelational({ url: backend.postgresUrl })
  else {
    db = openDatabase(dir)
    stores = openSqliteRelational(db)
  }
  return {
    stores,
    close: async () => {
      await stores.close()
      db?.close()
    },
  }
}

/**
 * The same, for a whole test file: opened on `dir` beforeAll (handed to `opened`), closed
 * afterAll and `dir` removed.
 */
export function relationalStoresFor(dir: string, opened: (stores: RelationalStores) => void): void {
  let close = async () => {}
  beforeAll(async () => {
    const open = await openTestRelational(dir)
    close = open.close
    opened(open.stores)
  })
  afterAll(async () => {
    await close()
    removeTempDir(dir)
  })
}

/**
 * Workspace `workspaceId` with employees `memberIds` (named `Name <id>`), their invitations
 * issued at `now` and valid a day: what tests of device records start from.
 */
export async function seedWorkspace(
  stores: RelationalStores,
  workspaceId: string,
  memberIds: string[],
  now: Date,
): Promise<void> {
  await stores.workspaces.createWorkspace({ id: workspaceId, name: workspaceId })
  for (const id of memberIds)
    await stores.workspaces.upsertMember(
      { id, workspaceId, displayName: `Name ${id}`, role: 'employee' },
      now,
      new Date(now.getTime() + 86_400_000),
    )
}
