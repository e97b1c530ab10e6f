import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import type * as Y from 'yjs'
import { readBoard } from '../../common/doc/board-doc'
import {
  insertItem,
  itemsMap,
  upsertChallenge,
  writeWorkspaceSettings,
} from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { shortCode } from '../../common/share/short-link'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from './support'

// Issue 11.3: a queue change rebuilds the board only if it changed what the board reads from
// the queue (point weights, challenges) or an item's link target (objective, campaign, kind).

let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
/** A champion of a second workspace, whose board looks order the first one's (see below). */
let beta: WebsocketProvider
let reader: RawClient

async function counters(): Promise<{ checks: number; rebuilds: number }> {
  const text = await (await fetch(`${relay.httpUrl}/metrics`)).text()
  const value = (name: string) => {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `))
    return Number(line?.slice(line.lastIndexOf(' ') + 1))
  }
  return {
    checks: value('porte_voix_relay_board_queue_checks_total'),
    rebuilds: value('porte_voix_relay_board_queue_rebuilds_total'),
  }
}

/** Wait until the relay looked at the queue change just made (counted once per look). */
async function nextCheck(after: number): Promise<{ checks: number; rebuilds: number }> {
  return waitFor('the queue change checked', async () => {
    const now = await counters()
    return now.checks > after ? now : null
  })
}

const item = (id: string): Y.Map<unknown> => itemsMap(champion.doc).get(id) as Y.Map<unknown>

const challenge = (id: string) => ({
  id,
  name: 'Most shares',
  metric: 'shares' as const,
  filter: {},
  startsAt: new Date(Date.now() - 86_400_000).toISOString(),
  endsAt: new Date(Date.now() + 86_400_000).toISOString(),
  prize: 'Lunch',
})

beforeAll(async () => {
  relay = await startRelay({
    args: ['--public-url', 'https://go.example.test', '--board-debounce-ms', '50'],
  })
  acme = await relay.createWorkspace('Acme')
  const chloe = await relay.issueToken({ workspaceId: acme, name: 'chloe', role: 'champion' })
  const eric = await relay.issueToken({ workspaceId: acme, name: 'eric', role: 'employee' })
  champion = provider(relay.url, acme, 'queue', chloe.token)
  await synced(champion)
  insertItem(champion.doc, makeItem('item_a', { status: 'published' }))
  reader = await RawClient.connect(roomUrl(relay.url, acme, 'board', eric.token))
  await reader.sync()
  const betaId = await relay.createWorkspace('Beta')
  const bianca = await relay.issueToken({ workspaceId: betaId, name: 'bianca', role: 'champion' })
  beta = provider(relay.url, betaId, 'queue', bianca.token)
  await synced(beta)
})

afterAll(async () => {
  champion?.destroy()
  beta?.destroy()
  await reader?.close()
  await stopRelay(relay)
})

describe('queue changes and the board', () => {
  it('an item inserted or retitled schedules no look at the board; new point weights or a challenge do', async () => {
    // A change under the queue's items moves nothing the board reads of the queue itself: it
    // schedules no look (items reach the board through link_items). Seen stored by a reader
    // (the relay's store hook ran before it broadcast), then a challenge in another workspace:
    // its look is scheduled after any look the title could have scheduled, with the same delay,
    // so once it is counted that one would have been too. Only the other workspace's was.
    const start = await counters()
    item('item_a').set('title', 'A better title')
    const eric = await relay.issueToken({ workspaceId: acme, name: 'eric', role: 'employee' })
    const queueReader = await RawClient.connect(roomUrl(relay.url, acme, 'queue', eric.token))
    await queueReader.sync()
    await waitFor('the new title stored', () =>
      (itemsMap(queueReader.doc).get('item_a') as Y.Map<unknown> | undefined)?.get('title') ===
      'A better title'
        ? true
        : null,
    )
    await queueReader.close()
    upsertChallenge(beta.doc, challenge('chal_beta'))
    const titled = await waitFor('the other workspace looked at', async () => {
      const now = await counters()
      return now.rebuilds > start.rebuilds ? now : null
    })
    expect(titled).toEqual({ checks: start.checks + 1, rebuilds: start.rebuilds + 1 })

    writeWorkspaceSettings(champion.doc, { points: { share: 3, click: 1, conversion: 9 } })
    const weighted = await nextCheck(titled.checks)
    expect(weighted.rebuilds).toBe(titled.rebuilds + 1)

    upsertChallenge(champion.doc, challenge('chal_a'))
    const challenged = await nextCheck(weighted.checks)
    expect(challenged.rebuilds).toBe(weighted.rebuilds + 1)
    await waitFor('the challenge on the board', () =>
      readBoard(reader.doc).challenges.some((c) => c.challengeId === 'chal_a') ? true : null,
    )
  })

  it("an item's new objective reaches the board through its link target", async () => {
    const code = shortCode({
      workspaceId: acme,
      itemId: 'item_a',
      network: 'linkedin',
      shareId: newShareId(),
    })
    const response = await fetch(`${relay.httpUrl}/s/${code}`, {
      redirect: 'manual',
      headers: { 'user-agent': 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Firefox/133.0' },
    })
    expect(response.status).toBe(302)
    await waitFor('the click under awareness', () =>
      readBoard(reader.doc).objectives.awareness?.clicks === 1 ? true : null,
    )
    item('item_a').set('objective', 'talent')
    await waitFor('the click under talent', () =>
      readBoard(reader.doc).objectives.talent?.clicks === 1 ? true : null,
    )
  })
})
