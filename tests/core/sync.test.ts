import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { type CoreProcess, fakeInvitation, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import type { RelayProcess } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { championAndEmployee } from './opened'

describe('two cores and one relay', () => {
  let relay: RelayProcess
  let champion: CoreProcess
  let employee: CoreProcess
  let workspaceId: string

  beforeAll(async () => {
    ;({ relay, workspaceId, champion, employee } = await championAndEmployee('Acme'))
    await waitFor('both cores synced', async () => {
      const [a, b] = await Promise.all([
        champion.client.call('status.get', {}),
        employee.client.call('status.get', {}),
      ])
      return a.sync === 'synced' && b.sync === 'synced'
    })
  })

  afterAll(async () => {
    await Promise.all([champion?.stop(), employee?.stop()])
    await relay?.stop()
  })

  it('a champion’s new item and caption edit reach the employee’s SQLite queue table', async () => {
    const changed: number[] = []
    employee.client.on('queue.changed', ({ count }) => changed.push(count))

    const started = performance.now()
    const item = await champion.client.call('item.create', {
      title: 'Q3 launch event',
      url: 'https://example.com/q3',
      objective: 'campaign',
      status: 'published',
      topics: ['launch'],
      captions: { linkedin: 'Join us' },
    })
    const arrived = await waitFor('item in the employee table', () =>
      readQueueTable(employee.dataDir).find((row) => row.id === item.id),
    )
    const createMs = performance.now() - started
    expect(arrived.title).toBe('Q3 launch event')
    expect(arrived.captions.linkedin).toBe('Join us')

    const editStarted = performance.now()
    await champion.client.call('item.setCaption', {
      id: item.id,
      network: 'linkedin',
      text: 'Join us on 12 September!',
    })
    await waitFor('caption edit in the employee table', () =>
      readQueueTable(employee.dataDir).find(
        (row) => row.id === item.id && row.captions.linkedin === 'Join us on 12 September!',
      ),
    )
    const editMs = performance.now() - editStarted
    // Recorded, not asserted (no timed assertions); the bench measures it properly.
    console.log(
      `[propagation] champion → employee SQLite: create ${createMs.toFixed(1)} ms, caption edit ${editMs.toFixed(1)} ms (incl. polling at 10 ms)`,
    )
    const listed = await employee.client.call('queue.list', { topic: 'launch' })
    expect(listed.map((row) => row.id)).toEqual([item.id])
    await waitFor('queue.changed event', () => changed.length > 0)
    const status = await employee.client.call('status.get', {})
    expect(status).toMatchObject({
      sync: 'synced',
      session: { role: 'employee', workspaceName: 'Acme' },
    })
  })

  it('leaving removes the workspace from the device; joining again brings it back', async () => {
    const other = await startCore()
    try {
      const invitation = await relay.invite({ workspaceId, name: 'Lea', role: 'employee' })
      const statuses: string[] = []
      other.client.on('status', (status) => statuses.push(status.sync))
      await other.client.call('workspace.join', { invitation })
      const count = await waitFor('queue synced', async () => {
        const list = await other.client.call('queue.list', {})
        return list.length > 0 ? list.length : undefined
      })
      // Another workspace cannot be joined on top.
      const elsewhere = await relay.createWorkspace('Elsewhere')
      const conflict = await other.client
        .call('workspace.join', {
          invitation: await relay.invite({ workspaceId: elsewhere, name: 'Lea', role: 'employee' }),
        })
        .catch((e: unknown) => e)
      expect((conflict as ContractError).code).toBe('conflict')

      await other.client.call('workspace.leave', {})
      expect((await other.client.call('status.get', {})).session).toBeNull()
      expect(readQueueTable(other.dataDir)).toEqual([])
      const notJoined = await other.client.call('queue.list', {}).catch((e: unknown) => e)
      expect((notJoined as ContractError).code).toBe('not_joined')

      await other.client.call('workspace.join', { invitation })
      await waitFor(
        'queue back after rejoining',
        async () => (await other.client.call('queue.list', {})).length === count,
      )
      expect(statuses).toContain('synced')
    } finally {
      await other.stop()
    }
  })

  it('an invitation the relay refuses is reported as forbidden, not retried hot', async () => {
    const other = await startCore()
    try {
      const forged = fakeInvitation({ role: 'admin', workspaceId, relayUrl: relay.url })
      const error = await other.client
        .call('workspace.join', { invitation: forged })
        .catch((e) => e)
      expect(error).toBeInstanceOf(ContractError)
      expect((error as ContractError).code).toBe('forbidden')
      // Said in words the person can act on (the relay's reason), not as an HTTP status.
      expect((error as ContractError).message).toMatch(/not for this relay|refused/)
      const status = await other.client.call('status.get', {})
      expect(status.session).toBeNull()
    } finally {
      await other.stop()
    }
  })
})
