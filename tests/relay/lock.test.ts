import { type ChildProcess, spawn } from 'node:child_process'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import {
  DataDirLockedError,
  lockDataDir,
  takeoverClaimFor,
} from '../../sync-server/persistence/lock'
import { tempDir } from '../helpers/process'

const ROOT = resolve(import.meta.dirname, '..', '..')
/** Above any pid_max (Linux caps it at 2^22), so never a live process. */
const DEAD_PID = 2 ** 31 - 2
/** Two live processes other than "self" to stand in for two relays in one test process. */
const RELAY_A = process.pid
const RELAY_B = process.ppid

const tmp = () => tempDir('porte-voix-lock-')
const lockFile = (dir: string) => join(dir, 'relay.lock')
/** The pid in the lock (`<pid> <nonce>`). */
const holder = (dir: string) => Number(readFileSync(lockFile(dir), 'utf8').split(' ')[0])

function claimOf(file: string): string {
  const claim = takeoverClaimFor(file)
  if (!claim) throw new Error(`${file} is missing`)
  return claim
}

function attempt(fn: () => () => void): (() => void) | Error {
  try {
    return fn()
  } catch (error) {
    return error as Error
  }
}

describe('data dir lock', () => {
  it('two relays taking over the same stale lock at once: exactly one wins', () => {
    const dir = tmp()
    writeFileSync(lockFile(dir), `${DEAD_PID}\n`)
    let rival: (() => void) | Error | null = null
    // A judges the lock stale; before it acts, B does the whole takeover. A must then see B's
    // fresh lock, not delete it.
    const mine = attempt(() =>
      lockDataDir(dir, {
        pid: RELAY_A,
        onStale: () => {
          rival ??= attempt(() => lockDataDir(dir, { pid: RELAY_B }))
        },
      }),
    )
    const outcomes = [mine, rival]
    expect(outcomes.filter((o) => typeof o === 'function')).toHaveLength(1)
    expect(outcomes.filter((o) => o instanceof DataDirLockedError)).toHaveLength(1)
    expect(typeof rival).toBe('function')
    expect(holder(dir)).toBe(RELAY_B)
    expect((mine as Error).message).toContain(`pid ${RELAY_B}`)
  })

  it('releasing removes only our own lock', () => {
    const dir = tmp()
    const unlock = lockDataDir(dir, { pid: RELAY_A })
    expect(holder(dir)).toBe(RELAY_A)
    expect(() => lockDataDir(dir, { pid: RELAY_B })).toThrow(DataDirLockedError)
    unlock()
    expect(readdirSync(dir)).toEqual([])
    const again = lockDataDir(dir, { pid: RELAY_B })
    unlock() // a stale handle from before: must not remove B's lock
    expect(holder(dir)).toBe(RELAY_B)
    again()
  })

  it('recovers from a relay that died in the middle of a takeover', () => {
    const dir = tmp()
    writeFileSync(lockFile(dir), `${DEAD_PID}\n`)
    const claim = claimOf(lockFile(dir))
    writeFileSync(claim, `${DEAD_PID - 1}\n`)
    const unlock = lockDataDir(dir, { pid: RELAY_A })
    expect(holder(dir)).toBe(RELAY_A)
    expect(readdirSync(dir)).toEqual(['relay.lock'])
    unlock()
  })

  it('waits out (refuses) while a live relay is taking over', () => {
    const dir = tmp()
    writeFileSync(lockFile(dir), `${DEAD_PID}\n`)
    writeFileSync(claimOf(lockFile(dir)), `${RELAY_B}\n`)
    expect(() => lockDataDir(dir, { pid: RELAY_A })).toThrow(/is taking over/)
    expect(holder(dir)).toBe(DEAD_PID)
  })

  it('real processes released at once on a stale lock: exactly one wins, every round', async () => {
    const script = join(import.meta.dirname, 'fixtures', 'lock-contender.ts')
    for (let round = 0; round < 4; round++) {
      const dir = tmp()
      writeFileSync(lockFile(dir), `${DEAD_PID}\n`)
      const children: ChildProcess[] = []
      const outputs: string[] = []
      try {
        const ready = Array.from({ length: 6 }, (_, i) => {
          const child = spawn(process.execPath, ['--import', 'tsx', script, dir], {
            cwd: ROOT,
            stdio: ['pipe', 'pipe', 'inherit'],
          })
          children.push(child)
          outputs[i] = ''
          return new Promise<void>((done, fail) => {
            child.stdout?.on('data', (chunk: Buffer) => {
              outputs[i] += chunk.toString('utf8')
              if (outputs[i]?.startsWith('ready\n')) done()
            })
            child.once('exit', (code) => fail(new Error(`contender exited early (${code})`)))
          })
        })
        await Promise.all(ready)
        for (const child of children) child.stdin?.write('go\n')
        const settled = () => outputs.every((o) => /\n(won|lost .*)\n/.test(o))
        while (!settled()) await new Promise((r) => setTimeout(r, 10))
        const winners = outputs.filter((o) => o.includes('\nwon\n'))
        expect(winners, outputs.join('')).toHaveLength(1)
        const winner = children[outputs.findIndex((o) => o.includes('\nwon\n'))]
        expect(holder(dir)).toBe(winner?.pid)
      } finally {
        for (const child of children) {
          child.removeAllListeners('exit')
          child.stdin?.end()
        }
        await Promise.all(
          children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)),
        )
      }
    }
  })
})
