/**
 * The privacy tests' raw-bytes search (tests/helpers/db-bytes.ts relayBytesWithout) must see
 * what the relay's update journal holds and SQLite does not yet (appends not folded): with the
 * journal on by default, a secret a client just wrote may be in relay.updates.journal only.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { DB_FILE, openDatabase } from '../../sync-server/persistence/database'
import { encodeRecords, JOURNAL_FILE } from '../../sync-server/storage/sqlite/journal'
import { foundIn, relayBytesWithout } from '../helpers/db-bytes'
import { removeTempDir, tempDir } from '../helpers/process'

/** One client update that puts `text` in the doc. */
function updateWith(text: string): Uint8Array {
  const doc = new Y.Doc()
  doc.getText('body').insert(0, text)
  const update = Y.encodeStateAsUpdate(doc)
  doc.destroy()
  return update
}

describe('relayBytesWithout searches the update journal too', () => {
  it('finds a secret that is in the journal only (not yet folded), except in a dropped room', () => {
    const dir = tempDir('porte-voix-dbbytes-journal-')
    try {
      // A relay's database, and its journal as the relay writes it (the journal's own encoder).
      openDatabase(dir).close()
      const KEPT = 'secret_inthejournalonly_kept'
      const DROPPED = 'secret_inthejournalonly_dropped'
      writeFileSync(
        join(dir, JOURNAL_FILE),
        encodeRecords([
          { room: 'ws_a/queue', firstSeq: 1, updates: [updateWith(KEPT)] },
          { room: 'ws_a/directory', firstSeq: 1, updates: [updateWith(DROPPED)] },
        ]),
      )
      const dbFile = join(dir, DB_FILE)
      expect(foundIn(relayBytesWithout(dbFile, {}), [KEPT, DROPPED])).toEqual([KEPT, DROPPED])
      expect(
        foundIn(relayBytesWithout(dbFile, { rooms: ['ws_a/directory'] }), [KEPT, DROPPED]),
      ).toEqual([KEPT])
    } finally {
      removeTempDir(dir)
    }
  })
})
