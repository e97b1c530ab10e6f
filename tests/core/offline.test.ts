import { afterAll, describe, expect, it } from 'vitest'
import { type CoreProcess, startCore } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

describe('offline start and catch-up', () => {
  const running: { relay?: RelayProcess; cores: CoreProcess[] } = { cores: [] }

  afterAll(async () => {
    await Promise.all(running.cores.map((core) => core.stop()))
    await running.relay?.stop()
  })

  it('an employee core restarted with the relay down serves the queue from SQLite, then catches up', async () => {
    const relay = await startRelay()
    running.relay = relay
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await startCore()
    let employee = await startCore()
    running.cores.push(champion, employee)
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    const created = []
    for (let i = 0; i < 12; i++) {
      created.push(
        await champion.client.call('item.create', {
          title: `Item ${i}`,
          url: `https://example.com/${i}`,
          objective: i % 2 ? 'awareness' : 'talent',
          priority: i * 5,
          status: 'published',
          captions: { linkedin: `Caption ${i}` },
        }),
      )
    }
    const ids = created.map((item) => item.id).sort()
    await waitFor(
      'employee has the 12 items',
      async () => (await employee.client.call('queue.list', {})).length === 12,
    )
    const before = await employee.client.call('queue.list', {})

    // Everything goes down; the employee comes back first, with no relay.
    await employee.stop()
    running.cores = running.cores.filter((core) => core !== employee)
    await relay.stop()
    employee = await startCore({ dataDir: employee.dataDir })
    running.cores.push(employee)
    expect(await employee.client.call('queue.list', {})).toEqual(before)
    expect(readQueueTable(employee.dataDir).map((item) => item.id)).toEqual(ids)
    const offline = await waitFor('employee reports offline', async () => {
      const status = await employee.client.call('status.get', {})
      return status.sync === 'offline' ? status : undefined
    })
    expect(offline.session?.role).toBe('employee')
    expect(offline.lastError).toMatch(/Cannot reach the relay/)

    // Meanwhile the (also offline) champion keeps curating.
    const added = await champion.client.call('item.create', {
      title: 'Written while the relay was down',
      url: 'https://example.com/late',
      objective: 'campaign',
      status: 'published',
    })
    const first = created[0]
    if (!first) throw new Error('no item')
    await champion.client.call('item.setCaption', {
      id: first.id,
      network: 'linkedin',
      text: 'Caption 0, revised offline',
    })
    await champion.client.call('item.update', { id: first.id, patch: { priority: 99 } })

    // The relay comes back on the same port and data: the employee catches up.
    running.relay = await startRelay({ dataDir: relay.dataDir, port: relay.port })
    await waitFor(
      'employee synced again',
      async () => {
        const status = await employee.client.call('status.get', {})
        return status.sync === 'synced'
      },
      { timeoutMs: 30_000 },
    )
    const after = await waitFor(
      'employee caught up',
      async () => {
        const list = await employee.client.call('queue.list', {})
        const revised = list.find((item) => item.id === first.id)
        return list.length === 13 && revised?.captions.linkedin === 'Caption 0, revised offline'
          ? list
          : undefined
      },
      { timeoutMs: 30_000 },
    )
    // Highest priority first: the revised item now leads.
    expect(after[0]?.id).toBe(first.id)
    expect(after.map((item) => item.id).sort()).toEqual([...ids, added.id].sort())
    expect(readQueueTable(employee.dataDir)).toHaveLength(13)
  })
})
