import { execFile } from 'node:child_process'
import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { openStore } from '../../main/core/store/store'
import { clientOf, fakeInvitation } from '../helpers/core'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

type ChildRun = { code: number | null; killed: boolean; stdout: string; stderr: string }

/**
 * Start and close a core in a process of its own that never calls process.exit: it ends only if
 * nothing is left open. 60 s is a liveness bound (a process still running then is kept alive by
 * something), not a measure of speed.
 */
function runChild(dataDir: string): Promise<ChildRun> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'tests/core/start-core-child.ts'), dataDir],
      { cwd: ROOT, timeout: 60_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0
        done({ code, killed: Boolean(error?.killed), stdout, stderr })
      },
    )
  })
}

const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

/** Files of `dir` this process holds open (Linux: /proc/self/fd). */
function openFilesIn(dir: string): string[] {
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    try {
      const target = readlinkSync(path.join('/proc/self/fd', fd))
      return target.startsWith(dir) ? [target] : []
    } catch {
      return []
    }
  })
}

describe('a start-up that fails halfway leaks nothing', () => {
  it.skipIf(process.platform !== 'linux')(
    'a data file that is not a database: clear error, no handle left open',
    () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-startup-'))
      dirs.push(dataDir)
      writeFileSync(path.join(dataDir, DATABASE_FILE), 'x'.repeat(8192))
      for (let attempt = 0; attempt < 3; attempt++) {
        expect(() => openStore(dataDir)).toThrow(/not a database/)
      }
      expect(openFilesIn(dataDir)).toEqual([])
    },
  )

  it.skipIf(process.platform !== 'linux')(
    'closing twice, or with the disk full, still closes',
    () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-startup-'))
      dirs.push(dataDir)
      const store = openStore(dataDir)
      store.docLog.append('ws/queue', new Uint8Array([0, 0]))
      store.db.pragma(`max_page_count = ${store.db.pragma('page_count', { simple: true })}`)
      store.close()
      store.close()
      expect(openFilesIn(dataDir)).toEqual([])
    },
  )

  it.skipIf(process.platform !== 'linux')(
    'a stored document that cannot be read: the start fails saying so, leaves nothing open, and works once the cause is gone',
    async () => {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-startup-'))
      dirs.push(dataDir)
      // A joined champion's device with a document in its log (the relay is never reachable).
      const first = await Core.open({ dataDir, joinWaitMs: 200 })
      const client = clientOf(first)
      await client.call('workspace.join', {
        invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
      })
      await client.call('item.create', {
        title: 'Kept',
        url: 'https://acme.example/kept',
        objective: 'awareness',
      })
      await first.close()
      // The curation document's stored snapshot is damaged: the store and SQLite open, then
      // loading the replicas (the next step) fails.
      const damage = new Database(path.join(dataDir, DATABASE_FILE))
      const changed = damage
        .prepare("UPDATE doc_snapshots SET data = X'0102030405060708' WHERE doc LIKE '%/curation'")
        .run().changes
      damage.close()
      expect(changed).toBe(1)

      // In this process: a clear error, and the database is closed again.
      await expect(Core.open({ dataDir, joinWaitMs: 200 })).rejects.toThrow(
        /"curation" document stored on this device cannot be read .*damaged/,
      )
      expect(openFilesIn(dataDir)).toEqual([])

      // In a process of its own: it says why and ends by itself (no handle or timer left).
      const failed = await runChild(dataDir)
      expect(failed.killed).toBe(false)
      expect(failed.code).toBe(1)
      expect(failed.stderr).toMatch(/start failed: .*"curation" document .*damaged/)

      // The lock is free: another connection can take SQLite's exclusive lock and remove the cause
      // (the document would be synced again from the relay).
      const repair = new Database(path.join(dataDir, DATABASE_FILE))
      repair.exec('BEGIN EXCLUSIVE')
      repair.prepare("DELETE FROM doc_snapshots WHERE doc LIKE '%/curation'").run()
      repair.exec('COMMIT')
      repair.close()

      // A second start works, and closes leaving nothing behind either.
      const again = await runChild(dataDir)
      expect(again.killed).toBe(false)
      expect(again.stdout).toMatch(/opened/)
      expect(again.code).toBe(0)
    },
    // Two child processes that compile the core with tsx, each allowed its 60 s liveness bound.
    180_000,
  )
})
