import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { insertItem, itemsMap } from '../../common/doc/queue-doc'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { readStoredDoc, seedStoredDoc } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

/**
 * Issue 8.10: "A malformed entry in `items` must not make every proposal in the workspace fail
 * (500)". The relay refuses such an entry from a champion's connection today, so it is seeded in
 * the relay's store (as a relay from before that check, or a restored backup, would hold it).
 */
let relay: RelayProcess
let acme: string
let champion: string
let employee: string

/** Append `change` to a stored room, relay stopped, as the next update of its log. */
async function seedStored(room: string, change: (doc: Y.Doc) => void): Promise<void> {
  const { doc } = await readStoredDoc(relay.dataDir, room)
  const before = Y.encodeStateVector(doc)
  change(doc)
  await seedStoredDoc(relay.dataDir, room, [Y.encodeStateAsUpdate(doc, before)])
  doc.destroy()
}

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
  champion = (await relay.issueToken({ workspaceId: acme, name: 'Chloe', role: 'champion' })).token
  employee = (await relay.issueToken({ workspaceId: acme, name: 'Eric', role: 'employee' })).token
  // A real draft first, through the relay: the curation room exists and is stored.
  const writer = await RawClient.connect(roomUrl(relay.url, acme, 'curation', champion))
  await writer.sync()
  insertItem(writer.doc, makeItem('item_real', { status: 'draft' }))
  await writer.sync()
  await writer.close()
  await relay.stop()
  await seedStored(`${acme}/curation`, (doc) => {
    // Typed as items; written as whatever a faulty writer put there.
    const items = itemsMap(doc) as unknown as Y.Map<unknown>
    items.set('item_text', 'not an item')
    items.set('item_number', 42)
    items.set('item_null', null)
  })
  relay = await startRelay({ dataDir: relay.dataDir, port: relay.port })
})

afterAll(async () => {
  if (relay) await stopRelay(relay)
})

function propose(id: string): Promise<Response> {
  return fetch(`${relay.httpUrl}/api/v1/proposals`, {
    method: 'POST',
    headers: { authorization: `Bearer ${employee}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      id,
      url: 'https://example.com/article',
      title: 'Worth sharing',
      note: 'for the launch',
      caption: 'Look at this',
      proposedAt: new Date().toISOString(),
    }),
  })
}

describe('proposals with a malformed entry stored under items', () => {
  it('an employee proposal is accepted and lands in the curation document', async () => {
    const response = await propose('item_proposal1')
    expect(response.status, await response.clone().text()).toBe(201)
    expect(await response.json()).toEqual({ id: 'item_proposal1', created: true })

    const reader = await RawClient.connect(roomUrl(relay.url, acme, 'curation', champion))
    await reader.sync()
    const items = itemsMap(reader.doc)
    await waitFor(
      'the proposal at the champion',
      () => items.get('item_proposal1') instanceof Y.Map,
    )
    const proposal = items.get('item_proposal1') as Y.Map<unknown>
    expect(proposal.get('status')).toBe('submitted')
    // The seeded entries and the real draft are still there: nothing was dropped to make room.
    expect(items.get('item_text')).toBe('not an item')
    expect(items.get('item_number')).toBe(42)
    expect(items.get('item_real')).toBeInstanceOf(Y.Map)
    await reader.close()

    // The author's view of their proposals reads past the malformed entries too.
    const mine = await fetch(`${relay.httpUrl}/api/v1/proposals/mine`, {
      headers: { authorization: `Bearer ${employee}` },
    })
    expect(mine.status).toBe(200)
    const body = (await mine.json()) as { proposals: { id: string; state: string }[] }
    expect(body.proposals.map((p) => [p.id, p.state])).toEqual([['item_proposal1', 'pending']])
  })

  it('a proposal whose id names a malformed entry is a conflict (409), not a crash', async () => {
    const response = await propose('item_text')
    expect(response.status).toBe(409)
  })
})
