import { afterEach, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { ContractError } from '../../common/contract/messages'
import { Core } from '../../main/core/core'
import { clientOf, fakeInvitation } from '../helpers/core'
import { rejectionOf } from '../helpers/errors'
import { tempDir } from '../helpers/process'

/** A champion's core working offline (no relay needed: the rules are the core's own). */
async function championCore(): Promise<{ core: Core; client: CoreClient }> {
  const core = await Core.open({
    dataDir: tempDir('pv-moderation-'),
    joinWaitMs: 50,
  })
  const client = clientOf(core)
  await client.call('workspace.join', {
    invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
  })
  return { core, client }
}

const proposal = {
  title: 'A proposal',
  url: 'https://example.com/proposal',
  objective: 'awareness',
  status: 'submitted',
} as const

describe('moderation rules', () => {
  let open: Core | null = null
  afterEach(async () => {
    await open?.close()
    open = null
  })

  it('a decided proposal cannot be decided again (a stale screen gets a conflict)', async () => {
    const { core, client } = await championCore()
    open = core
    const item = await client.call('item.create', proposal)
    const approved = await client.call('item.approve', { id: item.id, publish: true })
    expect(approved.status).toBe('published')
    expect(approved.moderation?.decision).toBe('approved')
    const again = await rejectionOf(
      client.call('item.reject', { id: item.id, reason: 'late' }),
      ContractError,
    )
    expect(again.code).toBe('conflict')
    expect((await client.call('item.get', { id: item.id })).status).toBe('published')
  })

  it('reject and approve apply only to proposals, never to a champion’s own item', async () => {
    const { core, client } = await championCore()
    open = core
    const item = await client.call('item.create', { ...proposal, status: 'published' })
    const error = await rejectionOf(
      client.call('item.reject', { id: item.id, reason: 'no' }),
      ContractError,
    )
    expect(error.code).toBe('conflict')
    expect((await client.call('item.get', { id: item.id })).status).toBe('published')
  })

  it('a proposal’s status changes only through approve or reject', async () => {
    const { core, client } = await championCore()
    open = core
    const item = await client.call('item.create', proposal)
    const error = await rejectionOf(
      client.call('item.update', { id: item.id, patch: { status: 'archived' } }),
      ContractError,
    )
    expect(error.code).toBe('conflict')
    // Editing its fields before deciding is fine.
    const edited = await client.call('item.update', {
      id: item.id,
      patch: { title: 'Better title' },
    })
    expect(edited.title).toBe('Better title')
    expect(edited.status).toBe('submitted')
  })

  it('a client cannot name the approver', async () => {
    const { core, client } = await championCore()
    open = core
    const item = await client.call('item.create', { ...proposal, status: 'draft' })
    const patch = { status: 'published', approverId: 'mem_someone_else' } as const
    const updated = await client.call('item.update', { id: item.id, patch })
    expect(updated.approverId).toBe('mem_champion')
  })
})
