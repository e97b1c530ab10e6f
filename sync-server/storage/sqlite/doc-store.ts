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
/** Rows written after which a checkpoint runs even without a pause (~1,000 WAL pages). */
const CHECKPOINT_AFTER_ROWS = 500

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
  readonly commits = { transactions: 0, appends: 0, checkpoints: 0 }
  /** SQLite's total_changes() (rows this connection wrote, documents and tables alike). */
  readonly #changes: () => number
  #changesAtCheckpoint = 0
  #changesAtTick = 0
  readonly #checkpointTimer: NodeJS.Timeout

  constructor(store: SqliteStore) {
    this.#store = store
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
    if (this.checkpoint()) this.#changesAtCheckpoint = changes
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
      this.#store.db.transaction(() => {
        for (const p of batch) this.#store.append(p.room, p.firstSeq, p.updates)
      })()
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
    // Closing the database's last connection checkpoints and removes the WAL itself.
    clearInterval(this.#checkpointTimer)
  }
}
