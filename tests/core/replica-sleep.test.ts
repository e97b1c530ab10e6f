import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { itemsMap } from '../../common/doc/queue-doc'
import { openDatabase } from '../../main/core/store/database'
import { DocLog } from '../../main/core/store/doc-log'
import { WorkspaceSync } from '../../main/core/sync/workspace-sync'
import { type CoreProcess, publishItem } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import type { RelayProcess } from '../helpers/relay'
import { tcpProxy } from '../helpers/tcp-proxy'
import { waitFor } from '../helpers/wait'
import { championAndEmployee } from './opened'

/**
 * An employee's core drops the replicas it only reads once they are unused for a while
 * (WorkspaceSync.sleep): the doc log holds them, and what arrives from the relay, a reconnection
 * or a read loads them again.
 */

const count = (text: string, needle: string) => text.split(needle).length - 1

describe('read-only replicas that sleep at rest', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let employee: CoreProcess
  let workspaceId: string

  beforeAll(async () => {
    ;({ relay, workspaceId, champion, employee } = await championAndEmployee('Nap'))
  })

  afterAll(async () => {
    await Promise.all([champion?.stop(), employee?.stop()])
    await relay?.stop()
  })

  it('an empty queue that slept gets its first item (the roots did not exist in the log yet)', async () => {
    // Runs first: the workspace has no item yet, so the employee's stored queue has no root.
    await waitFor('the employee’s queue replica asleep', () =>
      employee.logs().includes('sync queue: replica asleep'),
    )
    const slept = count(employee.logs(), 'sync queue: replica asleep')
    const first = await publishItem(champion.client, 'The very first')
    await waitFor('first item in the employee table', () =>
      readQueueTable(employee.dataDir).some((row) => row.id === first.id),
    )
    // Asleep again before the next test, which starts from a sleeping replica.
    await waitFor(
      'asleep again',
      () => count(employee.logs(), 'sync queue: replica asleep') > slept,
    )
  }, 120_000)

  it('an employee’s queue replica sleeps; a champion’s edit through the relay wakes it into the queue table and a connected window', async () => {
    const asleepBefore = count(employee.logs(), 'sync queue: replica asleep')
    const before = await publishItem(champion.client, 'Before the nap')
    await waitFor('first item in the employee table', () =>
      readQueueTable(employee.dataDir).some((row) => row.id === before.id),
    )
    // The item woke it (if it slept): asleep again after that.
    await waitFor(
      'the employee’s queue replica asleep',
      () => count(employee.logs(), 'sync queue: replica asleep') > asleepBefore,
    )
    const window = await employee.connect()
    const changed: number[] = []
    window.on('queue.changed', ({ count: n }) => changed.push(n))
    const woken = count(employee.logs(), 'sync queue: replica awake (relay)')
    const slept = count(employee.logs(), 'sync queue: replica asleep')

    const after = await publishItem(champion.client, 'After the nap')
    await waitFor('second item in the employee table', () =>
      readQueueTable(employee.dataDir).find((row) => row.id === after.id),
    )
    await waitFor('queue.changed at the window', () => changed.length > 0)
    const queue = await window.call('queue.forMe', {})
    expect(queue.map((entry) => entry.item.id)).toEqual(
      expect.arrayContaining([before.id, after.id]),
    )
    expect(count(employee.logs(), 'sync queue: replica awake (relay)')).toBeGreaterThan(woken)
    // Once quiet again it goes back to sleep (the window reads the table, not the replica).
    await waitFor(
      'asleep again',
      () => count(employee.logs(), 'sync queue: replica asleep') > slept,
    )
    // A champion writes the queue: its replica never sleeps (only the ones it reads may).
    expect(champion.logs()).not.toContain('sync queue: replica asleep')
  }, 120_000)

  it('reconnects after sleeping with its state vector: the relay sends what is new, not the whole document again', async () => {
    for (let n = 0; n < 20; n++)
      await publishItem(champion.client, `Filler ${n} ${'x'.repeat(200)}`)
    const { token, memberId } = await relay.issueToken({
      workspaceId,
      name: 'Émile',
      role: 'employee',
    })
    const proxy = await tcpProxy(new URL(relay.url))
    const log: string[] = []
    const docLog = new DocLog(openDatabase({ file: ':memory:' }))
    const sync = new WorkspaceSync({
      session: {
        relayUrl: proxy.url,
        token,
        claims: {
          sub: memberId,
          ws: workspaceId,
          role: 'employee',
          name: 'Émile',
          iat: 0,
          exp: 2e9,
        },
        joinedAt: new Date().toISOString(),
      },
      docLog,
      maxBackoffMs: 200,
      sleepAfterMs: 300,
      log: (line) => log.push(line),
    })
    try {
      await waitFor('synced', () => sync.status.sync === 'synced', { timeoutMs: 30_000 })
      const full = proxy.down()
      await waitFor('queue asleep', () => sync.isAsleep('queue'), { timeoutMs: 30_000 })
      expect(log.some((line) => line.startsWith('sync queue: replica asleep'))).toBe(true)

      proxy.cut()
      await waitFor('reconnected', () => proxy.accepted() > 3, { timeoutMs: 30_000 })
      await waitFor('synced again', () => sync.status.sync === 'synced', { timeoutMs: 30_000 })
      const resync = proxy.down() - full
      expect(log.some((line) => line.startsWith('sync queue: replica awake (connecting)'))).toBe(
        true,
      )
      // The whole queue (20-odd items) came the first time; a step 1 with this replica's state
      // vector brings back only the relay's step 1 and an empty step 2 per document.
      console.log(`[replica sleep] first sync ${full} bytes, resync after sleeping ${resync} bytes`)
      expect(full).toBeGreaterThan(8_000)
      expect(resync).toBeLessThan(full / 10)

      // What arrives while it sleeps is applied and stored, and the replica reads it.
      await waitFor('asleep again', () => sync.isAsleep('queue'), { timeoutMs: 30_000 })
      const updates: string[] = []
      sync.observe((doc) => updates.push(doc))
      const late = await publishItem(champion.client, 'While Émile sleeps')
      await waitFor('the update at the sleeping replica', () => updates.includes('queue'))
      expect(itemsMap(sync.docs.queue).has(late.id)).toBe(true)
      // A fresh replica loaded from the doc log alone has it too (it was stored).
      const reloaded = new Y.Doc()
      docLog.loadInto(`${workspaceId}/queue`, reloaded, null)
      expect(itemsMap(reloaded).has(late.id)).toBe(true)
      reloaded.destroy()
    } finally {
      sync.destroy()
      await proxy.close()
    }
  }, 120_000)

  it('offline: replicas sleep, a read wakes one, a pin holds it, a kept stale doc refuses changes', async () => {
    const { token, memberId } = await relay.issueToken({
      workspaceId,
      name: 'Ida',
      role: 'employee',
    })
    const log: string[] = []
    const docLog = new DocLog(openDatabase({ file: ':memory:' }))
    const session = {
      relayUrl: relay.url,
      token,
      claims: {
        sub: memberId,
        ws: workspaceId,
        role: 'employee' as const,
        name: 'Ida',
        iat: 0,
        exp: 2e9,
      },
      joinedAt: new Date().toISOString(),
    }
    const online = new WorkspaceSync({ session, docLog, sleepAfterMs: 300 })
    await waitFor('synced', () => online.status.sync === 'synced', { timeoutMs: 30_000 })
    online.destroy()
    // Offline on purpose from the start: what it serves comes from the doc log alone.
    const sync = new WorkspaceSync({ session, docLog, sleepAfterMs: 300, log: (l) => log.push(l) })
    sync.setNetwork(false)
    try {
      await waitFor('queue asleep offline', () => sync.isAsleep('queue'))
      const stale = sync.docs.queue
      expect(log).toContain('sync queue: replica awake (used)')
      expect(itemsMap(stale).size).toBeGreaterThan(20)
      await waitFor('asleep again', () => sync.isAsleep('queue'))
      // A doc kept across a sleep is no longer the replica: a change to it would never be sent.
      expect(() => stale.transact(() => stale.getMap('x').set('k', 1))).toThrow(/stale/)
      const pin = sync.pin('queue')
      const awake = log.filter((l) => l === 'sync queue: replica awake (used)').length
      // Held past several quiet periods: the window's replica follows this one.
      await new Promise((resolve) => setTimeout(resolve, 1_200))
      expect(sync.isAsleep('queue')).toBe(false)
      pin.dispose()
      await waitFor('asleep once unpinned', () => sync.isAsleep('queue'))
      expect(log.filter((l) => l === 'sync queue: replica awake (used)').length).toBe(awake)
    } finally {
      sync.destroy()
      docLog.close()
    }
  }, 60_000)
})
