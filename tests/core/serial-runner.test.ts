import { describe, expect, it } from 'vitest'
import { SerialRunner } from '../../main/core/lifecycle'

/** A runner whose runs end when the test says; counts what it did. */
function gated() {
  const log: string[] = []
  const ends: (() => void)[] = []
  let stopped = false
  let running = 0
  const runner = new SerialRunner({
    run: () => {
      running++
      log.push(`run ${running}`)
      expect(running).toBe(1)
      return new Promise<void>((resolve) =>
        ends.push(() => {
          running--
          resolve()
        }),
      )
    },
    before: () => log.push('before'),
    after: () => log.push('after'),
    stopped: () => stopped,
    failed: (error) => log.push(`failed: ${(error as Error).message}`),
  })
  const endRun = async () => {
    ends.shift()?.()
    await new Promise<void>((resolve) => setImmediate(resolve))
  }
  return { runner, log, endRun, stop: () => (stopped = true) }
}

describe('SerialRunner (outbox passes, results rounds)', () => {
  it('runs one at a time: kicks during a run make exactly one more, then after()', async () => {
    const { runner, log, endRun } = gated()
    runner.kick()
    runner.kick()
    runner.kick()
    expect(log).toEqual(['before', 'run 1'])
    await endRun()
    expect(log).toEqual(['before', 'run 1', 'before', 'run 1'])
    await endRun()
    expect(log).toEqual(['before', 'run 1', 'before', 'run 1', 'after'])
    expect(runner.running).toBeNull()
    await runner.idle()
  })

  it('againIfRunning: one more after the run under way, none when idle', async () => {
    const { runner, log, endRun } = gated()
    runner.againIfRunning()
    expect(log).toEqual([])
    runner.kick()
    runner.againIfRunning()
    await endRun()
    await endRun()
    expect(log).toEqual(['before', 'run 1', 'before', 'run 1', 'after'])
  })

  it('stopped: nothing starts, nothing follows the run under way; idle() waits for it', async () => {
    const { runner, log, endRun, stop } = gated()
    runner.kick()
    runner.kick()
    stop()
    const idle = runner.idle()
    await endRun()
    await idle
    runner.kick()
    expect(log).toEqual(['before', 'run 1'])
  })

  it('a run that rejects is reported to failed(), then the runner goes on as after a run', async () => {
    const log: string[] = []
    let runs = 0
    const runner = new SerialRunner({
      run: async () => {
        runs++
        log.push(`run ${runs}`)
        if (runs === 1) throw new Error('store read failed')
      },
      before: () => {},
      after: () => log.push('after'),
      stopped: () => false,
      failed: (error) => log.push(`failed: ${(error as Error).message}`),
    })
    runner.kick()
    runner.kick()
    // Before: the rejection went unhandled (vitest fails the run on it) and idle() rethrew it.
    await runner.idle()
    expect(log).toEqual(['run 1', 'failed: store read failed', 'run 2', 'after'])
    runner.kick()
    await runner.idle()
    expect(log.slice(4)).toEqual(['run 3', 'after'])
  })
})
