import { existsSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { eraseDeletedMembers } from '../../../common/doc/directory-doc'
import type { SqliteStore } from '../../persistence/sqlite-store'
import { dropPending } from '../../validation'
import type {
  AppendSettled,
  CompactResult,
  DocStore,
  Lease,
  LeaseProvider,
  StoredDoc,
} from '../types'
import {
  encodeRecords,
  JOURNAL_FILE,
  type JournalEntry,
  journalRowsBeside,
  UpdateJournal,
} from './journal'

/** An append waiting for the turn's flush: settled through `settled` (appendThen) or its promise. */
type Pending = {
  room: string
  firstSeq: number
  updates: readonly Uint8Array[]
  settled: AppendSettled
  /** Refused at once (counter unreadable): settled with this in the flush, never written. */
  error: Error | null
}

/**
 * Fold a snapshot and updates into one snapshot, as a fresh doc holds them: deleted content is
 * garbage-collected and data that can never integrate is left out.
 */
export function foldUpdates(stored: StoredDoc, room?: string): Uint8Array {
  const doc = new Y.Doc()
  try {
    doc.transact(() => {
      if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
      for (const update of stored.updates) Y.applyUpdate(doc, update)
    })
    dropPending(doc)
    // A deleted member's id leaves the directory's history with its entry (issue 8.13).
    if (room?.endsWith('/directory')) eraseDeletedMembers(doc)
    return Y.encodeStateAsUpdate(doc)
  } finally {
    doc.destroy()
  }
}

/** How often the checkpoint timer looks; a tick without writes counts as a pause. */
const CHECKPOINT_TICK_MS = 250
/**
 * Rows written after which a checkpoint runs even without a pause. A checkpoint copies every
 * page written since the last one (rooms' rows sit on their own pages: ~a page per room), so
 * under steady writes its cost per row falls as rows per checkpoint grow: 500 rows cost ~5 µs a
 * row, 4,000 ~1.5 µs (issue 11.3, session 5). The WAL then peaks near 4,000 pages (16 MiB).
 */
const CHECKPOINT_AFTER_ROWS = 4000

/**
 * A checkpoint copies pages and fsyncs the WAL and the database file: on the event loop, a turn
 * waits for the disk (the busy-rooms p99). Under steady writes it runs in a worker thread on a
 * connection of its own instead (SQLite's WAL lets a PASSIVE checkpoint run beside the writer).
 * Plain JavaScript evaluated as the worker, so the built relay needs no extra file.
 */
const CHECKPOINTER = `
const { parentPort, workerData } = require('node:worker_threads')
const Database = require(workerData.driver)
const db = new Database(workerData.file, { fileMustExist: true })
db.pragma('synchronous = NORMAL')
parentPort.on('message', (message) => {
  if (message === 'close') {
    db.close()
    parentPort.close()
    return
  }
  try {
    db.pragma('wal_checkpoint(PASSIVE)')
    parentPort.postMessage(true)
  } catch {
    parentPort.postMessage(false)
  }
})
`

/** A checkpoint worker on the database file, or null if it cannot run one (in memory). */
function startCheckpointer(file: string): Worker | null {
  if (!file || file === ':memory:') return null
  const driver = createRequire(import.meta.url).resolve('better-sqlite3')
  const worker = new Worker(CHECKPOINTER, { eval: true, workerData: { driver, file } })
  // A store nobody closes (tools, tests) does not keep the process alive for it.
  worker.unref()
  return worker
}

/** How long close() waits for the checkpoint worker to close its connection and exit. */
export const WORKER_CLOSE_TIMEOUT_MS = 5000

/**
 * Ask `worker` to close its connection and wait for it to exit, at most `timeoutMs`: a worker
 * stuck in a checkpoint on a slow or failing disk must not hold the relay's shutdown forever.
 * Past the bound it is terminated (its connection's checkpoint, if any, is simply not finished:
 * the WAL stays for the next start). Resolves true if it closed by itself.
 */
export async function stopWorker(
  worker: Worker,
  timeoutMs = WORKER_CLOSE_TIMEOUT_MS,
): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const exited = new Promise<boolean>((done) => worker.once('exit', () => done(true)))
  const late = new Promise<boolean>((done) => {
    timer = setTimeout(() => done(false), timeoutMs)
  })
  try {
    worker.postMessage('close')
  } catch {
    // Already gone: 'exit' follows (or has fired; then the bound ends the wait).
  }
  const closed = await Promise.race([exited, late])
  clearTimeout(timer)
  if (!closed) await worker.terminate()
  return closed
}

/**
 * One process holds a SQLite data dir (persistence/lock.ts), so leases only need to exclude
 * tasks of this process.
 */
class LocalLeases implements LeaseProvider {
  readonly #held = new Map<string, number>()

  async acquire(key: string, ttlMs: number): Promise<Lease | null> {
    const now = Date.now()
    const until = this.#held.get(key)
    if (until !== undefined && until > now) return null
    this.#held.set(key, now + ttlMs)
    const held = this.#held
    return {
      key,
      renew: async () => {
        if (!held.has(key)) return false
        held.set(key, Date.now() + ttlMs)
        return true
      },
      release: async () => {
        held.delete(key)
      },
    }
  }
}

/**
 * The journal is folded into SQLite once it holds this many bytes (or rows), and whenever writes
 * pause for a tick. Until then its rows stay in memory too (reads and compactions see them), and
 * most never become rows: a room compacts every ~500 updates, and what its snapshot covers is
 * not inserted at all (a row costs ~5 µs in a large transaction, issue 11.3). The bound keeps the
 * memory they hold and the replay after a kill small.
 */
const FOLD_AT_BYTES = 16 * 1024 * 1024
const FOLD_AT_ROWS = 100_000

/** The journal's file beside a database file, or null for a database in memory. */
function journalFileOf(file: string): string | null {
  if (!file || file === ':memory:') return null
  return join(dirname(file), JOURNAL_FILE)
}

/**
 * The embedded default DocStore: the SQLite update log, with group commit. Appends made during
 * one event-loop turn (every frame the poll phase read, across rooms) are made durable together at
 * the end of the turn, and their promises resolve after that, so rooms still broadcast only what
 * is durable. On a database file, "durable" is one write() to the update journal (journal.ts)
 * instead of a SQLite commit; the journal is folded into the `updates` table in one transaction
 * when writes pause or it grows past FOLD_AT_BYTES, then emptied, and start-up replays what
 * SQLite lacks. Until folded, its rows are kept in memory: reads see them, and a compaction puts
 * them in its snapshot (they then never become rows). A failed fold (disk full) refuses appends
 * until a fold succeeds; what was acknowledged stays in the journal. A database in memory (tests,
 * tools), a read-only one, or a store made without `journal: true` has no journal: each turn is
 * one SQLite transaction.
 * Seqs are assigned at call time from a per-room counter (one process owns the data dir).
 */
export class SqliteDocStore implements DocStore {
  readonly leases: LeaseProvider = new LocalLeases()
  readonly #store: SqliteStore
  readonly #seqs = new Map<string, number>()
  #batch: Pending[] = []
  /** Entries of #batch refused at once (see #enqueue). */
  #refusedInBatch = 0
  #scheduled = false
  #closed = false
  /** Transactions committed and appends in them, for benchmarks. */
  readonly commits = {
    transactions: 0,
    appends: 0,
    checkpoints: 0,
    checkpointsOffLoop: 0,
    journalWrites: 0,
    folds: 0,
    foldedRows: 0,
    /** Wall time spent folding, on the loop (ms). */
    foldMs: 0,
    replayedRows: 0,
  }
  /** SQLite's total_changes() (rows this connection wrote, documents and tables alike). */
  readonly #changes: () => number
  #changesAtCheckpoint = 0
  #changesAtTick = 0
  #appendsAtTick = 0
  readonly #checkpointTimer: NodeJS.Timeout
  /** The checkpoint worker: not started yet (undefined), or none (null: checkpoints on the loop). */
  #worker: Worker | null | undefined = undefined
  #checkpointing = false
  /** One transaction function for every group commit (better-sqlite3 builds one per call). */
  readonly #commit: (batch: readonly JournalEntry[]) => void
  /** The update journal, or null (database in memory: each turn commits to SQLite). */
  readonly #journal: UpdateJournal | null
  #journalClosed = false
  /** Appends in the journal and not yet in SQLite, in order, and per room (reads see them). */
  #unfolded: JournalEntry[] = []
  #unfoldedByRoom = new Map<string, JournalEntry[]>()
  #unfoldedRows = 0
  /** Per room, the seq its latest snapshot covers, for rooms compacted since the last fold. */
  #compacted = new Map<string, number>()
  /** Why the last fold failed (appends are refused until one succeeds), or null. */
  #foldError: Error | null = null

  /**
   * `journal: true` (the relay's `--update-journal on`) puts the update journal in front of
   * SQLite; without it each turn is one SQLite commit, as before (issue 11.3: once the hooks'
   * per-change passes were gated, session 7, the journal saved 8–19% of the relay's CPU per edit
   * with 500 busy rooms under load; on a quiet machine 1.08× stock against 1.20× without it: the
   * relay's default since, config.ts; BENCHMARKS.md).
   */
  constructor(store: SqliteStore, options: { journal?: boolean } = {}) {
    this.#store = store
    this.#commit = store.db.transaction((batch: readonly JournalEntry[]) => {
      for (const p of batch) store.append(p.room, p.firstSeq, p.updates)
    })
    // SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, i.e.
    // before that turn's broadcasts: it is turned off and a PASSIVE checkpoint (never waits for
    // readers) runs from a timer instead, once writes pause for a tick, or after
    // CHECKPOINT_AFTER_ROWS rows of writes that never pause — after broadcasts, not before them.
    store.db.pragma('wal_autocheckpoint = 0')
    const count = store.db.prepare('SELECT total_changes()').pluck()
    this.#changes = () => count.get() as number
    const journalFile = journalFileOf(store.db.name)
    if (journalFile && store.db.readonly) {
      // A reader beside a relay (tools, tests): what the journal holds is read, never replayed.
      this.#journal = null
      for (const [room, records] of journalRowsBeside(store.db.name)) {
        // Folded but not yet truncated: the database has them already.
        const stored = store.lastSeq(room)
        const later = records.filter((r) => r.seq > stored)
        if (later.length > 0)
          this.#unfoldedByRoom.set(
            room,
            later.map((r) => ({ room, firstSeq: r.seq, updates: [r.data] })),
          )
      }
    } else if (journalFile && options.journal === true) {
      // FULL (2) or EXTRA (3): the journal fsyncs too, as SQLite would each commit.
      const sync = (store.db.pragma('synchronous', { simple: true }) as number) >= 2
      // The disk-full test hook fails the journal's writes too (persistence/sqlite-store.ts;
      // always false unless a test set it up).
      const diskFull = () => store.diskFullForTests
      this.#journal = new UpdateJournal(journalFile, { sync, diskFull })
      if (this.#journal.size > 0) {
        try {
          this.#replay(this.#journal)
        } catch (error) {
          this.#journal.close()
          throw error
        }
      }
    } else {
      this.#journal = null
      // Started without the journal after a run with it: what it acknowledged is replayed.
      if (journalFile && existsSync(journalFile) && statSync(journalFile).size > 0) {
        const left = new UpdateJournal(journalFile)
        try {
          this.#replay(left)
        } finally {
          left.close()
        }
      }
    }
    this.#changesAtCheckpoint = this.#changesAtTick = this.#changes()
    this.#checkpointTimer = setInterval(() => this.#tick(), CHECKPOINT_TICK_MS)
    this.#checkpointTimer.unref()
  }

  /**
   * Start-up: the journal's whole records that SQLite lacks go into `updates` (a record already
   * folded, or below the room's snapshot, is skipped: replaying twice changes nothing), then the
   * journal is emptied. A torn tail (the write the kill cut) is ignored: it was never acknowledged.
   * If SQLite cannot take them (disk full), this throws and the journal is left as it was.
   */
  #replay(journal: UpdateJournal): void {
    const { records } = UpdateJournal.read(journal.file)
    const db = this.#store.db
    const insert = db.prepare(
      `INSERT INTO updates (room, seq, data)
       SELECT @room, @seq, @data
       WHERE @seq > coalesce((SELECT upto_seq FROM snapshots WHERE room = @room), 0)
       ON CONFLICT DO NOTHING`,
    )
    let replayed = 0
    db.transaction(() => {
      for (const r of records) replayed += insert.run(r).changes
    })()
    this.commits.replayedRows = replayed
    journal.truncate()
  }

  #tick(): void {
    if (this.#closed) return
    // Quiet: no append and no other write since the last tick.
    const appendsQuiet = this.commits.appends === this.#appendsAtTick
    this.#appendsAtTick = this.commits.appends
    if (this.#unfolded.length > 0 && appendsQuiet) this.fold()
    let changes: number
    try {
      changes = this.#changes()
    } catch {
      return
    }
    const quiet = appendsQuiet && changes === this.#changesAtTick
    this.#changesAtTick = changes
    const written = changes - this.#changesAtCheckpoint
    if (written === 0 || (!quiet && written < CHECKPOINT_AFTER_ROWS)) return
    if (this.#checkpointing) return
    // Steady writes (no pause): from now on checkpoints run in the worker. A store that only
    // ever writes in bursts with pauses checkpoints small WALs on the loop and starts no thread.
    if (!quiet && this.#worker === undefined) this.#worker = this.#startWorker()
    const worker = this.#worker
    if (!worker) {
      if (this.checkpoint()) this.#changesAtCheckpoint = changes
      return
    }
    this.#checkpointing = true
    worker.once('message', (ok: boolean) => {
      this.#checkpointing = false
      if (!ok) return
      this.commits.checkpoints++
      this.commits.checkpointsOffLoop++
      this.#changesAtCheckpoint = changes
    })
    worker.postMessage('checkpoint')
  }

  #startWorker(): Worker | null {
    let worker: Worker | null
    try {
      worker = startCheckpointer(this.#store.db.name)
    } catch {
      return null
    }
    worker?.once('error', () => {
      // Back to checkpoints on the loop; what the worker was doing is done by the next tick.
      this.#worker = null
      this.#checkpointing = false
    })
    return worker
  }

  /** A PASSIVE checkpoint now (what a busy reader holds stays in the WAL for the next one). */
  checkpoint(): boolean {
    try {
      this.#store.db.pragma('wal_checkpoint(PASSIVE)')
      this.commits.checkpoints++
      return true
    } catch {
      // A failed checkpoint leaves the WAL as it was; the next tick tries again.
      return false
    }
  }

  get raw(): SqliteStore {
    return this.#store
  }

  /** Rows in the journal not yet in SQLite (tests, benchmarks). */
  get unfoldedRows(): number {
    return this.#unfoldedRows
  }

  async load(room: string): Promise<StoredDoc> {
    return this.loadNow(room)
  }

  loadNow(room: string): StoredDoc {
    this.flush()
    const stored = this.#store.load(room)
    // Journal-only rows come after everything SQLite has of the room.
    for (const entry of this.#unfoldedByRoom.get(room) ?? []) {
      for (let i = 0; i < entry.updates.length; i++) {
        const seq = entry.firstSeq + i
        if (seq <= stored.lastSeq) continue
        stored.updates.push(entry.updates[i] as Uint8Array)
        stored.lastSeq = seq
      }
    }
    this.#seqs.set(room, stored.lastSeq)
    return stored
  }

  append(room: string, updates: readonly Uint8Array[]): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      this.#enqueue(room, updates, (error, lastSeq) => {
        if (error) reject(error)
        else resolve(lastSeq)
      })
    })
  }

  /**
   * `append` without a promise: `settled` runs inside the flush that makes the updates durable
   * (the end of this turn, or an earlier flush()), in append order — a refusal found at once
   * (counter unreadable) too, so that a room hears of it after the appends before it, never
   * during this call. After close() (nothing pending then) the refusal comes in a microtask.
   * Never throws.
   */
  appendThen(room: string, updates: readonly Uint8Array[], settled: AppendSettled): void {
    this.#enqueue(room, updates, settled)
  }

  /** Both appends' one body (metrics wrap the public methods: an append is counted once). */
  #enqueue(room: string, updates: readonly Uint8Array[], settled: AppendSettled): void {
    if (this.#closed) {
      queueMicrotask(() => settled(new Error('store closed'), 0))
      return
    }
    let last: number | undefined = this.#seqs.get(room)
    if (last === undefined) {
      try {
        last = this.#storedLastSeq(room)
      } catch (error) {
        // Settled in the flush, in append order: reported now, it would come before the
        // settlements of this turn's earlier appends (issue 11 review, F1).
        this.#batch.push({ room, firstSeq: 0, updates, settled, error: error as Error })
        this.#refusedInBatch++
        this.#schedule()
        return
      }
    }
    const firstSeq = last + 1
    this.#seqs.set(room, last + updates.length)
    this.#batch.push({ room, firstSeq, updates, settled, error: null })
    this.#schedule()
  }

  #schedule(): void {
    if (!this.#scheduled) {
      this.#scheduled = true
      setImmediate(() => this.flush())
    }
  }

  /** The room's last seq in SQLite or, later, in the journal. */
  #storedLastSeq(room: string): number {
    const inJournal = this.#unfoldedByRoom.get(room)?.at(-1)
    if (inJournal) return inJournal.firstSeq + inJournal.updates.length - 1
    return this.#store.lastSeq(room)
  }

  /** Make every pending append durable now, in one write (or transaction); false if that failed. */
  flush(): boolean {
    this.#scheduled = false
    const batch = this.#batch
    if (batch.length === 0) return true
    this.#batch = []
    // What is written: the batch, less what was refused at once (rare: filtered only then).
    const writes = this.#refusedInBatch === 0 ? batch : batch.filter((p) => p.error === null)
    this.#refusedInBatch = 0
    const views: Uint8Array[][] = []
    try {
      if (writes.length === 0) {
        // Only refusals: nothing to write.
      } else if (!this.#journal) this.#commit(writes)
      else {
        // SQLite refused the last fold: what is acknowledged must be foldable, so nothing more is.
        if (this.#foldError) throw this.#foldError
        this.#journal.write(encodeRecords(writes, views))
      }
    } catch (error) {
      // Nothing of the batch is stored: each room's counter goes back to before its first one.
      for (let i = writes.length - 1; i >= 0; i--) {
        const p = writes[i] as Pending
        this.#seqs.set(p.room, p.firstSeq - 1)
      }
      for (const p of batch) p.settled(p.error ?? (error as Error), 0)
      return false
    }
    if (writes.length === 0) {
      for (const p of batch) p.settled(p.error, 0)
      return true
    }
    if (this.#journal) {
      this.commits.journalWrites++
      for (let b = 0; b < writes.length; b++) {
        const p = writes[b] as Pending
        const updates = views[b] ?? p.updates
        const entry: JournalEntry = { room: p.room, firstSeq: p.firstSeq, updates }
        this.#unfolded.push(entry)
        const ofRoom = this.#unfoldedByRoom.get(p.room)
        if (ofRoom) ofRoom.push(entry)
        else this.#unfoldedByRoom.set(p.room, [entry])
        this.#unfoldedRows += p.updates.length
      }
    } else this.commits.transactions++
    this.commits.appends += writes.length
    // appendThen's rooms send here, in append order; append's promises resolve (their rooms send
    // in the microtasks after this job).
    for (const p of batch)
      if (p.error) p.settled(p.error, 0)
      else p.settled(null, p.firstSeq + p.updates.length - 1)
    // After the settlements: the broadcasts (and the promises' microtasks) before a long fold.
    if (
      this.#unfoldedRows >= FOLD_AT_ROWS ||
      (this.#journal && this.#journal.size >= FOLD_AT_BYTES)
    )
      queueMicrotask(() => this.fold())
    return true
  }

  /**
   * Fold the journal's rows into SQLite in one transaction, then empty the journal; false if
   * SQLite refused them (they stay in the journal and in memory; appends are refused meanwhile).
   */
  fold(): boolean {
    // After close() the journal's descriptor is closed (its number may be another file's now).
    if (this.#journalClosed) return this.#unfolded.length === 0
    if (this.#unfolded.length === 0) {
      this.#foldError = null
      return true
    }
    // What a snapshot already covers is not inserted (replay skips it the same way).
    const rows: JournalEntry[] = []
    for (const entry of this.#unfolded) {
      const covered = this.#compacted.get(entry.room) ?? 0
      const last = entry.firstSeq + entry.updates.length - 1
      if (last <= covered) continue
      if (entry.firstSeq > covered) rows.push(entry)
      else
        rows.push({
          room: entry.room,
          firstSeq: covered + 1,
          updates: entry.updates.slice(covered + 1 - entry.firstSeq),
        })
    }
    const started = performance.now()
    try {
      this.#commit(rows)
    } catch (error) {
      this.#foldError = error as Error
      return false
    } finally {
      this.commits.foldMs += performance.now() - started
    }
    this.#foldError = null
    this.commits.transactions++
    this.commits.folds++
    for (const entry of rows) this.commits.foldedRows += entry.updates.length
    this.#unfolded = []
    this.#unfoldedByRoom = new Map()
    this.#unfoldedRows = 0
    this.#compacted = new Map()
    try {
      this.#journal?.truncate()
    } catch {
      // Left as it is: its records are in SQLite now, and replay skips them.
    }
    return true
  }

  async compact(room: string, uptoSeq: number): Promise<CompactResult> {
    this.flush()
    const stored = this.#store.loadUpTo(room, uptoSeq)
    // The room's journal-only rows up to uptoSeq are folded into the snapshot, never inserted.
    const inJournal = this.#unfoldedByRoom.get(room) ?? []
    let fromJournal = 0
    for (const entry of inJournal) {
      for (let i = 0; i < entry.updates.length; i++) {
        const seq = entry.firstSeq + i
        if (seq <= stored.lastSeq || seq > uptoSeq) continue
        stored.updates.push(entry.updates[i] as Uint8Array)
        stored.lastSeq = seq
        fromJournal++
      }
    }
    const snapshot = foldUpdates(stored, room)
    const removedUpdates = this.#store.compact(room, snapshot, stored.lastSeq) + fromJournal
    if (inJournal.length > 0) {
      this.#compacted.set(room, Math.max(this.#compacted.get(room) ?? 0, stored.lastSeq))
      const left = inJournal.filter((e) => e.firstSeq + e.updates.length - 1 > stored.lastSeq)
      this.#unfoldedRows -= fromJournal
      if (left.length > 0) this.#unfoldedByRoom.set(room, left)
      else this.#unfoldedByRoom.delete(room)
    }
    // A directory's compaction may erase a member (issue 8.13): the journal's older records of
    // it must not keep their name, so it is emptied now.
    if (room.endsWith('/directory')) this.fold()
    return { removedUpdates, snapshotBytes: snapshot.byteLength, uptoSeq: stored.lastSeq }
  }

  async countUpdates(room: string): Promise<number> {
    this.flush()
    // Journal-only rows a snapshot does not cover yet.
    const covered = this.#compacted.get(room) ?? 0
    let inJournal = 0
    for (const entry of this.#unfoldedByRoom.get(room) ?? [])
      inJournal += Math.min(
        entry.updates.length,
        entry.firstSeq + entry.updates.length - 1 - covered,
      )
    return this.#store.countUpdates(room) + inJournal
  }

  /**
   * After an erasure (issue 8.13): the journal's records, which may still name the erased member,
   * go into SQLite and the journal is emptied, before the caller truncates SQLite's WAL.
   */
  purgeJournal(): void {
    if (this.#closed) return
    this.flush()
    this.fold()
  }

  /** Forget a room's counter (unloaded: its next append re-reads it). */
  forget(room: string): void {
    if (!this.#batch.some((p) => p.room === room)) this.#seqs.delete(room)
  }

  async close(): Promise<void> {
    this.flush()
    this.#closed = true
    clearInterval(this.#checkpointTimer)
    // What the journal holds goes into SQLite; if it cannot, the journal keeps it for the next
    // start's replay.
    this.fold()
    this.#journal?.close()
    this.#journalClosed = true
    // The worker's connection closes first: closing the database's last connection checkpoints
    // and removes the WAL itself.
    const worker = this.#worker
    this.#worker = null
    if (worker) await stopWorker(worker)
  }
}
