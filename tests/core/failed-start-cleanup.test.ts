import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { joinedPair } from '../helpers/team'

/**
 * A pair whose start fails (a core that exits before listening) leaves nothing behind: the caller
 * gets no relay to stop, so joinedPair stops it and removes its folder and the cores'. Folders
 * are made in a private temp dir (os.tmpdir() reads TMPDIR at each call), so other suites' do
 * not count.
 */

const savedTmp = process.env.TMPDIR
afterEach(() => {
  if (savedTmp === undefined) delete process.env.TMPDIR
  else process.env.TMPDIR = savedTmp
})

/** This worker's child processes still alive (not zombies, not ps itself): "pid command". */
function children(): string[] {
  const out = execFileSync('ps', ['-o', 'pid=,stat=,comm=', '--ppid', String(process.pid)], {
    encoding: 'utf8',
  })
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([pid, stat, comm]) => pid && !stat?.startsWith('Z') && comm !== 'ps')
    .map(([pid, , comm]) => `${pid} ${comm}`)
}

describe('a team whose start fails', () => {
  it('stops the relay already started and removes every folder made', async () => {
    const own = mkdtempSync(join(savedTmp ?? tmpdir(), 'r2-cleanup-'))
    try {
      expect(children()).toEqual([])
      process.env.TMPDIR = own
      await expect(
        joinedPair({
          workspace: 'Acme Failed',
          champion: 'Alice',
          employee: 'Eve',
          core: { args: ['--no-such-flag'] },
        }),
      ).rejects.toThrow(/exited before listening/)
      // (tsx's own cache folder may appear there too.)
      expect(readdirSync(own).filter((name) => name.startsWith('porte-voix-'))).toEqual([])
      expect(children()).toEqual([])
    } finally {
      rmSync(own, { recursive: true, force: true })
    }
  })
})
