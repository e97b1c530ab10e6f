import * as Y from 'yjs'
import { eraseDeletedMembers } from '../../../common/doc/directory-doc'
import type { Db } from './database'

export type DocLogOptions = {
  /** Compact a document after this many appended updates (0 disables automatic compaction). */
  compactEvery?: number
  /** Test seam: called inside the compaction transaction after the snapshot is written. */
  afterSnapshotWrite?: (doc: string) => void
  /** Storage started failing (a fault) or works again (null). */
  onFault?: (fault: StorageFault | null) => void
}

export type CompactionResult = { doc: string; uptoSeq: number; merged: number; bytes: number }

/**
 * The log could not store updates (disk full, I/O error, read-only file): what windows and the
 * status show. `unsaved` updates are held in memory, in order, and written as soon as SQLite
 * accepts them again (retried every RETRY_MS and before each new append).
 */
export type StorageFault = {
  message: string
  code: string
  /** What the windows say (storageFull for a full disk, storageFailed for any other failure). */
  problem: 'storageFull' | 'storageFailed'
  unsaved: number
  since: string
}

/** How often held updates are retried while storage fails. */
const RETRY_MS = 1_000

/** A SQLite failure said in words a person can act on. */
export function storageMessage(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown }).code
  const text = error instanceof Error ? error.message : String(error)
  switch (code) {
    case 'SQLITE_FULL':
      return { code, message: 'The disk is full: changes cannot be saved until space is freed' }
    case 'SQLITE_IOERR':
    case 'SQLITE_IOERR_WRITE':
    case 'SQLITE_IOERR_FSYNC':
      return {
        code,
        message: `The disk could not be written (${text}): changes cannot be saved`,
      }
    case 'SQLITE_READONLY':
      return { code, message: 'The data file is read-only: changes cannot be saved' }
    default:
      return {
        code: typeof code === 'string' ? code : 'STORAGE',
        message: `Changes could not be saved (${text})`,
      }
  }
}

type SnapshotRow = { upto_seq: number; data: Buffer }

/**
 * The append-only Yjs update log of each document, plus one snapshot per document.
 * Loading merges the snapshot with the updates appended after it. Compaction folds the snapshot
 * and the updates up to a sequence number into a new snapshot and deletes those updates, in one
 * transaction: a crash at any point leaves either the old rows or the new ones, never a mix.
 */
export class DocLog {
  private readonly compactEvery: number
  private readonly afterSnapshotWrite: ((doc: string) => void) | undefined
  private readonly sinceCompaction = new Map<string, number>()
  private readonly due = new Set<string>()
  private compactionScheduled = false
  private closed = false
  private readonly onFault: ((fault: StorageFault | null) => void) | undefined
  /** Updates SQLite refused, oldest first: written before anything newer. */
  private readonly unsaved: { doc: string; data: Buffer }[] = []
  private currentFault: StorageFault | null = null
  private retryTimer: NodeJS.Timeout | null = null
  /** Work to redo once storage is back (a derived table that could not be written). */
  private readonly repairs: (() => void)[] = []

  private readonly insertUpdate
  private readonly selectSnapshot
  private readonly selectUpdates
  private readonly selectUpdatesUpTo
  private readonly selectMaxSeq
  private readonly upsertSnapshot
  private readonly deleteUpdatesUpTo
  private readonly countUpdatesAfter
  private readonly selectDocsWithUpdates
  private readonly deleteUpdates
  private readonly deleteSnapshot

  constructor(
    private readonly db: Db,
    options: DocLogOptions = {},
  ) {
    this.compactEvery = options.compactEvery ?? 500
    this.afterSnapshotWrite = options.afterSnapshotWrite
    this.onFault = options.onFault
    this.insertUpdate = db.prepare<[string, Buffer]>(
      'INSERT INTO doc_updates (doc, data) VALUES (?, ?)',
    )
    this.selectSnapshot = db.prepare<[string], SnapshotRow>(
      'SELECT upto_seq, data FROM doc_snapshots WHERE doc = ?',
    )
    this.selectUpdates = db.prepare<[string, number], { seq: number; data: Buffer }>(
      'SELECT seq, data FROM doc_updates WHERE doc = ? AND seq > ? ORDER BY seq',
    )
    this.selectUpdatesUpTo = db.prepare<[string, number, number], { seq: number; data: Buffer }>(
      'SELECT seq, data FROM doc_updates WHERE doc = ? AND seq > ? AND seq <= ? ORDER BY seq',
    )
    this.selectMaxSeq = db.prepare<[string], { seq: number | null }>(
      'SELECT MAX(seq) AS seq FROM doc_updates WHERE doc = ?',
    )
    this.upsertSnapshot = db.prepare<[string, number, Buffer, string]>(
      `INSERT INTO doc_snapshots (doc, upto_seq, data, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (doc) DO UPDATE SET upto_seq = excluded.upto_seq, data = excluded.data,
         updated_at = excluded.updated_at`,
    )
    this.deleteUpdatesUpTo = db.prepare<[string, number]>(
      'DELETE FROM doc_updates WHERE doc = ? AND seq <= ?',
    )
    this.countUpdatesAfter = db.prepare<[string, number], { n: number }>(
      'SELECT COUNT(*) AS n FROM doc_updates WHERE doc = ? AND seq > ?',
    )
    this.selectDocsWithUpdates = db.prepare<[], { doc: string }>(
      'SELECT DISTINCT doc FROM doc_updates',
    )
    this.deleteUpdates = db.prepare<[string]>('DELETE FROM doc_updates WHERE doc = ?')
    this.deleteSnapshot = db.prepare<[string]>('DELETE FROM doc_snapshots WHERE doc = ?')
  }

  /**
   * Append one update durably (the insert commits before this returns). Returns its seq, or null
   * when SQLite refused it. It never throws: it runs inside the document's update handler, where
   * a throw would stop the other listeners (the relay link, the windows, the queue table) after
   * Yjs already applied the update, leaving them out of step with memory. A refused update is
   * held in memory, in order, and written first once SQLite accepts writes again; `fault` says
   * so meanwhile. (Dropping it instead is not an option: this client's later updates build on
   * it, and nobody could integrate them.)
   */
  append(doc: string, update: Uint8Array): number | null {
    const data = Buffer.from(update.buffer, update.byteOffset, update.length)
    // Held updates go first, in order; once they are written this one is appended as usual.
    if (this.unsaved.length > 0 && !this.flush()) {
      this.unsaved.push({ doc, data })
      this.currentFault = this.currentFault && {
        ...this.currentFault,
        unsaved: this.unsaved.length,
      }
      return null
    }
    let seq: number
    try {
      seq = Number(this.insertUpdate.run(doc, data).lastInsertRowid)
    } catch (error) {
      this.unsaved.push({ doc, data })
      this.fail(error)
      return null
    }
    this.counted(doc)
    return seq
  }

  /** Why updates are not being stored, or null when everything is on disk. */
  get fault(): StorageFault | null {
    return this.currentFault
  }

  /**
   * Something derived from the log (the queue table) could not be written: `repair` redoes it
   * once storage works again (repairs run in the order they failed), and until then the log
   * reports the fault. Called from update handlers, which must not throw.
   */
  failedDerived(error: unknown, repair: () => void): void {
    this.repairs.push(repair)
    this.fail(error)
  }

  /**
   * Try to write the held updates now (in one transaction), then the repairs; true when nothing
   * is left to do.
   */
  flush(): boolean {
    if (this.unsaved.length === 0 && this.currentFault === null) return true
    try {
      if (this.unsaved.length > 0) {
        this.db.transaction(() => {
          for (const entry of this.unsaved) this.insertUpdate.run(entry.doc, entry.data)
        })()
        const written = this.unsaved.splice(0)
        for (const entry of written) this.counted(entry.doc)
      }
      while (this.repairs.length > 0) {
        ;(this.repairs[0] as () => void)()
        this.repairs.shift()
      }
    } catch (error) {
      this.fail(error)
      return false
    }
    this.clearRetry()
    this.currentFault = null
    this.onFault?.(null)
    return true
  }

  private counted(doc: string): void {
    const count = (this.sinceCompaction.get(doc) ?? 0) + 1
    this.sinceCompaction.set(doc, count)
    if (this.compactEvery > 0 && count >= this.compactEvery) this.scheduleCompaction(doc)
  }

  private fail(error: unknown): void {
    const { code, message } = storageMessage(error)
    const first = this.currentFault === null
    this.currentFault = {
      code,
      message,
      problem: code === 'SQLITE_FULL' ? 'storageFull' : 'storageFailed',
      unsaved: this.unsaved.length,
      since: this.currentFault?.since ?? new Date().toISOString(),
    }
    if (first || this.currentFault.unsaved % 100 === 1) this.onFault?.(this.currentFault)
    if (this.retryTimer === null && !this.closed) {
      this.retryTimer = setInterval(() => this.flush(), RETRY_MS)
      this.retryTimer.unref()
    }
  }

  private clearRetry(): void {
    if (this.retryTimer !== null) clearInterval(this.retryTimer)
    this.retryTimer = null
  }

  /**
   * Apply the stored state to `ydoc` (with `origin`, so the caller can skip re-appending it).
   * Updates are applied one by one inside one transaction: much faster than mergeUpdates on
   * thousands of small updates, and observers fire once.
   */
  loadInto(doc: string, ydoc: Y.Doc, origin: unknown): boolean {
    const snapshot = this.selectSnapshot.get(doc)
    const rows = this.selectUpdates.all(doc, snapshot?.upto_seq ?? 0)
    this.sinceCompaction.set(doc, rows.length)
    if (!snapshot && rows.length === 0) return false
    ydoc.transact(() => {
      if (snapshot) Y.applyUpdate(ydoc, new Uint8Array(snapshot.data), origin)
      for (const row of rows) Y.applyUpdate(ydoc, new Uint8Array(row.data), origin)
    }, origin)
    return true
  }

  /** Counts, for tests and diagnostics. */
  stats(doc: string): { updates: number; snapshotSeq: number | null; snapshotBytes: number } {
    const snapshot = this.selectSnapshot.get(doc)
    return {
      // seq starts at 1 (AUTOINCREMENT): "after 0" is every update of the document.
      updates: this.countUpdatesAfter.get(doc, 0)?.n ?? 0,
      snapshotSeq: snapshot?.upto_seq ?? null,
      snapshotBytes: snapshot?.data.length ?? 0,
    }
  }

  /**
   * Merge the snapshot and every update up to `uptoSeq` (default: the latest) into one snapshot
   * and delete those updates, atomically. Going through a Y.Doc (rather than only mergeUpdates)
   * garbage-collects deleted content, so the snapshot loads as fast as a fresh encoding.
   */
  compact(doc: string, uptoSeq?: number): CompactionResult | null {
    const run = this.db.transaction((): CompactionResult | null => {
      const limit = uptoSeq ?? this.selectMaxSeq.get(doc)?.seq ?? null
      if (limit === null) return null
      const snapshot = this.selectSnapshot.get(doc)
      const rows = this.selectUpdatesUpTo.all(doc, snapshot?.upto_seq ?? 0, limit)
      if (rows.length === 0) return null
      const ydoc = new Y.Doc()
      ydoc.transact(() => {
        if (snapshot) Y.applyUpdate(ydoc, new Uint8Array(snapshot.data))
        for (const row of rows) Y.applyUpdate(ydoc, new Uint8Array(row.data))
      })
      // A deleted member's id leaves the directory's history with its entry (issue 8.13).
      if (doc.endsWith('/directory')) eraseDeletedMembers(ydoc)
      const merged = Y.encodeStateAsUpdate(ydoc)
      ydoc.destroy()
      const last = rows[rows.length - 1]?.seq ?? limit
      this.upsertSnapshot.run(doc, last, Buffer.from(merged), new Date().toISOString())
      this.afterSnapshotWrite?.(doc)
      this.deleteUpdatesUpTo.run(doc, last)
      return { doc, uptoSeq: last, merged: rows.length, bytes: merged.length }
    })
    // IMMEDIATE: the write lock is taken before the first read. A deferred transaction that
    // reads and then writes cannot wait for a lock another connection holds (SQLite returns
    // SQLITE_BUSY at once, without the busy timeout), so a reader or backup checkpointing the
    // file at that moment made the compaction fail, e.g. the rewrite that erases moved-out content.
    const result = run.immediate()
    if (result) {
      // What is left after the snapshot counts towards the next compaction.
      this.sinceCompaction.set(doc, this.countUpdatesAfter.get(doc, result.uptoSeq)?.n ?? 0)
    }
    return result
  }

  /** Compact every document that has updates since its snapshot (used on close). */
  compactAll(): CompactionResult[] {
    const docs = this.selectDocsWithUpdates.all().map((row) => row.doc)
    return docs.flatMap((doc) => {
      const result = this.compact(doc)
      return result ? [result] : []
    })
  }

  /** Forget a document entirely (leaving a workspace). */
  remove(doc: string): void {
    this.db.transaction(() => {
      this.deleteUpdates.run(doc)
      this.deleteSnapshot.run(doc)
    })()
    this.sinceCompaction.delete(doc)
  }

  /**
   * Stop background compaction (pending work is dropped: the caller compacts on close) and the
   * retry timer, after a last try to write held updates. Returns how many could not be written.
   */
  close(): number {
    this.flush()
    this.closed = true
    this.clearRetry()
    this.due.clear()
    return this.unsaved.length
  }

  // Compaction runs off the update path (setImmediate) so a burst of edits is not slowed down.
  private scheduleCompaction(doc: string): void {
    this.due.add(doc)
    if (this.compactionScheduled) return
    this.compactionScheduled = true
    setImmediate(() => {
      this.compactionScheduled = false
      if (this.closed) return
      const docs = [...this.due]
      this.due.clear()
      for (const name of docs) {
        try {
          this.compact(name)
        } catch {
          // Compaction is an optimisation: with the disk full it waits for the next round (the
          // updates stay in the log, nothing is lost).
        }
      }
    })
  }
}
