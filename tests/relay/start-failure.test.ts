import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DB_FILE } from '../../sync-server/persistence/database'
import { removeTempDir, tempDir } from '../helpers/process'
import { onClusterBackend, runRelayCli, startRelay, stopRelay } from '../helpers/relay'

/**
 * Issue 8.10, relay side: a start that fails after the data dir's database and lock are open
 * (here the port is taken, found only at listen) says so in one line, leaves no lock behind, and a
 * later start on the same data dir works once the port is free.
 */
const dirs: string[] = []
afterAll(() => {
  for (const dir of dirs) removeTempDir(dir)
})

function listen(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      if (address === null || typeof address === 'string') reject(new Error('no port'))
      else resolve(address.port)
    })
  })
}

describe('a relay start that fails halfway leaks nothing', () => {
  it('port taken: one clear line, exit 1, lock released; the next start on the dir works', async () => {
    const dataDir = tempDir('porte-voix-start-fail-')
    dirs.push(dataDir)
    // A data dir with content, as a restart would find it.
    const first = await startRelay({ dataDir })
    const acme = await first.createWorkspace('Acme')
    await first.stop()

    const squatter = createServer()
    const port = await listen(squatter)
    const env = { ...process.env }
    delete env.PORTE_VOIX_RELAY_SECRET
    let out: Awaited<ReturnType<typeof runRelayCli>>
    try {
      out = await runRelayCli(
        'main',
        ['--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir],
        env,
      )
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()))
    }
    expect(out.code).toBe(1)
    expect(out.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(/^porte-voix relay failed to start: listen EADDRINUSE[^\n]*$/),
    ])
    expect(out.stderr).not.toMatch(/\n\s+at /)
    expect(out.stdout).not.toMatch(/listening on/)
    // The lock (and any takeover claim) is gone, not merely stale: nothing to take over.
    expect(readdirSync(dataDir).filter((f) => f.includes('lock'))).toEqual([])
    // The database was closed: SQLite removes its -wal and -shm files on the last close.
    expect(existsSync(path.join(dataDir, `${DB_FILE}-wal`))).toBe(false)

    const again = await startRelay({ dataDir, port })
    try {
      expect(again.port).toBe(port)
      const listed = await again.admin(['list-workspaces'])
      expect(listed.code, listed.stderr).toBe(0)
      expect(listed.stdout).toContain(acme)
    } finally {
      await stopRelay(again)
    }
  })

  // SQLite's own failure; PostgreSQL or Redis unreachable at start is one line too
  // (tests/cluster/config.test.ts).
  it.skipIf(onClusterBackend())(
    'database not a SQLite file: one clear line, exit 1, no lock left; once restored, a start works (SQLite only; Redis + PostgreSQL: tests/cluster/config)',
    async () => {
      const dataDir = tempDir('porte-voix-start-fail-')
      dirs.push(dataDir)
      const first = await startRelay({ dataDir })
      const acme = await first.createWorkspace('Acme')
      await first.stop()
      const dbPath = path.join(dataDir, DB_FILE)
      // What a backup holds: the main file and, if the stop left one (a slow stop on a loaded
      // machine may), its write-ahead log.
      const good = readFileSync(dbPath)
      const goodWal = existsSync(`${dbPath}-wal`) ? readFileSync(`${dbPath}-wal`) : null
      // A disk that returned junk, a file copied over by mistake: same size, not SQLite.
      writeFileSync(dbPath, Buffer.alloc(good.length, 'garbage! '))
      rmSync(`${dbPath}-wal`, { force: true })
      rmSync(`${dbPath}-shm`, { force: true })

      const env = { ...process.env }
      delete env.PORTE_VOIX_RELAY_SECRET
      const out = await runRelayCli(
        'main',
        ['--port', '0', '--host', '127.0.0.1', '--data-dir', dataDir],
        env,
      )
      expect(out.code).toBe(1)
      expect(out.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(/^porte-voix relay failed to start: [^\n]*not a database[^\n]*$/),
      ])
      expect(out.stderr).not.toMatch(/\n\s+at /)
      expect(out.stdout).not.toMatch(/listening on/)
      expect(readdirSync(dataDir).filter((f) => f.includes('lock'))).toEqual([])

      // The operator restores the file (from a backup, here the bytes it held): a start works.
      rmSync(`${dbPath}-wal`, { force: true })
      rmSync(`${dbPath}-shm`, { force: true })
      writeFileSync(dbPath, good)
      if (goodWal) writeFileSync(`${dbPath}-wal`, goodWal)
      const again = await startRelay({ dataDir })
      try {
        const listed = await again.admin(['list-workspaces'])
        expect(listed.code, listed.stderr).toBe(0)
        expect(listed.stdout).toContain(acme)
      } finally {
        await stopRelay(again)
      }
    },
  )
})
