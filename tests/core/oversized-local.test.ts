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
import { startRelay } from '../helpers/relay'
import { championWithOneItem, discardQueue, openedInSuite } from './opened'

const opened = openedInSuite()
const { relays } = opened

describe('a local change over the relay’s limit', () => {
  it('is refused with changeTooLarge and never sent; Discard resyncs', async () => {
    const relay = await startRelay()
    relays.push(relay)
    const { client, kept } = await championWithOneItem(relay, opened, 'pv-oversized-')

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

    const ids = await discardQueue(client, kept)
    expect(ids.some((id) => id !== kept.id)).toBe(false)
  })
})
