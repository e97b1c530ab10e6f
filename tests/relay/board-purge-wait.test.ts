import { createHash } from 'node:crypto'
import pg from 'pg'
import { afterAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { readBoard } from '../../common/doc/board-doc'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { makeItem } from '../helpers/items'
import {
  onClusterBackend,
  type RelayProcess,
  relayBackend,
  startRelay,
  stopRelay,
} from '../helpers/relay'
import { relationalRows } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from './support'

/**
 * Review finding on 91e1bf7: board-purge-background tests coalescedTask alone; a relay whose
 * board fold awaited the purge again (relay.ts onHistoryFolded) passed every test. Here a real
 * relay's erasure purge is held (the test holds the PostgreSQL purge's advisory lock, as
 * tests/cluster/erasure-purge does): the fold's rebuild ends, the next rebuild of the same board
 * runs, and a drain completes, all while the purge still waits. On SQLite the purge's wait is
 * bounded (50 WAL-truncate attempts, 5 s), so only the cluster backend can hold it honestly.
 */
const PURGE_LOCK = 4455012 // storage/postgres/snapshots.ts

let relay: RelayProcess | undefined
let champion: WebsocketProvider | undefined
let reader: RawClient | undefined
let holder: pg.Client | undefined

afterAll(async () => {
  champion?.destroy()
  await reader?.close()
  await holder?.end().catch(() => {})
  await stopRelay(relay)
})

describe.skipIf(!onClusterBackend())('a board fold with the erasure purge held', () => {
  it('the rebuild ends, the next rebuild runs and a drain completes while the purge waits', async () => {
    relay = await startRelay({ args: ['--board-debounce-ms', '50'] })
    const r = relay
    const backend = await relayBackend(r.dataDir)
    if (backend.kind !== 'cluster') throw new Error('a cluster relay was expected')
    const ws = await r.createWorkspace('Acme')
    const tokens: Record<string, string> = {}
    for (const [name, role] of [
      ['chloe', 'champion'],
      ['eric', 'employee'],
      ['olivia', 'employee'],
    ] as const)
      tokens[name] = (
        await r.issueToken({ workspaceId: ws, name, role, memberId: `mem_${name}` })
      ).token
    const post = async (route: string, who: string, body: unknown) =>
      (
        await fetch(`${r.httpUrl}/api/v1/${route}`, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${tokens[who]}`,
            'content-type': 'application/json',
          },
          body: JSON.stringify(body),
        })
      ).status
    const share = async (who: string) => {
      const id = newShareId()
      const event = {
        id,
        itemId: 'item_talent',
        network: 'linkedin',
        objective: 'talent',
        campaignId: null,
        sharedAt: new Date().toISOString(),
        proof: createHash('sha256').update(`${who}-laptop:${id}`).digest('base64url'),
      }
      expect(await post('shares', who, { events: [event] })).toBe(200)
    }

    champion = provider(r.url, ws, 'queue', tokens.chloe as string)
    await synced(champion)
    insertItem(
      champion.doc,
      makeItem('item_talent', { status: 'published', objective: 'talent', sourceKind: 'employee' }),
    )
    await waitFor('the item indexed', async () =>
      ((await relationalRows(r.dataDir)).get('link_items') ?? []).length === 1 ? true : null,
    )
    reader = await RawClient.connect(roomUrl(r.url, ws, 'board', tokens.eric as string))
    await reader.sync()
    const leaders = () =>
      readBoard((reader as RawClient).doc).leaderboard?.rows.map((row) => row.displayName) ?? []

    expect(await post('leaderboard', 'olivia', { optIn: true, shares: [] })).toBe(200)
    await share('olivia')
    await waitFor('olivia on the board', () => (leaders().length === 1 ? true : null))

    // The start-up upkeep's purge has run (it takes the lock too): wait for it, then count.
    const purged = () => r.logs().split('erased members purged from storage files').length - 1
    await waitFor('the start-up purge done', () => (purged() === 1 ? true : null))
    // The purge cannot take its lock from now on.
    holder = new pg.Client({ connectionString: backend.postgresUrl })
    await holder.connect()
    await holder.query('SELECT pg_advisory_lock($1)', [PURGE_LOCK])

    // Olivia opts out: the rebuild folds the board's history, then asks for the purge.
    expect(await post('leaderboard', 'olivia', { optIn: false, shares: [] })).toBe(200)
    await waitFor('olivia off the board', () => (leaders().length === 0 ? true : null))
    // This relay's purge asked (its schema's pv_purge_runs, which the start-up purge created):
    // a request not done yet, waiting for the lock (other relays' purges are in their schemas).
    await waitFor('the purge asked, waiting for its lock', async () => {
      const { rows } = await (holder as pg.Client).query<{ n: string }>(
        'SELECT count(*) AS n FROM pv_purge_runs WHERE asked > done',
      )
      return Number(rows[0]?.n) > 0 ? true : null
    })
    // The board service rebuilds a workspace one rebuild at a time: a rebuild that awaited the
    // purge would hold this one back until the lock is released.
    expect(await post('leaderboard', 'eric', { optIn: true, shares: [] })).toBe(200)
    await share('eric')
    await waitFor('eric on the board, the purge still held', () =>
      leaders().length === 1 ? true : null,
    )
    expect(purged()).toBe(1)

    // A drain waits for the board's rebuilds, not for the purge.
    await r.stop()
    expect(await r.exited).toEqual({ code: 0, signal: null })
    expect(r.logs()).toMatch(/draining connections/)
    expect(purged()).toBe(1)
  })
})
