import { createRequire } from 'node:module'
import { Worker } from 'node:worker_threads'
import * as Y from 'yjs'
import { eraseDeletedMembers } from '../../../common/doc/directory-doc'
import type { SqliteStore } from '../../persistence/sqlite-store'
import { dropPending } from '../../validation'
import type { CompactResult, DocStore, Lease, LeaseProvider, StoredDoc } from '../types'

type Pending = {
  room: string
  firstSeq: number
  updates: readonly Uint8Array[]
  resolve: (lastSeq: number) => void
  reject: (error: Error) => void
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
 * The embedded default DocStore: the SQLite update log, with group commit. Appends made during
 * one event-loop turn (every frame the poll phase read, across rooms) are committed together in
 * one transaction at the end of the turn, and their promises resolve after that commit, so rooms
 * still broadcast only what is durable, at one fsync per turn instead of one per update.
 * Seqs are assigned at call time from a per-room counter (one process owns the data dir).
 */
export class SqliteDocStore implements DocStore {
  readonly leases: LeaseProvider = new LocalLeases()
  readonly #store: SqliteStore
  readonly #seqs = new Map<string, number>()
  #batch: Pending[] = []
  #scheduled = false
  #closed = false
  /** Transactions committed and appends in them, for benchmarks. */
  readonly commits = { transactions: 0, appends: 0, checkpoints: 0, checkpointsOffLoop: 0 }
  /** SQLite's total_changes() (rows this connection wrote, documents and tables alike). */
  readonly #changes: () => number
  #changesAtCheckpoint = 0
  #changesAtTick = 0
  readonly #checkpointTimer: NodeJS.Timeout
  /** The checkpoint worker: not started yet (undefined), or none (null: checkpoints on the loop). */
  #worker: Worker | null | undefined = undefined
  #checkpointing = false
  /** One transaction function for every group commit (better-sqlite3 builds one per call). */
  readonly #commit: (batch: readonly Pending[]) => void

  constructor(store: SqliteStore) {
    this.#store = store
    this.#commit = store.db.transaction((batch: readonly Pending[]) => {
      for (const p of batch) store.append(p.room, p.firstSeq, p.updates)
    })
    // SQLite's automatic checkpoint runs inside the commit that crosses 1,000 WAL pages, i.e.
    // before that turn's broadcasts: it is turned off and a PASSIVE checkpoint (never waits for
    // readers) runs from a timer instead, once writes pause for a tick, or after
    // CHECKPOINT_AFTER_ROWS rows of writes that never pause — after broadcasts, not before them.
    store.db.pragma('wal_autocheckpoint = 0')
    const count = store.db.prepare('SELECT total_changes()').pluck()
    this.#changes = () => count.get() as number
    this.#changesAtCheckpoint = this.#changesAtTick = this.#changes()
    this.#checkpointTimer = setInterval(() => this.#tick(), CHECKPOINT_TICK_MS)
    this.#checkpointTimer.unref()
  }

  #tick(): void {
    if (this.#closed) return
    let changes: number
    try {
      changes = this.#changes()
    } catch {
      return
    }
    const quiet = changes === this.#changesAtTick
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

  async load(room: string): Promise<StoredDoc> {
    return this.loadNow(room)
  }

  loadNow(room: string): StoredDoc {
    this.flush()
    const stored = this.#store.load(room)
    this.#seqs.set(room, stored.lastSeq)
    return stored
  }

  append(room: string, updates: readonly Uint8Array[]): Promise<number> {
    if (this.#closed) return Promise.reject(new Error('store closed'))
    let last: number
    try {
      last = this.#seqs.get(room) ?? this.#store.lastSeq(room)
    } catch (error) {
      return Promise.reject(error as Error)
    }
    const firstSeq = last + 1
    this.#seqs.set(room, last + updates.length)
    return new Promise<number>((resolve, reject) => {
      this.#batch.push({ room, firstSeq, updates, resolve, reject })
      if (!this.#scheduled) {
        this.#scheduled = true
        setImmediate(() => this.flush())
      }
    })
  }

  /** Commit every pending append now, in one transaction; false if that failed. */
  flush(): boolean {
    this.#scheduled = false
    const batch = this.#batch
    if (batch.length === 0) return true
    this.#batch = []
    try {
      this.#commit(batch)
    } catch (error) {
      // Nothing of the batch is stored: the counters are re-read from the database next time.
      for (const p of batch) this.#seqs.delete(p.room)
      for (const p of batch) p.reject(error as Error)
      return false
    }
    this.commits.transactions++
    this.commits.appends += batch.length
    for (const p of batch) p.resolve(p.firstSeq + p.updates.length - 1)
    return true
  }

  async compact(room: string, uptoSeq: number): Promise<CompactResult> {
    this.flush()
    const stored = this.#store.loadUpTo(room, uptoSeq)
    const snapshot = foldUpdates(stored, room)
    const removedUpdates = this.#store.compact(room, snapshot, stored.lastSeq)
    return { removedUpdates, snapshotBytes: snapshot.byteLength, uptoSeq: stored.lastSeq }
  }

  async countUpdates(room: string): Promise<number> {
    this.flush()
    return this.#store.countUpdates(room)
  }

  /** Forget a room's counter (unloaded: its next append re-reads it). */
  forget(room: string): void {
    if (!this.#batch.some((p) => p.room === room)) this.#seqs.delete(room)
  }

  async close(): Promise<void> {
    this.flush()
    this.#closed = true
    clearInterval(this.#checkpointTimer)
    // The worker's connection closes first: closing the database's last connection checkpoints
    // and removes the WAL itself.
    const worker = this.#worker
    this.#worker = null
    if (worker) {
      const exited = new Promise<void>((done) => worker.once('exit', () => done()))
      worker.postMessage('close')
      await exited
    }
  }
}
