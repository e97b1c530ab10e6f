import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { shortCode } from '../../common/share/short-link'
import { ClickQueue } from '../../sync-server/links/click-queue'
import type { ClickInput } from '../../sync-server/links/link-store'
import { silentLogger } from '../../sync-server/log'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { makeItem } from '../helpers/items'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { synced } from '../relay/support'
import { type Cluster, clientOn, startCluster } from './support'

/**
 * Short links while PostgreSQL is down (issue 11 follow-up): a real PostgreSQL stopped and
 * started again under a relay node. A link the node served before still redirects (its target
 * cached) and its click is queued and written once PostgreSQL is back; a link it never served
 * answers 503 + Retry-After (it may exist: a 404 would be a lie); nothing redirected is lost.
 */
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

let redis: TestServer
let postgres: TestServer
let cluster: Cluster | undefined
let champion: WebsocketProvider | undefined

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  cluster = await startCluster(1, redis, postgres)
})
afterAll(async () => {
  champion?.destroy()
  await cluster?.stop()
  await Promise.all([redis?.stop(), postgres?.stop()])
})

async function query<T>(text: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: postgres.url })
  await client.connect()
  try {
    return (await client.query(text, params)).rows as T[]
  } finally {
    await client.end()
  }
}

describe('short links while PostgreSQL is down', () => {
  it('redirects a link served before, answers 503 for others, and writes every redirected click once PostgreSQL is back', async () => {
    const node = cluster?.nodes[0]
    if (!node) throw new Error('node')
    const ws = await node.createWorkspace('Acme')
    const { token } = await node.issueToken({ workspaceId: ws, name: 'Chloé', role: 'champion' })
    champion = clientOn(node, ws, token)
    await synced(champion)
    insertItem(champion.doc, makeItem('item_a', { status: 'published' }))
    insertItem(champion.doc, makeItem('item_b', { status: 'published' }))
    await waitFor(
      'items indexed',
      async () =>
        (await query('SELECT item_id FROM pv_link_items WHERE workspace_id = $1', [ws])).length ===
        2,
    )
    const open = async (item: string, share: string) => {
      const response = await fetch(
        `${node.httpUrl}/s/${shortCode({ workspaceId: ws, itemId: item, network: 'linkedin', shareId: share })}`,
        { redirect: 'manual', headers: { 'user-agent': FIREFOX } },
      )
      await response.arrayBuffer()
      return {
        status: response.status,
        location: response.headers.get('location'),
        retryAfter: response.headers.get('retry-after'),
      }
    }
    const clicks = () =>
      query<{ share_id: string; is_unique: number }>(
        'SELECT share_id, is_unique FROM pv_clicks WHERE workspace_id = $1 ORDER BY at',
        [ws],
      )

    const [before, during, again] = [newShareId(), newShareId(), newShareId()]
    const served = await open('item_a', before)
    expect(served.status).toBe(302)
    expect(await clicks()).toHaveLength(1)

    await postgres.down()
    try {
      const cached = await open('item_a', during)
      expect(cached.status).toBe(302)
      expect(cached.location).toBe(served.location?.replace(before, during))
      expect(await open('item_a', during)).toMatchObject({ status: 302 })
      // Never served by this node: it may exist, PostgreSQL cannot say.
      expect(await open('item_b', again)).toEqual({
        status: 503,
        location: null,
        retryAfter: '5',
      })
    } finally {
      await postgres.up()
    }

    // The two redirected clicks, written once PostgreSQL is back (the second of one visitor
    // within 24 h not unique), and nothing for the 503.
    await waitFor('queued clicks written', async () => (await clicks()).length === 3)
    const rows = await clicks()
    expect(rows.map((r) => [r.share_id, Number(r.is_unique)])).toEqual([
      [before, 1],
      [during, 1],
      [during, 0],
    ])
    expect(await open('item_b', again)).toMatchObject({ status: 302 })
  })

  it('a click is one round trip on PostgreSQL', async () => {
    const stores = await openPgRelational({ url: postgres.url })
    try {
      await stores.workspaces.createWorkspace({ id: 'ws_trip', name: 'Trip' })
      const click = (ip: string) =>
        stores.links.recordClick({
          workspaceId: 'ws_trip',
          shareId: newShareId(),
          itemId: 'item_a',
          network: 'linkedin',
          ip,
          uaFamily: 'firefox/linux',
          at: new Date(),
        })
      await click('198.51.100.1') // the day's visitor keys and old-hash clearing, once a day
      // Every statement sent on a connection (BEGIN, COMMIT and each query count).
      const sent = vi.spyOn(pg.Client.prototype, 'query')
      try {
        expect(await click('198.51.100.2')).toBe(true)
        expect(sent).toHaveBeenCalledTimes(1)
      } finally {
        sent.mockRestore()
      }
    } finally {
      await stores.close()
    }
  })

  describe('the click queue (review findings)', () => {
    const share = () => newShareId()
    const clickOf = (workspaceId: string, shareId: string, at: Date): ClickInput => ({
      id: randomUUID(),
      workspaceId,
      shareId,
      itemId: 'item_a',
      network: 'linkedin',
      ip: '198.51.100.77',
      uaFamily: 'firefox/linux',
      at,
    })
    const rows = (shareId: string) =>
      query<{ at: string; is_unique: number }>(
        'SELECT at, is_unique FROM pv_clicks WHERE share_id = $1 ORDER BY board_seq',
        [shareId],
      )
    /** Another session holding the share's click lock (pv_record_click takes it first). */
    async function shareLock(workspaceId: string, shareId: string) {
      const holder = new pg.Client({ connectionString: postgres.url })
      await holder.connect()
      await holder.query("SELECT pg_advisory_lock(hashtext($1 || E'\\n' || $2))", [
        workspaceId,
        shareId,
      ])
      return {
        waiting: async () =>
          (await holder.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"))
            .rowCount === 1,
        release: () => holder.end(),
      }
    }

    it('a click whose write timed out after PostgreSQL took it, retried from the queue, is counted once', async () => {
      const stores = await openPgRelational({ url: postgres.url, queryTimeoutMs: 500 })
      try {
        await stores.workspaces.createWorkspace({ id: 'ws_once', name: 'Once' })
        const id = share()
        const lock = await shareLock('ws_once', id)
        const click = clickOf('ws_once', id, new Date())
        // The node gives up on the write; PostgreSQL still holds it, waiting for the lock.
        await expect(stores.links.recordClick(click)).rejects.toThrow(/timeout/i)
        await lock.release()
        const queue = new ClickQueue(stores.links, silentLogger)
        expect(queue.push(click)).toBe(true)
        await queue.idle()
        expect(await rows(id)).toHaveLength(1)
      } finally {
        await stores.close()
      }
    })

    it('clicks whose writes failed out of order are queued and written in the order they came', async () => {
      const stores = await openPgRelational({ url: postgres.url })
      try {
        await stores.workspaces.createWorkspace({ id: 'ws_order', name: 'Order' })
        const id = share()
        const first = clickOf('ws_order', id, new Date('2026-03-05T10:00:00Z'))
        const second = clickOf('ws_order', id, new Date('2026-03-05T10:00:01Z'))
        const queue = new ClickQueue(stores.links, silentLogger)
        // Two writes in flight; the later one fails first (refused at once; the other timed out).
        expect(queue.reserve() && queue.reserve()).toBe(true)
        queue.push(second, true)
        queue.push(first, true)
        await queue.idle()
        // The same visitor: the first click is the unique one.
        expect((await rows(id)).map((r) => [r.at, Number(r.is_unique)])).toEqual([
          [first.at.toISOString(), 1],
          [second.at.toISOString(), 0],
        ])
      } finally {
        await stores.close()
      }
    })

    it('close() waits for a click write in flight, then writes', async () => {
      const stores = await openPgRelational({ url: postgres.url })
      try {
        await stores.workspaces.createWorkspace({ id: 'ws_close', name: 'Close' })
        const id = share()
        const lock = await shareLock('ws_close', id)
        const queue = new ClickQueue(stores.links, silentLogger)
        // Counted (in flight) after 50 ms while PostgreSQL waits for the lock.
        expect(await queue.record(clickOf('ws_close', id, new Date()), 50)).toBe(true)
        await waitFor('the write waiting for the share lock', lock.waiting)
        let closed = false
        const closing = queue.close().then(() => {
          closed = true
        })
        // A few turns: a close that does not wait for the write has resolved by now.
        for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r))
        expect(closed).toBe(false)
        await lock.release()
        await closing
        expect(await rows(id)).toHaveLength(1)
      } finally {
        await stores.close()
      }
    })
  })
})
