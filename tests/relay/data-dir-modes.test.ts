import { chmodSync, existsSync, mkdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { createWorkspace } from '../../sync-server/admin/admin'
import { tempDir } from '../helpers/process'
import { onClusterBackend, type RelayProcess, startRelay, stopRelay } from '../helpers/relay'

/**
 * Issue 8.11: the relay's data directory and database are readable by their owner only, whoever
 * made the directory. A tempDir is already 0700 (mkdtemp), so these start from a directory the
 * relay creates itself under the usual 022 umask, and from one an older relay left 0755 / 0644.
 */
const relays: RelayProcess[] = []
afterAll(async () => {
  for (const relay of relays) await stopRelay(relay)
})

const mode = (path: string) => statSync(path).mode & 0o777

/** Checked right after the relay started, before this process opens the file (it would chmod too). */
function expectPrivate(dataDir: string, files: readonly string[]): void {
  expect(mode(dataDir), 'data dir').toBe(0o700)
  for (const file of files) {
    const path = join(dataDir, file)
    if (file.endsWith('-wal') || file.endsWith('-shm')) {
      if (!existsSync(path)) continue // created by SQLite on the first write, with the db's mode
    }
    expect(mode(path), file).toBe(0o600)
  }
}

describe('relay data directory modes', () => {
  // The modes of the SQLite file and its data dir: with --redis-url and --postgres-url a node
  // opens no SQLite file (its data is in PostgreSQL and Redis, their own servers' concern).
  it.skipIf(onClusterBackend())(
    'a data directory the relay creates is 0700 and its files 0600 (SQLite only: no relay file on Redis + PostgreSQL)',
    async () => {
      const previous = process.umask(0o022)
      try {
        const dataDir = join(tempDir('porte-voix-modes-'), 'relay-data')
        const relay = await startRelay({ dataDir })
        relays.push(relay)
        expectPrivate(dataDir, ['relay.sqlite', 'relay.sqlite-wal', 'relay.sqlite-shm', 'secret'])
      } finally {
        process.umask(previous)
      }
    },
  )

  it.skipIf(onClusterBackend())(
    'a directory and database left open to others (0755, 0644) are closed on start (SQLite only: no relay file on Redis + PostgreSQL)',
    async () => {
      const dataDir = join(tempDir('porte-voix-modes-'), 'old-relay')
      mkdirSync(dataDir, { mode: 0o755 })
      await createWorkspace(dataDir, { name: 'Old' })
      chmodSync(dataDir, 0o755)
      chmodSync(join(dataDir, 'relay.sqlite'), 0o644)
      const relay = await startRelay({ dataDir })
      relays.push(relay)
      // The secret is generated 0600; the directory, closed now, guards it either way.
      expectPrivate(dataDir, ['relay.sqlite', 'relay.sqlite-wal', 'relay.sqlite-shm', 'secret'])
    },
  )
})
