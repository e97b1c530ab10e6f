import * as Y from 'yjs'
import type { Db } from './database'

export type DocLogOptions = {
  /** Compact a document after this many appended updates (0 disables automatic compaction). */
  compactEvery?: number
  /** Test seam: called inside the compaction transaction after the snapshot is written. */
  afterSnapshotWrite?: (doc: string) => void
}

export type CompactionResult = { doc: string; uptoSeq: number; merged: number; bytes: number }

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

  /** Append one update durably (the insert commits before this returns). Returns its seq. */
  append(doc: string, update: Uint8Array): number {
    const info = this.insertUpdate.run(
      doc,
      Buffer.from(update.buffer, update.byteOffset, update.length),
    )
    const count = (this.sinceCompaction.get(doc) ?? 0) + 1
    this.sinceCompaction.set(doc, count)
    if (this.compactEvery > 0 && count >= this.compactEvery) this.scheduleCompaction(doc)
    return Number(info.lastInsertRowid)
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
      const merged = Y.encodeStateAsUpdate(ydoc)
      ydoc.destroy()
      const last = rows[rows.length - 1]?.seq ?? limit
      this.upsertSnapshot.run(doc, last, Buffer.from(merged), new Date().toISOString())
      this.afterSnapshotWrite?.(doc)
      this.deleteUpdatesUpTo.run(doc, last)
      return { doc, uptoSeq: last, merged: rows.length, bytes: merged.length }
    })
    const result = run()
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

  /** Stop background compaction; pending work is dropped (the caller compacts on close). */
  close(): void {
    this.closed = true
    this.due.clear()
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
      for (const name of docs) this.compact(name)
    })
  }
}
