/**
 * Issue 8.3: a change the core makes that is larger than the relay accepts (here through the
 * API: an item with every network's 20 variants at their limit, about 1.4 MB) is never sent.
 * The call says why, the document's link stops as if the relay had refused it, the relay never
 * sees the frame (no 1009 close), and Discard brings the relay's copy back.
 */

import { describe, expect, it } from 'vitest'
import { ContractError } from '../../common/contract/messages'
import { ITEM_LIMITS } from '../../common/model/item'
import { NETWORKS } from '../../common/model/networks'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { openedInSuite } from './opened'

const { cores, relays, dirs } = openedInSuite()
let relay: RelayProcess | null = null

describe('a local change over the relay’s limit', () => {
  it('is refused with changeTooLarge and never sent; Discard resyncs', async () => {
    relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const dataDir = tempDir('pv-oversized-')
    dirs.push(dataDir)
    const core = await Core.open({ dataDir, maxBackoffMs: 200, refusedRetryMs: 3_600_000 })
    cores.push(core)
    const client = clientOf(core)
    await client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Cam', role: 'champion' }),
    })
    const kept = await client.call('item.create', {
      title: 'Small',
      url: 'https://acme.example/small',
      objective: 'awareness',
      status: 'published',
    })
    await waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')

    const variant = 'v'.repeat(ITEM_LIMITS.caption)
    const variants = Object.fromEntries(
      NETWORKS.map((network) => [
        network,
        Array.from({ length: ITEM_LIMITS.variants }, () => variant),
      ]),
    )
    const error = await client
      .call('item.create', {
        title: 'Huge',
        url: 'https://acme.example/huge',
        objective: 'awareness',
        status: 'published',
        variants,
      })
      .then(
        () => null,
        (failure: unknown) => failure,
      )
    expect(error).toBeInstanceOf(ContractError)
    expect((error as ContractError).problem?.code).toBe('changeTooLarge')

    const status = await client.call('status.get', {})
    expect(status.problem?.code).toBe('changeTooLarge')
    expect(status.sync).toBe('offline')
    // The relay never got the frame: it closed nothing over a size.
    expect(relay.logs()).not.toMatch(/1009|too big|too large/i)

    expect(await client.call('doc.discardRefused', {})).toEqual({ discarded: ['queue'] })
    await waitFor(
      'synced again',
      async () => (await client.call('status.get', {})).sync === 'synced',
    )
    const ids = await waitFor('the queue back from the relay', async () => {
      const list = (await client.call('queue.list', {})).map((item) => item.id)
      return list.includes(kept.id) ? list : undefined
    })
    expect(ids.some((id) => id !== kept.id)).toBe(false)
  })
})
