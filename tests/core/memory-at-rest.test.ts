import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { type CoreProcess, publishItem, startCore } from '../helpers/core'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

/**
 * An employee's core at rest returns its memory: once its read-only replicas sleep, and again
 * once it is idle after a window's requests, it runs one full collection that compacts, so V8
 * releases the emptied pages instead of keeping them committed (runtime-flags.ts collectAtRest).
 * Seen through V8's own --trace-gc lines in the core's output.
 */

type FullGc = { usedAfter: number; committedAfter: number; at: number; forced: boolean }

/** The core's full collections, from --trace-gc ("Mark-Compact 34.6 (36.6) -> 10.7 (13.7) MB"). */
function fullGcs(logs: string): FullGc[] {
  const found: FullGc[] = []
  const line = /Mark-Compact(?: \(reduce\))? [\d.]+ \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB[^\n]*/g
  for (const match of logs.matchAll(line)) {
    found.push({
      usedAfter: Number(match[1]),
      committedAfter: Number(match[2]),
      at: match.index,
      // gc() from the core (V8 says "testing"), not one of V8's own.
      forced: match[0].includes('testing'),
    })
  }
  return found
}

describe('core memory at rest', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let employee: CoreProcess

  beforeAll(async () => {
    relay = await startRelay()
    const workspaceId = await relay.createWorkspace('Rest')
    ;[champion, employee] = await Promise.all([
      startCore(),
      startCore({ execArgv: [...CORE_EXEC_ARGV, '--trace-gc'] }),
    ])
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    for (let n = 0; n < 60; n++)
      await publishItem(
        champion.client,
        `Item ${n}: what our teams shipped this week, and why it matters`,
      )
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
  }, 120_000)

  afterAll(async () => {
    await Promise.all([champion?.stop(), employee?.stop()])
    await relay?.stop()
  })

  it('compacts once its replicas sleep, a status read wakes none, and it compacts again once idle after a window’s requests', async () => {
    await waitFor(
      'every read-only replica asleep',
      () =>
        ['queue', 'directory', 'board'].every((doc) =>
          employee.logs().includes(`sync ${doc}: replica asleep`),
        ),
      { timeoutMs: 60_000 },
    )
    const asleepAt = employee.logs().lastIndexOf('replica asleep')
    const atSleep = await waitFor('a full GC after the replicas fell asleep', () =>
      fullGcs(employee.logs()).find((gc) => gc.at > asleepAt),
    )
    console.log(
      `[memory at rest] after the replicas slept: ${atSleep.usedAfter} MB used, ${atSleep.committedAfter} MB committed`,
    )
    // The join's requests were made while the replicas were loaded: no collection of its own
    // then, the sleep's one is the first the core asked for.
    expect(fullGcs(employee.logs()).filter((gc) => gc.forced && gc.at <= atSleep.at)).toHaveLength(
      1,
    )
    // Compacted: V8 keeps only a few MB of free pages past what is live (a plain full GC kept
    // more committed than live, about 2×, after a 1,000-item queue slept).
    expect(atSleep.committedAfter - atSleep.usedAfter).toBeLessThan(
      Math.max(4, atSleep.usedAfter * 0.4),
    )

    // A status read does not wake the sleeping directory (the name comes from the table).
    const awakeBefore = employee.logs().split('sync directory: replica awake').length
    for (let n = 0; n < 3; n++) {
      const status = await employee.client.call('status.get', {})
      expect(status.session?.workspaceName).toBe('Rest')
    }
    expect(employee.logs().split('sync directory: replica awake').length).toBe(awakeBefore)

    const window = await employee.connect()
    const before = fullGcs(employee.logs()).length
    // A window's burst of requests (a few MB allocated and dropped): below 1 MB of growth the
    // core leaves it to V8's own collections.
    for (let n = 0; n < 30; n++) {
      const queue = await window.call('queue.forMe', {})
      expect(queue.length).toBe(60)
    }
    const afterWork = await waitFor('a full GC once the core is idle again', () =>
      fullGcs(employee.logs()).at(before),
    )
    expect(afterWork.committedAfter - afterWork.usedAfter).toBeLessThan(
      Math.max(4, afterWork.usedAfter * 0.4),
    )
  }, 120_000)
})
