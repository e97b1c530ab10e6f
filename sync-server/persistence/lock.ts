import { createHash, randomUUID } from 'node:crypto'
import {
  closeSync,
  fstatSync,
  linkSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeSync,
} from 'node:fs'
import { basename, dirname, join } from 'node:path'

/**
 * One relay per data dir: two would hand out the same sequence numbers for a room. The lock is
 * a file holding the owner's pid; one left behind by a killed relay (pid gone, or our own pid
 * after a container restart) is taken over.
 *
 * Every step is atomic against other relays doing the same:
 * - a lock file appears with its content already in it (`<pid> <random nonce>`, written to a
 *   temp file, then hard-linked into place, which fails if the lock exists), so nobody ever
 *   reads a half-written lock;
 * - a stale lock is removed only by the one relay that wins an exclusive "takeover claim" named
 *   after that very file (device, inode, ctime and content: inode numbers and coarse ctimes get
 *   reused, the nonce does not), and only if the lock still is that file. Two relays that saw the
 *   same stale lock cannot both remove it, and a late one can never remove the fresh lock the
 *   winner put in its place.
 */
export class DataDirLockedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirLockedError'
  }
}

export type LockOptions = {
  /** The pid written into the lock (default: this process). Tests stand in for other relays. */
  pid?: number
  /** Called after a lock was judged stale and before it is taken over; tests put a rival here. */
  onStale?: () => void
}

const LOCK_FILE = 'relay.lock'
/** Claims of crashed takeovers are themselves taken over, this many levels deep at most. */
const MAX_CLAIM_DEPTH = 3

type FileId = { dev: bigint; ino: bigint; ctimeNs: bigint; content: string }
type Held = { pid: number; id: FileId }

function isAlive(pid: number, self: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === self) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

function code(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException).code
}

function sameFile(a: FileId, b: FileId): boolean {
  return a.dev === b.dev && a.ino === b.ino && a.ctimeNs === b.ctimeNs && a.content === b.content
}

/** The claim a takeover of exactly this file must win. */
function claimPath(file: string, id: FileId): string {
  const fingerprint = createHash('sha256')
    .update(`${id.dev}:${id.ino}:${id.ctimeNs}:${id.content}`)
    .digest('hex')
    .slice(0, 32)
  return `${file}.takeover-${fingerprint}`
}

/** Create `file` holding `pid`, atomically and only if it does not exist yet. */
function createWithPid(file: string, pid: number): boolean {
  const temp = `${file}.tmp-${pid}-${randomUUID()}`
  try {
    const fd = openSync(temp, 'wx')
    try {
      writeSync(fd, `${pid} ${randomUUID()}\n`)
    } finally {
      closeSync(fd)
    }
    try {
      linkSync(temp, file)
      return true
    } catch (error) {
      if (code(error) === 'EEXIST') return false
      throw error
    }
  } finally {
    rmSync(temp, { force: true })
  }
}

/** Who holds `file` and which file it is, read through one descriptor; null if it is gone. */
function readHolder(file: string): Held | null {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch (error) {
    if (code(error) === 'ENOENT') return null
    throw error
  }
  try {
    const stats = fstatSync(fd, { bigint: true })
    const content = readFileSync(fd, 'utf8')
    // `<pid>` alone is what relays before the nonce wrote.
    const pid = Number(content.trim().split(/\s+/)[0])
    return { pid, id: { dev: stats.dev, ino: stats.ino, ctimeNs: stats.ctimeNs, content } }
  } finally {
    closeSync(fd)
  }
}

/**
 * Remove `file` if it still is the stale file `stale`, under an exclusive claim on that file.
 * Returns without removing if another relay holds the claim, or the file changed meanwhile:
 * the caller then looks again.
 */
function removeStale(file: string, stale: FileId, pid: number, dataDir: string, depth = 0): void {
  const claim = claimPath(file, stale)
  if (!createWithPid(claim, pid)) {
    const claimant = readHolder(claim)
    if (claimant === null) return
    if (isAlive(claimant.pid, pid)) {
      throw new DataDirLockedError(`another relay (pid ${claimant.pid}) is taking over ${dataDir}`)
    }
    // Its claimant died half-way: the claim is as stale as the lock, and is removed the same way.
    if (depth >= MAX_CLAIM_DEPTH) {
      throw new DataDirLockedError(`stale takeover claims in ${dataDir}; remove ${claim}*`)
    }
    removeStale(claim, claimant.id, pid, dataDir, depth + 1)
    return
  }
  try {
    const now = readHolder(file)?.id
    // Nobody else may remove this file while we hold its claim, and no lock can be created
    // while it exists: checking and then removing is safe.
    if (now !== undefined && sameFile(now, stale)) rmSync(file, { force: true })
  } finally {
    rmSync(claim, { force: true })
  }
}

/** The claim a takeover of `file` as it is now would take (tests fake a crashed rival's). */
export function takeoverClaimFor(file: string): string | null {
  const held = readHolder(file)
  return held && claimPath(file, held.id)
}

/** Claims left by crashed takeovers name files that no longer are the lock: harmless, tidied. */
function removeLeftoverClaims(file: string): void {
  const prefix = `${basename(file)}.takeover-`
  for (const name of readdirSync(dirname(file))) {
    if (name.startsWith(prefix)) rmSync(join(dirname(file), name), { force: true })
  }
}

export function lockDataDir(dataDir: string, options: LockOptions = {}): () => void {
  const pid = options.pid ?? process.pid
  const file = join(dataDir, LOCK_FILE)
  // Each round either takes the lock, throws, or saw it change under a rival's takeover; a few
  // rounds settle any race.
  for (let attempt = 0; attempt < 5; attempt++) {
    if (createWithPid(file, pid)) {
      // Read once the temp name is gone (that changes the ctime); nothing touches it after.
      const mine = readHolder(file)?.id
      removeLeftoverClaims(file)
      return () => {
        // Remove only our own lock, never one that replaced it.
        const now = readHolder(file)?.id
        if (mine && now && sameFile(now, mine)) rmSync(file, { force: true })
      }
    }
    const holder = readHolder(file)
    if (holder === null) continue
    if (isAlive(holder.pid, pid)) {
      throw new DataDirLockedError(`another relay (pid ${holder.pid}) is using ${dataDir}`)
    }
    options.onStale?.()
    removeStale(file, holder.id, pid, dataDir)
  }
  throw new DataDirLockedError(`could not lock ${dataDir}`)
}
