/**
 * Issue 9 acceptance: the relay's SQLite file holds no member id in share, click, conversion,
 * leaderboard or board bytes of a member who did not opt in, and none after an opt-out. The SQL
 * rows are checked in results.test.ts; this searches the file's bytes, where a dropped row, an
 * index or a stored board update could still name the member. Only the tables that must know
 * members (members, member_devices) and the directory document may hold the id.
 */
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { readBoard } from '../../common/doc/board-doc'
import { insertItem, upsertCampaign } from '../../common/doc/queue-doc'
import { DOC_NAMES, type DocName, roomName } from '../../common/doc/rooms'
import { newShareId } from '../../common/share'
import { DB_FILE } from '../../sync-server/persistence/database'
import { foundIn, relayBytesWithout } from '../helpers/db-bytes'
import { makeItem } from '../helpers/items'
import { onClusterBackend, type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { relationalRows, storedRoomBytes } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { clickShare, launchCampaign, postApi, proofOf } from './results-api'
import { provider, RawClient, roomUrl, synced } from './support'

// Distinctive ids and names, so a byte match cannot be a coincidence.
const ERIC = 'mem_ericquixleyprivate'
const OLIVIA = 'mem_oliviazanderoptin'
const ERIC_NAME = 'Ericquixley Name'
const OLIVIA_NAME = 'Oliviazander Name'

let relay: RelayProcess
let acme: string
let champion: WebsocketProvider
let reader: RawClient
const tokens: Record<string, string> = {}

const post = (route: string, token: string | null, body: unknown, headers = {}) =>
  postApi(relay, route, token, body, headers)

async function report(who: 'eric' | 'olivia', id: string) {
  const event = {
    id,
    itemId: 'item_launch',
    network: 'linkedin',
    objective: 'campaign',
    campaignId: 'camp_launch',
    sharedAt: new Date().toISOString(),
    proof: proofOf(`${who}-device`, id),
  }
  expect((await post('shares', tokens[who] as string, { events: [event] })).status).toBe(200)
}

const click = (shareId: string) =>
  clickShare(relay, { workspaceId: acme, itemId: 'item_launch', shareId })

const dbFile = () => path.join(relay.dataDir, DB_FILE)
const rooms = (except: readonly DocName[] = []) =>
  DOC_NAMES.filter((doc) => !except.includes(doc)).map((doc) => roomName(acme, doc))
/**
 * On Redis + PostgreSQL a node has no SQLite file: what it holds is its PostgreSQL rows and its
 * documents' stored bytes (snapshot and stream entries, as the DocStore reads them).
 */
async function clusterBytes(o: { tables?: readonly string[]; except?: readonly DocName[] }) {
  const rows = [...(await relationalRows(relay.dataDir))].filter(
    ([table]) => !o.tables?.includes(table),
  )
  return Buffer.concat([
    Buffer.from(JSON.stringify(rows), 'utf8'),
    await storedRoomBytes(relay.dataDir, rooms(o.except)),
  ])
}
/** The whole file's bytes (a copy, WAL folded in): the positive control of the search. */
const allBytes = async () =>
  onClusterBackend() ? clusterBytes({}) : relayBytesWithout(dbFile(), {})
/** The bytes of everything but what may legitimately name a member. */
const resultBytes = async () =>
  onClusterBackend()
    ? clusterBytes({ tables: ['members', 'member_devices'], except: ['directory'] })
    : relayBytesWithout(dbFile(), {
        tables: ['members', 'member_devices'],
        rooms: [roomName(acme, 'directory')],
      })

beforeAll(async () => {
  relay = await startRelay({
    args: ['--public-url', 'https://go.example.test', '--board-debounce-ms', '50'],
  })
  acme = await relay.createWorkspace('Acme')
  const people = [
    ['chloe', 'Chloe Champion', 'mem_chloe', 'champion'],
    ['eric', ERIC_NAME, ERIC, 'employee'],
    ['olivia', OLIVIA_NAME, OLIVIA, 'employee'],
  ] as const
  for (const [who, name, memberId, role] of people) {
    tokens[who] = (await relay.issueToken({ workspaceId: acme, name, role, memberId })).token
  }
  champion = provider(relay.url, acme, 'queue', tokens.chloe as string)
  await synced(champion)
  upsertCampaign(champion.doc, launchCampaign())
  insertItem(
    champion.doc,
    makeItem('item_launch', { status: 'published', campaignId: 'camp_launch' }),
  )
  await waitFor('item indexed', async () => {
    const links = (await relationalRows(relay.dataDir)).get('link_items') ?? []
    return links.some((row) => (row as { item_id?: unknown }).item_id === 'item_launch')
      ? true
      : null
  })
  // Both employees connect (their devices are recorded in member_devices, a legitimate place).
  reader = await RawClient.connect(roomUrl(relay.url, acme, 'board', tokens.eric as string))
  await reader.sync()
})

afterAll(async () => {
  champion?.destroy()
  await reader?.close()
  await stopRelay(relay)
})

describe("the relay file's bytes name a member only where members must be known", () => {
  it('holds no id of a member who never opted in, after their shares, clicks and a conversion', async () => {
    const { body } = await post('campaigns/camp_launch/conversion-keys', tokens.chloe as string, {})
    const key = body.key as string
    const shares = [newShareId(), newShareId()]
    for (const id of shares) await report('eric', id)
    for (const id of shares) await click(id)
    const conversion = await post(
      'conversions',
      null,
      { idempotencyId: 'signup-eric-1', utmContent: shares[0], kind: 'signup', value: 5 },
      { 'x-porte-voix-conversion-key': key },
    )
    expect(conversion.status).toBe(200)
    // The board has them (the relay wrote its room), and a results fetch by Eric's device too.
    await waitFor('board counts the conversion', () =>
      readBoard(reader.doc).campaigns.find((c) => c.campaignId === 'camp_launch')?.conversions === 1
        ? true
        : null,
    )
    const mine = await post('results/mine', tokens.eric as string, {
      shares: shares.map((id) => ({ id, proof: proofOf('eric-device', id) })),
    })
    expect((mine.body.clicks as unknown[]).length).toBe(2)

    // The search works: the whole file names Eric (members, devices, directory).
    expect(foundIn(await allBytes(), [ERIC, ERIC_NAME])).toEqual([ERIC, ERIC_NAME])
    expect(foundIn(await resultBytes(), [ERIC, ERIC_NAME])).toEqual([])
  })

  it('names an opted-in member in the leaderboard and board, and no longer once they opt out', async () => {
    expect((await post('leaderboard', tokens.olivia as string, { optIn: true })).status).toBe(200)
    const id = newShareId()
    await report('olivia', id)
    await click(id)
    await waitFor('olivia on the board', () =>
      readBoard(reader.doc).leaderboard?.rows.some((row) => row.memberId === OLIVIA) ? true : null,
    )
    // Opted in: leaderboard, share_members and the board room name her (the control).
    expect(foundIn(await resultBytes(), [OLIVIA, OLIVIA_NAME])).toEqual([OLIVIA, OLIVIA_NAME])
    expect(foundIn(await resultBytes(), [ERIC, ERIC_NAME])).toEqual([])

    expect((await post('leaderboard', tokens.olivia as string, { optIn: false })).status).toBe(200)
    await waitFor('olivia off the board', () =>
      readBoard(reader.doc).leaderboard?.rows.length === 0 ? true : null,
    )
    // The board's compaction after an opt-out folds away the updates that named her.
    await waitFor('no byte names olivia outside members, devices and the directory', async () =>
      foundIn(await resultBytes(), [OLIVIA, OLIVIA_NAME]).length === 0 ? true : null,
    )
    expect(foundIn(await resultBytes(), [ERIC, ERIC_NAME])).toEqual([])
    expect(foundIn(await allBytes(), [OLIVIA])).toEqual([OLIVIA])
  })
})
