import { readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * One relay per data dir: two would hand out the same sequence numbers for a room. The lock is
 * a file holding the owner's pid; one left behind by a killed relay (pid gone, or our own pid
 * after a container restart) is taken over.
 */
export class DataDirLockedError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'DataDirLockedError'
  }
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM'
  }
}

export function lockDataDir(dataDir: string): () => void {
  const file = join(dataDir, 'relay.lock')
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(file, `${process.pid}\n`, { flag: 'wx' })
      return () => rmSync(file, { force: true })
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    }
    const owner = Number(readFileSync(file, 'utf8').trim())
    if (isAlive(owner)) {
      throw new DataDirLockedError(`another relay (pid ${owner}) is using ${dataDir}`)
    }
    rmSync(file, { force: true })
  }
  throw new DataDirLockedError(`could not lock ${dataDir}`)
}
