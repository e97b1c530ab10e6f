/**
 * Core doc-log compaction benchmark:  npx tsx tests/bench/core-compaction.ts
 *
 * 10,000 small edits (caption typing, priority changes, status flips) on a queue document of
 * 100 items, each appended to the SQLite update log as the core does. Then compare the time to
 * load the document from SQLite (read + merge + apply into a fresh Y.Doc):
 *   - the raw log of 10,000 updates,
 *   - after compaction (one snapshot),
 *   - the same content written as one update (encodeStateAsUpdate), the baseline.
 * Figures are medians over several runs.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as Y from 'yjs'
import { captionText, insertItem, itemsMap } from '../../common/doc/queue-doc'
import { type Item, newItem } from '../../common/model/item'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'

const EDITS = 10_000
const ITEMS = 100
const RUNS = 21

function item(i: number): Item {
  const made = newItem(
    {
      id: `item_${String(i).padStart(4, '0')}`,
      title: `Item ${i}`,
      url: `https://example.com/${i}`,
      objective: 'awareness',
      authorId: 'mem_bench',
      createdAt: new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString(),
    },
    {
      source: 'Example',
      topics: ['bench'],
      why: 'Why it matters',
      captions: { linkedin: 'Start', x: 'Start' },
      status: 'approved',
    },
  )
  if ('issues' in made) throw new Error(`bench item ${i}: ${made.issues.join('; ')}`)
  return made.item
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

function timeLoad(log: DocLog, name: string): { ms: number; doc: Y.Doc } {
  const started = performance.now()
  const doc = new Y.Doc()
  log.loadInto(name, doc, null)
  return { ms: performance.now() - started, doc }
}

const dir = mkdtempSync(path.join(tmpdir(), 'pv-bench-compaction-'))
const db = openDatabase({ file: path.join(dir, 'bench.sqlite') })
const log = new DocLog(db, { compactEvery: 0 })

// Write the edits through the log exactly as the core does (one append per transaction).
const source = new Y.Doc()
let appended = 0
source.on('update', (update: Uint8Array) => {
  log.append('ws/queue', update)
  appended++
})
for (let i = 0; i < ITEMS; i++) insertItem(source, item(i))
let seed = 42
const rand = (n: number) => {
  seed = (seed * 1103515245 + 12345) % 2 ** 31
  return seed % n
}
const writeStarted = performance.now()
for (let e = 0; e < EDITS; e++) {
  const id = `item_${String(rand(ITEMS)).padStart(4, '0')}`
  const kind = rand(10)
  if (kind < 7) {
    const text = captionText(source, id, rand(2) === 0 ? 'linkedin' : 'x')
    if (rand(4) === 0 && text.length > 3) text.delete(rand(text.length), 1)
    else text.insert(rand(text.length + 1), 'abcdefghij'[rand(10)] ?? 'a')
  } else if (kind < 9) {
    itemsMap(source).get(id)?.set('priority', rand(101))
  } else {
    itemsMap(source)
      .get(id)
      ?.set('status', rand(2) === 0 ? 'approved' : 'published')
  }
}
const writeMs = performance.now() - writeStarted
// The baseline: the same content as one update.
log.append('ws/baseline', Y.encodeStateAsUpdate(source))

const rawRuns: number[] = []
for (let r = 0; r < 5; r++) rawRuns.push(timeLoad(log, 'ws/queue').ms)
const rawStats = log.stats('ws/queue')

const compactStarted = performance.now()
const compaction = log.compact('ws/queue')
const compactMs = performance.now() - compactStarted

const compactedRuns: number[] = []
const baselineRuns: number[] = []
// Warm up both paths, then alternate which goes first so JIT, cache and GC effects even out.
timeLoad(log, 'ws/queue')
timeLoad(log, 'ws/baseline')
for (let r = 0; r < RUNS; r++) {
  if (r % 2 === 0) {
    compactedRuns.push(timeLoad(log, 'ws/queue').ms)
    baselineRuns.push(timeLoad(log, 'ws/baseline').ms)
  } else {
    baselineRuns.push(timeLoad(log, 'ws/baseline').ms)
    compactedRuns.push(timeLoad(log, 'ws/queue').ms)
  }
}
const check = timeLoad(log, 'ws/queue').doc
const same =
  JSON.stringify(check.getMap('items').toJSON()) === JSON.stringify(source.getMap('items').toJSON())

const compacted = median(compactedRuns)
const baseline = median(baselineRuns)
const baselineBytes = Y.encodeStateAsUpdate(source).length
console.log('core doc-log compaction benchmark')
console.log(
  `  edits: ${EDITS} on ${ITEMS} items (${appended} updates appended in ${writeMs.toFixed(0)} ms, ${((writeMs * 1000) / appended).toFixed(1)} µs/update)`,
)
console.log(
  `  load raw log (${rawStats.updates} updates):     median ${median(rawRuns).toFixed(2)} ms`,
)
console.log(
  `  compaction (${compaction?.merged} updates → ${compaction?.bytes} B): ${compactMs.toFixed(1)} ms`,
)
console.log(`  load after compaction:          median ${compacted.toFixed(2)} ms (${RUNS} runs)`)
console.log(
  `  load same content, one update:  median ${baseline.toFixed(2)} ms (${baselineBytes} B)`,
)
console.log(`  ratio compacted / one update:   ${(compacted / baseline).toFixed(2)}× (target ≤ 2×)`)
console.log(`  content identical after compaction: ${same}`)
db.close()
rmSync(dir, { recursive: true, force: true })
if (!same) process.exit(1)
