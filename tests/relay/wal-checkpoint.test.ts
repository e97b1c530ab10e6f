import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import { removeTempDir, tempDir } from '../helpers/process'

function updateOf(n: number): Uint8Array {
  const doc = new Y.Doc()
  doc.getMap('m').set(`k${n}`, 'x'.repeat(200))
  return Y.encodeStateAsUpdate(doc)
}

async function until(check: () => boolean): Promise<void> {
  // A condition, not a duration: the bound only stops a hung test.
  const deadline = Date.now() + 30_000
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition never held')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('WAL checkpoints off the commit path (issue 11.3)', () => {
  it('SQLite checkpoints no longer run inside a commit; a PASSIVE one follows once writes pause', async () => {
    const dir = tempDir('porte-voix-wal-checkpoint-')
    const db = openDatabase(dir)
    const store = new SqliteDocStore(new SqliteStore(db))
    try {
      // The automatic checkpoint would run inside the commit that crosses 1,000 pages.
      expect(db.pragma('wal_autocheckpoint', { simple: true })).toBe(0)
      const before = store.commits.checkpoints
      // 3,000 appends of ~200 bytes in 30 turns: far past 1,000 WAL pages.
      for (let turn = 0; turn < 30; turn++) {
        const at = store.commits.checkpoints
        const pending: Promise<number>[] = []
        for (let n = 0; n < 100; n++)
          pending.push(store.append('ws_wal/queue', [updateOf(turn * 100 + n)]))
        // The commit itself, synchronously: no checkpoint of ours on the way either.
        expect(store.flush()).toBe(true)
        expect(store.commits.checkpoints).toBe(at)
        await Promise.all(pending)
      }
      await until(() => store.commits.checkpoints > before)
      // Everything the WAL held is in the database file now: a second PASSIVE checkpoint
      // finds every frame already copied.
      const [result] = db.pragma('wal_checkpoint(PASSIVE)') as {
        busy: number
        log: number
        checkpointed: number
      }[]
      expect(result?.busy).toBe(0)
      expect(result?.checkpointed).toBe(result?.log)
      expect((await store.load('ws_wal/queue')).lastSeq).toBe(3000)
    } finally {
      await store.close()
      db.close()
      removeTempDir(dir)
    }
  })
})
