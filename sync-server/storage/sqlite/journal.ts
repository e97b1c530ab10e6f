import {
  closeSync,
  existsSync,
  fdatasyncSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  writeSync,
} from 'node:fs'
import { dirname, join } from 'node:path'
import { crc32 } from 'node:zlib'

/**
 * The relay's update journal (issue 11.3): the appends of one event-loop turn are made durable by
 * ONE write() of checksummed records to a file the relay owns, instead of a SQLite commit (~30–40
 * µs of system calls on the WAL, its -shm index and file locks whatever it holds). The store folds
 * the journal into the `updates` table in large transactions and then truncates it; start-up
 * replays what SQLite lacks.
 *
 * Guarantee: the same as SQLite's default synchronous=NORMAL in WAL mode — a write() that returned
 * is in the OS page cache, so it survives the process being killed (SIGKILL, crash), not a power
 * cut or kernel panic. With `--synchronous full` each write is followed by fdatasync.
 *
 * Record: u32 payload length, u32 CRC-32 of the payload, then the payload: f64 seq, u16 room
 * length, room (UTF-8), update bytes. A torn or corrupt tail (a write cut by the kill) fails its
 * length or checksum and is ignored with everything after it.
 */
export const JOURNAL_FILE = 'relay.updates.journal'

const HEADER = 8
const FIXED = 8 + 2

export type JournalRecord = { room: string; seq: number; data: Uint8Array }

/** What one group commit writes: `updates[i]` gets seq `firstSeq + i`. */
export type JournalEntry = { room: string; firstSeq: number; updates: readonly Uint8Array[] }

/**
 * The records of `entries`, in order, as one buffer (one write). With `views`, each entry's
 * updates as views of that buffer are pushed to it: what is kept until the fold then holds the
 * journal's bytes only, not the socket chunks a client's update bytes may be views of.
 */
export function encodeRecords(entries: readonly JournalEntry[], views?: Uint8Array[][]): Buffer {
  let total = 0
  const roomBytes: Buffer[] = new Array(entries.length)
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e] as JournalEntry
    const name = nameBytes(entry.room)
    roomBytes[e] = name
    for (const update of entry.updates) total += HEADER + FIXED + name.length + update.byteLength
  }
  const out = Buffer.allocUnsafe(total)
  let at = 0
  for (let e = 0; e < entries.length; e++) {
    const entry = entries[e] as JournalEntry
    const name = roomBytes[e] as Buffer
    const length = name.length
    const ofEntry: Uint8Array[] | null = views ? [] : null
    for (let i = 0; i < entry.updates.length; i++) {
      const update = entry.updates[i] as Uint8Array
      const start = at + HEADER
      const payload = FIXED + length + update.byteLength
      out.writeDoubleLE(entry.firstSeq + i, start)
      out.writeUInt16LE(length, start + 8)
      out.set(name, start + FIXED)
      out.set(update, start + FIXED + length)
      ofEntry?.push(out.subarray(start + FIXED + length, start + payload))
      out.writeUInt32LE(payload, at)
      // A plain view for the checksum: Buffer's subarray costs more and nothing keeps this one.
      out.writeUInt32LE(crc32(new Uint8Array(out.buffer, out.byteOffset + start, payload)), at + 4)
      at = start + payload
    }
    if (ofEntry) views?.push(ofEntry)
  }
  return out
}

/** Room names as UTF-8, encoded once per room (every record carries its room's name). */
const names = new Map<string, Buffer>()
/** Rooms whose names are kept: beyond, the map starts over (a relay holds fewer rooms at once). */
const MAX_NAMES = 10_000

function nameBytes(room: string): Buffer {
  let bytes = names.get(room)
  if (bytes === undefined) {
    if (names.size >= MAX_NAMES) names.clear()
    bytes = Buffer.from(room, 'utf8')
    names.set(room, bytes)
  }
  return bytes
}

/** The whole records of `bytes`, up to the first torn or corrupt one. */
export function decodeRecords(bytes: Buffer): { records: JournalRecord[]; validBytes: number } {
  const records: JournalRecord[] = []
  let at = 0
  while (at + HEADER <= bytes.length) {
    const payload = bytes.readUInt32LE(at)
    const start = at + HEADER
    if (payload < FIXED || start + payload > bytes.length) break
    const body = bytes.subarray(start, start + payload)
    if (crc32(body) !== bytes.readUInt32LE(at + 4)) break
    const seq = body.readDoubleLE(0)
    const length = body.readUInt16LE(8)
    if (FIXED + length > payload || !Number.isSafeInteger(seq) || seq < 1) break
    const room = body.toString('utf8', FIXED, FIXED + length)
    // A copy: the file's buffer is dropped once replayed.
    records.push({ room, seq, data: new Uint8Array(body.subarray(FIXED + length)) })
    at = start + payload
  }
  return { records, validBytes: at }
}

export class UpdateJournal {
  readonly file: string
  readonly #fd: number
  readonly #sync: boolean
  /** Test hook: when it says so, a write stops halfway with ENOSPC, as on a full disk. */
  readonly #diskFull: (() => boolean) | null
  /** Bytes of whole records in the file (a failed write is cut back to it). */
  #size: number
  /** A failed write could not be cut back: records after it would be hidden at replay. */
  #torn: Error | null = null

  constructor(file: string, options: { sync?: boolean; diskFull?: () => boolean } = {}) {
    this.file = file
    // Appends go to the end whatever a truncation left; owner-only like the database (8.11).
    this.#fd = openSync(file, 'a', 0o600)
    this.#size = fstatSync(this.#fd).size
    this.#sync = options.sync ?? false
    this.#diskFull = options.diskFull ?? null
  }

  /** What the file holds now (replayed at start-up before anything is appended). */
  static read(file: string): { records: JournalRecord[]; validBytes: number } {
    if (!existsSync(file)) return { records: [], validBytes: 0 }
    return decodeRecords(readFileSync(file))
  }

  get size(): number {
    return this.#size
  }

  /** Append `bytes` (whole records); throws if they are not all written (nothing then counts). */
  write(bytes: Buffer): void {
    if (this.#torn) throw this.#torn
    let written = 0
    try {
      if (this.#diskFull?.()) {
        // Part of the records reaches the file before the disk fills: the cut-back below runs.
        writeSync(this.#fd, bytes, 0, bytes.length >> 1)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        })
      }
      while (written < bytes.length) {
        written += writeSync(this.#fd, bytes, written, bytes.length - written)
      }
      if (this.#sync) fdatasyncSync(this.#fd)
    } catch (error) {
      // A partial record would hide every record after it at replay: cut it off.
      try {
        ftruncateSync(this.#fd, this.#size)
      } catch {
        // Still torn: nothing more may be appended (replay would stop at the torn record).
        this.#torn = error as Error
      }
      throw error
    }
    this.#size += bytes.length
  }

  /** Everything in the file is in SQLite (committed): empty it. */
  truncate(): void {
    ftruncateSync(this.#fd, 0)
    this.#size = 0
    this.#torn = null
  }

  close(): void {
    closeSync(this.#fd)
  }
}

/**
 * The records of the journal beside the database file `dbFile`, per room in seq order, read
 * without touching it: for readers of a data dir a relay may be running on (the admin tool's
 * export), which must see rows not yet folded. Read it BEFORE the database: a fold in between
 * then only means a row is in both (skip seqs the database already has).
 */
export function journalRowsBeside(dbFile: string): Map<string, JournalRecord[]> {
  const rows = new Map<string, JournalRecord[]>()
  if (!dbFile || dbFile === ':memory:') return rows
  let records: JournalRecord[]
  try {
    records = UpdateJournal.read(join(dirname(dbFile), JOURNAL_FILE)).records
  } catch {
    return rows
  }
  for (const record of records) {
    const ofRoom = rows.get(record.room)
    if (ofRoom) ofRoom.push(record)
    else rows.set(record.room, [record])
  }
  return rows
}
