import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DB_FILE, openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import { removeTempDir, tempDir } from '../helpers/process'

function updateOf(n: number): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('m').set(`k${n}`, 'x'.repeat(100))
  return Y.encodeStateAsUpdate(doc)
}

describe('WAL checkpoints under steady writes run off the event loop (issue 11.3)', () => {
  it('writes that never pause are checkpointed by the worker; closing removes the WAL', async () => {
    const dir = tempDir('porte-voix-wal-worker-')
    const db = openDatabase(dir)
    const store = new SqliteDocStore(new SqliteStore(db))
    let closed = false
    try {
      const before = store.commits.checkpoints
      let n = 0
      // 50 rows every 10 ms over 40 rooms: no 250 ms tick is ever quiet, and every ~0.8 s
      // passes the rows after which a checkpoint must run anyway. The loop ends on the outcome
      // (a checkpoint done); the bound only stops a hung test.
      const deadline = Date.now() + 60_000
      while (store.commits.checkpoints === before) {
        if (Date.now() > deadline) throw new Error('no checkpoint under steady writes')
        const pending: Promise<number>[] = []
        for (let k = 0; k < 50; k++, n++)
          pending.push(store.append(`ws_w${n % 40}/queue`, [updateOf(n)]))
        await Promise.all(pending)
        await new Promise((r) => setTimeout(r, 10))
      }
      expect(store.commits.checkpointsOffLoop).toBeGreaterThan(0)
      // Everything is readable, checkpointed or not.
      expect((await store.load('ws_w0/queue')).updates.length).toBe(Math.ceil(n / 40))
      await store.close()
      db.close()
      closed = true
      // The worker's connection closed before the last one, which removed the WAL.
      expect(existsSync(join(dir, `${DB_FILE}-wal`))).toBe(false)
    } finally {
      if (!closed) {
        await store.close()
        db.close()
      }
      removeTempDir(dir)
    }
  })
})
