/**
 * Relay compaction benchmark: `npx tsx tests/bench/relay-compaction.ts`
 *
 * Writes 10,000 small edits into a room through the relay's Room (each one appended to SQLite as
 * its own update, as clients send them), compacts, then measures how long loading the room from
 * SQLite takes (read snapshot + log, apply to a fresh Y.Doc), against the same content stored as
 * ONE update. Median of several runs; figures printed as a table.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as Y from 'yjs'
import { silentLogger } from '../../sync-server/log'
import { type Db, openDatabase } from '../../sync-server/persistence/database'
import { SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { loadDoc } from '../../sync-server/rooms/room'
import { RoomManager } from '../../sync-server/rooms/room-manager'

const EDITS = Number(process.env.EDITS ?? 10_000)
const RUNS = Number(process.env.RUNS ?? 15)
const SYNCHRONOUS = process.env.SYNCHRONOUS === 'full' ? 'full' : 'normal'

/** Deterministic pseudo-random numbers (mulberry32), so every run measures the same history. */
function rng(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Typing, mostly at the end, with some edits and deletions elsewhere; one update per edit. */
function smallEdits(doc: Y.Doc, count: number): void {
  const random = rng(42)
  const text = doc.getText('caption')
  const meta = doc.getMap('meta')
  for (let i = 0; i < count; i++) {
    const r = random()
    if (r < 0.8) text.insert(text.length, String.fromCharCode(97 + (i % 26)))
    else if (r < 0.9) text.insert(Math.floor(random() * (text.length + 1)), 'x')
    else if (r < 0.97 && text.length > 0) text.delete(Math.floor(random() * text.length), 1)
    else meta.set(`k${i % 50}`, i)
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

function storedBytes(db: Db, room: string): number {
  const u = db
    .prepare<[string], { b: number | null }>(
      'SELECT sum(length(data)) AS b FROM updates WHERE room = ?',
    )
    .get(room)
  const s = db
    .prepare<[string], { b: number | null }>(
      'SELECT sum(length(data)) AS b FROM snapshots WHERE room = ?',
    )
    .get(room)
  return (u?.b ?? 0) + (s?.b ?? 0)
}

function timeLoad(dataDir: string, room: string, expected: string): { ms: number; bytes: number } {
  const samples: number[] = []
  let bytes = 0
  for (let run = 0; run < RUNS + 2; run++) {
    const db = openDatabase(dataDir)
    bytes = storedBytes(db, room)
    const store = new SqliteStore(db)
    const started = performance.now()
    const { doc } = loadDoc(store, room)
    const ms = performance.now() - started
    if (doc.getText('caption').toString() !== expected)
      throw new Error(`${room}: content differs after load`)
    doc.destroy()
    db.close()
    if (run >= 2) samples.push(ms) // two warm-up runs (JIT, page cache)
  }
  return { ms: median(samples), bytes }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-'))
  try {
    const db = openDatabase(dataDir, { synchronous: SYNCHRONOUS })
    const store = new SqliteStore(db)
    const rooms = new RoomManager(store, silentLogger, {
      idleUnloadMs: 60_000,
      compactEvery: Number.MAX_SAFE_INTEGER,
    })

    // 1. 10,000 edits through a relay room, one SQLite append each.
    const client = new Y.Doc()
    const room = await rooms.acquire({ workspaceId: 'ws_bench', doc: 'queue' })
    const peer = { id: 1, send() {} }
    client.on('update', (update: Uint8Array) => room.applyClientUpdate(update, peer))
    const writeStarted = performance.now()
    smallEdits(client, EDITS)
    const writeMs = performance.now() - writeStarted
    const expected = client.getText('caption').toString()

    // Same log, copied uncompacted to another room, for reference — once every edit is stored
    // (the room's appends are committed together, after the turn that applied them).
    await room.idle()
    const log = store.load('ws_bench/queue').updates
    store.append('ws_bench/uncompacted', 1, log)
    room.compact('periodic')
    rooms.release(room)
    await rooms.closeAll()

    // 2. The same content as ONE update: the full state of the client's doc…
    store.append('ws_bench/one-update', 1, [Y.encodeStateAsUpdate(client)])
    // …and the final text typed in one go into a fresh doc (no edit history at all).
    const flat = new Y.Doc()
    flat.getText('caption').insert(0, expected)
    for (const [k, v] of client.getMap('meta').entries()) flat.getMap('meta').set(k, v)
    store.append('ws_bench/one-insert', 1, [Y.encodeStateAsUpdate(flat)])
    db.close()

    const compacted = timeLoad(dataDir, 'ws_bench/queue', expected)
    const oneUpdate = timeLoad(dataDir, 'ws_bench/one-update', expected)
    const oneInsert = timeLoad(dataDir, 'ws_bench/one-insert', expected)
    const uncompacted = timeLoad(dataDir, 'ws_bench/uncompacted', expected)

    const row = (name: string, r: { ms: number; bytes: number }) =>
      `${name.padEnd(44)} ${r.ms.toFixed(2).padStart(9)} ms ${String(r.bytes).padStart(10)} B ${(r.ms / oneUpdate.ms).toFixed(2).padStart(7)}×`
    console.log(
      `relay room load from SQLite — ${EDITS} small edits, median of ${RUNS} runs (node ${process.version})`,
    )
    console.log(
      `writing ${EDITS} edits through the room (one SQLite commit each, synchronous=${SYNCHRONOUS}): ${writeMs.toFixed(0)} ms`,
    )
    console.log(
      `${'case'.padEnd(44)} ${'load'.padStart(12)} ${'stored'.padStart(12)} ${'vs one'.padStart(8)}`,
    )
    console.log(row('compacted (snapshot after 10k edits)', compacted))
    console.log(row('same content as ONE update (client state)', oneUpdate))
    console.log(row('same text inserted in one go (no history)', oneInsert))
    console.log(row('uncompacted log (10k rows), reference', uncompacted))
    const ratio = compacted.ms / oneUpdate.ms
    console.log(
      `compacted / one update = ${ratio.toFixed(2)} (target ≤ 2): ${ratio <= 2 ? 'OK' : 'OVER'}`,
    )
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
