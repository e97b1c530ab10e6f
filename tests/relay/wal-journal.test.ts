import { spawn } from 'node:child_process'
import { appendFileSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { openDatabase } from '../../sync-server/persistence/database'
import { PAGE_LIMIT_FILE_ENV, SqliteStore } from '../../sync-server/persistence/sqlite-store'
import { SqliteDocStore, stopWorker } from '../../sync-server/storage/sqlite/doc-store'
import {
  decodeRecords,
  encodeRecords,
  JOURNAL_FILE,
  type JournalEntry,
} from '../../sync-server/storage/sqlite/journal'
import { removeTempDir, tempDir } from '../helpers/process'
import { waitFor } from '../helpers/wait'

const ROOT = join(import.meta.dirname, '..', '..')

/** `count` updates of one client doc, each pushing `${prefix}${i}` to its 'log' array. */
function edits(prefix: string, count: number, doc = new Y.Doc()): Uint8Array[] {
  const out: Uint8Array[] = []
  const take = (u: Uint8Array) => out.push(u)
  doc.on('update', take)
  for (let i = 0; i < count; i++) doc.getArray<string>('log').push([`${prefix}${i}`])
  doc.off('update', take)
  return out
}

/** The 'log' array of what the store holds for `room`. */
async function logOf(store: SqliteDocStore, room: string): Promise<string[]> {
  const stored = await store.load(room)
  const doc = new Y.Doc()
  if (stored.snapshot) Y.applyUpdate(doc, stored.snapshot)
  for (const u of stored.updates) Y.applyUpdate(doc, u)
  const log = doc.getArray<string>('log').toArray()
  doc.destroy()
  return log
}

const journalSize = (dir: string) => statSync(join(dir, JOURNAL_FILE)).size

describe('update journal in front of SQLite (issue 11.3)', () => {
  it('start-up replays what SQLite lacks, ignores a torn or corrupt tail, and replaying again changes nothing', async () => {
    const dir = tempDir('porte-voix-journal-replay-')
    const db = openDatabase(dir)
    try {
      const room = 'ws_replay/queue'
      const updates = edits('e', 10)
      const entries: JournalEntry[] = [{ room, firstSeq: 1, updates }]
      const views: Uint8Array[][] = []
      const whole = encodeRecords(entries, views)
      // What the store keeps until the fold is views of the journal's bytes (not of the socket
      // chunks a client's update may be a view of).
      expect([...(views[0]?.[3] ?? [])]).toEqual([...(updates[3] ?? [])])
      expect(views[0]?.[3]?.buffer).toBe(whole.buffer)
      // As a kill leaves it: whole records, then a write cut short, then garbage.
      writeFileSync(join(dir, JOURNAL_FILE), whole)
      const next = encodeRecords([{ room, firstSeq: 11, updates: edits('late', 1, new Y.Doc()) }])
      appendFileSync(join(dir, JOURNAL_FILE), next.subarray(0, next.length - 3))
      expect(decodeRecords(Buffer.concat([whole, next.subarray(0, 12)])).validBytes).toBe(
        whole.length,
      )
      // A flipped byte inside a record ends what is read there.
      const flipped = Buffer.from(whole)
      flipped[flipped.length - 1] = (flipped[flipped.length - 1] as number) ^ 0xff
      expect(decodeRecords(flipped).records).toHaveLength(9)

      let store = new SqliteDocStore(new SqliteStore(db), { journal: true })
      expect(store.commits.replayedRows).toBe(10)
      expect(journalSize(dir)).toBe(0)
      expect(await logOf(store, room)).toEqual(Array.from({ length: 10 }, (_, i) => `e${i}`))
      // The torn record's seq is free again.
      expect(await store.append(room, edits('f', 1, new Y.Doc()))).toBe(11)
      await store.close()

      // A reader (read-only database) sees journal-only rows without replaying them; a store
      // started without the journal replays what a run with it acknowledged.
      writeFileSync(
        join(dir, JOURNAL_FILE),
        encodeRecords([{ room, firstSeq: 12, updates: edits('g', 2, new Y.Doc()) }]),
      )
      const reader = openDatabase(dir, { readonly: true })
      const readOnly = new SqliteDocStore(new SqliteStore(reader))
      expect(await readOnly.countUpdates(room)).toBe(13)
      await readOnly.close()
      reader.close()
      expect(journalSize(dir)).toBeGreaterThan(0)
      store = new SqliteDocStore(new SqliteStore(db))
      expect(store.commits.replayedRows).toBe(2)
      expect(journalSize(dir)).toBe(0)
      await store.close()

      // Killed after a fold committed but before the journal was emptied: the same records again.
      writeFileSync(join(dir, JOURNAL_FILE), whole)
      store = new SqliteDocStore(new SqliteStore(db), { journal: true })
      expect(store.commits.replayedRows).toBe(0)
      expect(await store.countUpdates(room)).toBe(13)
      // Records a compaction already folded into the snapshot are not brought back as rows.
      await store.compact(room, 13)
      await store.close()
      writeFileSync(join(dir, JOURNAL_FILE), whole)
      store = new SqliteDocStore(new SqliteStore(db), { journal: true })
      expect(store.commits.replayedRows).toBe(0)
      expect(await store.countUpdates(room)).toBe(0)
      expect((await logOf(store, room)).length).toBe(13)
      await store.close()
    } finally {
      db.close()
      removeTempDir(dir)
    }
  })

  it('a process SIGKILLed in the middle of a fold loses no acknowledged append', async () => {
    const dir = tempDir('porte-voix-journal-crash-')
    try {
      const rooms = 20
      const perRoom = 60
      const script = join(import.meta.dirname, 'fixtures', 'journal-crash.ts')
      const child = spawn(
        process.execPath,
        ['--import', 'tsx', script, dir, String(rooms), String(perRoom)],
        { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
      )
      let output = ''
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      child.stderr.on('data', (chunk: Buffer) => {
        output += chunk.toString()
      })
      const exit = await new Promise<NodeJS.Signals | null>((done) =>
        child.once('exit', (_code, signal) => done(signal)),
      )
      expect(output).toMatch(new RegExp(`acked ${rooms * perRoom} unfolded \\d+`))
      expect(exit, output).toBe('SIGKILL')

      const db = openDatabase(dir)
      try {
        const store = new SqliteDocStore(new SqliteStore(db), { journal: true })
        const unfolded = Number(/unfolded (\d+)/.exec(output)?.[1])
        expect(store.commits.replayedRows).toBe(unfolded)
        for (let r = 0; r < rooms; r++) {
          expect(await logOf(store, `ws_crash${r}/queue`)).toEqual(
            Array.from({ length: perRoom }, (_, i) => `r${r} e${i}`),
          )
        }
        await store.close()
      } finally {
        db.close()
      }
    } finally {
      removeTempDir(dir)
    }
  }, 60_000)

  it('reads and compaction see journal-only rows; a failed fold refuses appends until a fold succeeds', async () => {
    const dir = tempDir('porte-voix-journal-fold-')
    const db = openDatabase(dir)
    class Failing extends SqliteStore {
      failing = false
      override append(room: string, firstSeq: number, updates: readonly Uint8Array[]): void {
        if (this.failing) throw new Error('database or disk is full')
        super.append(room, firstSeq, updates)
      }
    }
    const raw = new Failing(db)
    const store = new SqliteDocStore(raw, { journal: true })
    try {
      const room = 'ws_fold/queue'
      const doc = new Y.Doc()
      const first = edits('a', 5, doc)
      for (const u of first) await store.append(room, [u])
      // In the journal only: SQLite has none of them, reads have them all.
      expect(raw.countUpdates(room)).toBe(0)
      expect(store.unfoldedRows).toBe(5)
      expect(await store.countUpdates(room)).toBe(5)
      expect(await logOf(store, room)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4'])
      // An unloaded room's next seq still counts them.
      store.forget(room)
      expect(await store.append(room, edits('b', 1, doc))).toBe(6)

      // SQLite full: the fold fails, the acknowledged rows stay, later appends are refused.
      raw.failing = true
      expect(store.fold()).toBe(false)
      const refused = edits('c', 1, doc)
      await expect(store.append(room, refused)).rejects.toThrow(/disk is full/)
      expect(await logOf(store, room)).toEqual(['a0', 'a1', 'a2', 'a3', 'a4', 'b0'])
      expect(journalSize(dir)).toBeGreaterThan(0)

      raw.failing = false
      expect(store.fold()).toBe(true)
      expect(journalSize(dir)).toBe(0)
      expect(raw.countUpdates(room)).toBe(6)
      // The refused append's seq was given back; its client sends it again.
      expect(await store.append(room, refused)).toBe(7)
      expect(await store.append(room, edits('d', 2, doc))).toBe(9)

      // A compaction folds journal-only rows into the snapshot: they never become rows.
      const folded = store.commits.foldedRows
      expect(await store.compact(room, 9)).toMatchObject({ removedUpdates: 9, uptoSeq: 9 })
      expect(store.unfoldedRows).toBe(0)
      expect(await store.countUpdates(room)).toBe(0)
      expect(store.fold()).toBe(true)
      expect(store.commits.foldedRows).toBe(folded)
      expect(raw.countUpdates(room)).toBe(0)
      expect(await logOf(store, room)).toEqual([
        'a0',
        'a1',
        'a2',
        'a3',
        'a4',
        'b0',
        'c0',
        'd0',
        'd1',
      ])
      // A compaction up to part of them: the rest are still read and still folded as rows.
      await store.append(room, edits('e', 3, doc))
      await store.compact(room, 10)
      expect(await store.countUpdates(room)).toBe(2)
      expect(store.fold()).toBe(true)
      expect(raw.countUpdates(room)).toBe(2)
      expect((await logOf(store, room)).slice(-3)).toEqual(['e0', 'e1', 'e2'])
    } finally {
      await store.close()
      db.close()
      removeTempDir(dir)
    }
  })

  it("a journal write() that fails (disk full) refuses that turn's appends, leaves no partial record, and the next turn is stored", async () => {
    const dir = tempDir('porte-voix-journal-full-')
    const limitFile = join(dir, 'max-page-count')
    writeFileSync(limitFile, '')
    // The disk-full test hook (the one durability-disk-full uses): read when the store opens.
    const before = process.env[PAGE_LIMIT_FILE_ENV]
    process.env[PAGE_LIMIT_FILE_ENV] = limitFile
    const db = openDatabase(join(dir, 'data'))
    let raw: SqliteStore
    try {
      raw = new SqliteStore(db)
    } finally {
      if (before === undefined) delete process.env[PAGE_LIMIT_FILE_ENV]
      else process.env[PAGE_LIMIT_FILE_ENV] = before
    }
    const store = new SqliteDocStore(raw, { journal: true })
    try {
      const room = 'ws_full/queue'
      const doc = new Y.Doc()
      expect(await store.append(room, edits('a', 1, doc))).toBe(1)
      const size = journalSize(join(dir, 'data'))
      writeFileSync(limitFile, '1')
      await waitFor('the hook sees a full disk', () => (raw.diskFullForTests ? true : null))
      const refused = edits('b', 2, doc)
      const results = await Promise.allSettled(refused.map((u) => store.append(room, [u])))
      // Both appends of the turn refused (never acknowledged, so never broadcast), the half
      // record the write left cut off, their seqs given back.
      expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected'])
      expect(String((results[0] as PromiseRejectedResult).reason)).toMatch(/ENOSPC/)
      expect(journalSize(join(dir, 'data'))).toBe(size)
      expect(await logOf(store, room)).toEqual(['a0'])
      writeFileSync(limitFile, '')
      await waitFor('space is back', () => (raw.diskFullForTests ? null : true))
      for (const u of refused) await store.append(room, [u])
      expect(await logOf(store, room)).toEqual(['a0', 'b0', 'b1'])
      expect(decodeRecords(readFileSync(join(dir, 'data', JOURNAL_FILE))).records).toHaveLength(3)
    } finally {
      await store.close()
      db.close()
      removeTempDir(dir)
    }
  })

  it('close() does not wait forever for a checkpoint worker that never answers (it is terminated)', async () => {
    // A worker that ignores 'close', as one stuck in a checkpoint on a failing disk would.
    const stuck = new Worker(
      "require('node:worker_threads').parentPort.on('message', () => {}); setInterval(() => {}, 1000)",
      { eval: true },
    )
    const exited = new Promise<void>((done) => stuck.once('exit', () => done()))
    expect(await stopWorker(stuck, 200)).toBe(false)
    await exited
    // One that answers is left to close by itself.
    const polite = new Worker(
      "const { parentPort } = require('node:worker_threads'); parentPort.on('message', () => parentPort.close())",
      { eval: true },
    )
    expect(await stopWorker(polite, 10_000)).toBe(true)
  })
})
