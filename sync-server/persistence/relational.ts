import { type BoardSource, SqliteBoardSource } from '../board/aggregate'
import { type LinkStore, SqliteLinkStore } from '../links/link-store'
import { type ResultsStore, SqliteResultsStore } from '../links/results-store'
import type { Logger } from '../log'
import type { Db } from './database'
import { type ShareStore, SqliteShareStore } from './share-store'
import { SqliteWorkspaceStore, type WorkspaceStore } from './workspace-store'

/**
 * Follow changes to `members` made elsewhere (the admin tool, another node); `onChange` runs
 * after the backend dropped what it cached of them. Returns the unwatch.
 */
export type MemberWatch = (onChange: () => void) => () => void

/**
 * The relay's relational tables, behind one asynchronous interface per store: workspaces and
 * members, shares, short links and clicks, results (opt-ins, conversion keys, conversions), and
 * what the board is computed from. The embedded default is the data dir's SQLite file
 * (openSqliteRelational); with `--postgres-url` (several nodes, several machines) PostgreSQL
 * (storage/postgres/relational.ts), and then nothing relational touches SQLite.
 */
export type RelationalStores = {
  readonly kind: 'sqlite' | 'postgres'
  workspaces: WorkspaceStore
  shares: ShareStore
  links: LinkStore
  results: ResultsStore
  board: BoardSource
  watchMembers: MemberWatch
  /**
   * Optional: after an erasure, make the deleted rows leave the backend's files (PostgreSQL:
   * VACUUM + CHECKPOINT; SQLite: secure_delete zeroes deleted rows in the pages it writes, but the
   * WAL keeps the pages from before until it is truncated).
   */
  purgeErased?(): Promise<void>
  close(): Promise<void>
}

/**
 * The SQLite stores on an open database. Another process's commit (the admin tool) moves SQLite's
 * `data_version`, read every `pollMs`: one cheap pragma; the relay's own writes do not move it
 * (the API re-checks live sockets itself after a deletion). Closing leaves the database open
 * (its owner closes it).
 */
export function openSqliteRelational(
  db: Db,
  options: { pollMs?: number; log?: Logger } = {},
): RelationalStores {
  const shares = new SqliteShareStore(db)
  return {
    kind: 'sqlite',
    workspaces: new SqliteWorkspaceStore(db),
    shares,
    links: new SqliteLinkStore(db),
    results: new SqliteResultsStore(db, shares),
    board: new SqliteBoardSource(db),
    watchMembers: (onChange) => {
      const read = () => db.pragma('data_version', { simple: true }) as number
      let version = read()
      const timer = setInterval(() => {
        let now: number
        try {
          now = read()
        } catch (error) {
          options.log?.error('membership poll failed', { error: (error as Error).message })
          return
        }
        if (now === version) return
        version = now
        onChange()
      }, options.pollMs ?? 500)
      timer.unref()
      return () => clearInterval(timer)
    },
    purgeErased: async () => {
      // The relay's own checkpoints are PASSIVE (they never truncate the WAL, whose older frames
      // still hold the erased rows): fold and truncate it now, retrying while the checkpoint
      // worker's connection holds it.
      for (let attempt = 0; attempt < 50; attempt++) {
        const [result] = db.pragma('wal_checkpoint(TRUNCATE)') as { busy: number }[]
        if (!result?.busy) return
        await new Promise((done) => setTimeout(done, 100))
      }
      options.log?.warn('erasure: the WAL could not be truncated (busy); the next erasure retries')
    },
    close: async () => {},
  }
}
