import { mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { DATABASE_FILE } from '../../main/core/store/database'
import { openStore } from '../../main/core/store/store'

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
})
