/**
 * In-process cost of the SQLite doc store's durable append (issue 11.3): ROOMS rooms, one append
 * per event-loop turn (what 500 busy rooms at 2 edits/s look like), the journal (default) against
 * one SQLite commit per turn (`journal: false`), interleaved; CPU of this process (all threads)
 * per append, folds and checkpoints included.
 *
 *   npx tsx tests/bench/relay-append.ts
 */
import * as Y from 'yjs'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { SqliteDocStore } from '../../sync-server/storage/sqlite/doc-store'
import { removeTempDir, tempDir } from '../helpers/process'

const ROOMS = Number(process.env.ROOMS ?? 500)
const APPENDS = Number(process.env.APPENDS ?? 20_000)
const ROUNDS = Number(process.env.ROUNDS ?? 2)
const PER_TURN = Number(process.env.PER_TURN ?? 1)

function updateOf(n: number): Uint8Array {
  const doc = new Y.Doc()
  doc.getArray('a').push([`edit ${n} ${'x'.repeat(40)}`])
  return Y.encodeStateAsUpdate(doc)
}

async function run(journal: boolean): Promise<number> {
  const dir = tempDir('porte-voix-append-bench-')
  const db = openDatabase(dir)
  const store = new SqliteDocStore(new SqliteStore(db), { journal })
  const updates = Array.from({ length: 64 }, (_, i) => updateOf(i))
  try {
    for (let r = 0; r < ROOMS; r++) await store.load(`ws_b${r}/queue`)
    const start = process.cpuUsage()
    for (let n = 0; n < APPENDS; n += PER_TURN) {
      const pending: Promise<number>[] = []
      for (let k = 0; k < PER_TURN; k++)
        pending.push(
          store.append(`ws_b${(n + k) % ROOMS}/queue`, [updates[(n + k) % 64] as Uint8Array]),
        )
      await Promise.all(pending)
    }
    const loop = process.cpuUsage(start)
    // The worker is unref'd: something must keep this process alive while close waits for it.
    const alive = setInterval(() => {}, 1000)
    await store.close()
    clearInterval(alive)
    const used = process.cpuUsage(start)
    console.log(
      `  ${journal ? 'journal' : 'commit '}: loop ${((loop.user + loop.system) / APPENDS).toFixed(1)} µs, with close ${((used.user + used.system) / APPENDS).toFixed(1)} µs; ${JSON.stringify(store.commits)}`,
    )
    return (used.user + used.system) / APPENDS
  } finally {
    db.close()
    removeTempDir(dir)
  }
}

for (let round = 1; round <= ROUNDS; round++) {
  const only = process.env.ONLY
  const order = only ? [only === 'journal'] : round % 2 ? [true, false] : [false, true]
  const results: Record<string, number> = {}
  for (const journal of order) results[journal ? 'journal' : 'commit'] = await run(journal)
  console.log(
    `round ${round}: ${ROOMS} rooms, ${PER_TURN} append(s) per turn: journal ${results.journal?.toFixed(1)} µs, SQLite commit ${results.commit?.toFixed(1)} µs per append`,
  )
}
