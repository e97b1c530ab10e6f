/**
 * Issue 8.3: a change the relay refuses (here over its frame limit, close 1009) is not resent in
 * a loop, and the person can discard it: the document is synced again from the relay's copy.
 */
import { describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { clientOf } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { queueConnections } from '../helpers/relay-log'
import { waitFor } from '../helpers/wait'
import { championWithOneItem, discardQueue, openedInSuite } from './opened'

const opened = openedInSuite()
const { cores, relays } = opened

describe('doc.discardRefused', () => {
  it('drops a change the relay refused and syncs the document again, with no resend loop', async () => {
    const relay = await startRelay({ args: ['--max-message-bytes', '4096'] })
    relays.push(relay)
    const { workspaceId, dataDir, core, client, kept } = await championWithOneItem(
      relay,
      opened,
      'porte-voix-discard-',
    )
    // Nothing refused yet: nothing to discard.
    expect(await client.call('doc.discardRefused', {})).toEqual({ discarded: [] })

    // A caption within the item limit but over this relay's 4 KB frame limit.
    const big = await client.call('item.create', {
      title: 'Big',
      url: 'https://acme.example/big',
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: 'x'.repeat(9_000) },
    })
    const refused = await waitFor('the relay refused it', async () => {
      const status = await client.call('status.get', {})
      return status.problem?.code === 'changeTooLarge' ? status : undefined
    })
    expect(refused.sync).toBe('offline')
    const afterRefusal = queueConnections(relay.logs(), workspaceId)
    // Later calls see the same stopped link: no reconnect, no resend (retry is an hour away).
    for (let i = 0; i < 5; i++) await client.call('status.get', {})
    expect(queueConnections(relay.logs(), workspaceId)).toBe(afterRefusal)

    const ids = await discardQueue(client, kept)
    expect(ids).not.toContain(big.id)
    expect((await client.call('status.get', {})).problem).toBeNull()
    // One new connection for the resync, and the relay never held the big item.
    expect(queueConnections(relay.logs(), workspaceId)).toBe(afterRefusal + 1)
    await core.close()
    cores.pop()
    const reopened = await Core.open({ dataDir })
    cores.push(reopened)
    const again = (await clientOf(reopened).call('queue.list', {})).map((item) => item.id)
    expect(again).toContain(kept.id)
    expect(again).not.toContain(big.id)
  })
})
