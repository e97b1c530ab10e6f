import { createHash, randomBytes } from 'node:crypto'
import { existsSync, readdirSync } from 'node:fs'
import { join as joinPath } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { WebsocketProvider } from 'y-websocket'
import { readBoard } from '../../common/doc/board-doc'
import { insertItem } from '../../common/doc/queue-doc'
import { newShareId } from '../../common/share'
import { shortCode } from '../../common/share/short-link'
import { exportMember, removeMember, setRole } from '../../sync-server/admin/admin'
import { DB_FILE } from '../../sync-server/persistence/database'
import { makeItem } from '../helpers/items'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { selectRelayRows } from '../helpers/relay-tables'
import { startPostgres, startRedis, type TestServer } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { provider, RawClient, roomUrl, synced } from '../relay/support'
import { clusterArgs } from './support'

/**
 * Issue 11.2: three nodes that share nothing but Redis, PostgreSQL and the signing secret (as on
 * three machines: each has its own data dir). Members, shares, clicks and results are in
 * PostgreSQL; what one node writes, the others read, and a membership change made anywhere
 * takes access back on every node.
 */
const PUBLIC = 'https://go.example.test'
const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0'

let redis: TestServer
let postgres: TestServer
const nodes: RelayProcess[] = []
const providers: WebsocketProvider[] = []
const sockets: RawClient[] = []
let acme: string

const node = (i: number) => nodes[i] as RelayProcess
const proofOf = (device: string, shareId: string) =>
  createHash('sha256').update(`${device}:${shareId}`).digest('base64url')

async function api(
  on: RelayProcess,
  method: 'POST' | 'DELETE',
  route: string,
  token: string,
  body?: unknown,
) {
  const response = await fetch(`${on.httpUrl}/api/v1/${route}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  return { status: response.status, body: (await response.json()) as Record<string, unknown> }
}

/** Join as a core does: the invitation token renewed into a device token, through `on`. */
async function join(on: RelayProcess, name: string, role: 'employee' | 'champion') {
  const invited = await node(0).issueToken({
    workspaceId: acme,
    name,
    role,
    memberId: `mem_${name}`,
  })
  const renewed = await api(on, 'POST', 'token/renew', invited.token, {})
  expect(renewed.status).toBe(200)
  return { memberId: invited.memberId, token: renewed.body.token as string }
}

/** An API call any member may make (their results for one unknown share): its status. */
async function probe(on: RelayProcess, token: string): Promise<number> {
  const id = newShareId()
  return (
    await api(on, 'POST', 'results/mine', token, { shares: [{ id, proof: proofOf('x', id) }] })
  ).status
}

async function linkIndexed(itemId: string): Promise<boolean> {
  const rows = await selectRelayRows(
    node(2),
    'SELECT COUNT(*) AS n FROM link_items WHERE workspace_id = ? AND item_id = ?',
    [acme, itemId],
  )
  return rows[0]?.n === 1
}

beforeAll(async () => {
  ;[redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  const secret = randomBytes(32).toString('hex')
  for (let i = 0; i < 3; i++)
    nodes.push(
      await startRelay({
        // Each node its own data dir (the helper's default: a fresh temp folder).
        env: { PORTE_VOIX_RELAY_SECRET: secret },
        args: [
          ...clusterArgs(redis, postgres),
          '--public-url',
          PUBLIC,
          '--board-debounce-ms',
          '50',
        ],
      }),
    )
  acme = await node(0).createWorkspace('Acme')
})

afterAll(async () => {
  for (const p of providers) p.destroy()
  await Promise.all(sockets.map((s) => s.close()))
  await Promise.all(nodes.map((n) => stopRelay(n)))
  await Promise.all([redis?.stop(), postgres?.stop()])
})

describe('three nodes with different data dirs on one Redis + PostgreSQL', () => {
  it('a join through A, a share through B, a click through C: results and board on every node', async () => {
    expect(new Set(nodes.map((n) => n.dataDir)).size).toBe(3)
    const champion = await join(node(0), 'chloe', 'champion')
    const eric = await join(node(0), 'eric', 'employee')

    // The champion publishes on B; the link index (PostgreSQL) learns the item.
    const queue = provider(node(1).url, acme, 'queue', champion.token)
    providers.push(queue)
    await synced(queue)
    insertItem(queue.doc, makeItem('item_launch', { status: 'published' }))
    await waitFor('the item indexed in PostgreSQL', () => linkIndexed('item_launch'))

    // Eric opts in through C, reports his share through B.
    expect((await api(node(2), 'POST', 'leaderboard', eric.token, { optIn: true })).status).toBe(
      200,
    )
    const shareId = newShareId()
    const proof = proofOf('eric-laptop', shareId)
    const reported = await api(node(1), 'POST', 'shares', eric.token, {
      events: [
        {
          id: shareId,
          itemId: 'item_launch',
          network: 'linkedin',
          objective: 'awareness',
          campaignId: null,
          sharedAt: new Date().toISOString(),
          proof,
        },
      ],
    })
    expect(reported.body).toMatchObject({ accepted: 1 })

    // A visitor follows the short link through C.
    const code = shortCode({
      workspaceId: acme,
      itemId: 'item_launch',
      network: 'linkedin',
      shareId,
    })
    const response = await fetch(`${node(2).httpUrl}/s/${code}`, {
      redirect: 'manual',
      headers: { 'user-agent': FIREFOX },
    })
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toContain(`utm_content=${shareId}`)

    // A answers Eric's results with C's click.
    const mine = await api(node(0), 'POST', 'results/mine', eric.token, {
      shares: [{ id: shareId, proof }],
    })
    expect(mine.status).toBe(200)
    expect(mine.body.clicks).toMatchObject([{ shareId, unique: true }])

    // The board (written by whichever node rebuilt it) counts the share and the click, and
    // names the opted-in member; read through A.
    const board = await RawClient.connect(roomUrl(node(0).url, acme, 'board', eric.token))
    sockets.push(board)
    await board.sync()
    await waitFor('the board counts the share and the click', () => {
      const read = readBoard(board.doc)
      const item = read.items.find((i) => i.itemId === 'item_launch')
      return item && item.shares === 1 && item.clicks === 1 && item.uniqueClicks === 1 ? read : null
    })
    await waitFor('Eric on the leaderboard', () =>
      readBoard(board.doc).leaderboard?.rows.some((r) => r.memberId === eric.memberId),
    )

    // The admin tool, on PostgreSQL + Redis, exports what is held about Eric: his opt-in and
    // linked share, and his directory entry (written by the node he connected to).
    const target = { dataDir: node(0).dataDir, postgresUrl: postgres.url, redisUrl: redis.url }
    const exported = await waitFor('Eric in the exported directory', async () => {
      const e = await exportMember(target, eric.memberId)
      return e.documents.some((d) => d.path === `members/${eric.memberId}`) ? e : null
    })
    expect(exported.leaderboard?.shareIds).toEqual([shareId])
    expect(exported.member.role).toBe('employee')

    // Nothing relational went to a node's SQLite: no node has a relay database at all.
    for (const n of nodes) {
      expect(existsSync(joinPath(n.dataDir, DB_FILE))).toBe(false)
      expect(readdirSync(n.dataDir).filter((f) => f.startsWith(DB_FILE))).toEqual([])
    }
  })

  it('a role change or removal made elsewhere closes sockets on every node; the API refuses', async () => {
    const olivia = await join(node(0), 'olivia', 'champion')
    const frank = await join(node(1), 'frank', 'employee')
    const gina = await join(node(2), 'gina', 'employee')
    const onB = await RawClient.connect(roomUrl(node(1).url, acme, 'queue', olivia.token))
    const onC = await RawClient.connect(roomUrl(node(2).url, acme, 'queue', frank.token))
    const ginaOnB = await RawClient.connect(roomUrl(node(1).url, acme, 'queue', gina.token))
    sockets.push(onB, onC, ginaOnB)
    await Promise.all([onB.sync(), onC.sync(), ginaOnB.sync()])
    // The API on C has served (and cached) these members before the changes.
    for (const who of [olivia, frank, gina]) expect(await probe(node(2), who.token)).toBe(200)

    // The admin tool (on PostgreSQL) changes Olivia's role: her socket on B closes with 4000.
    await setRole(node(0).adminTarget, olivia.memberId, 'employee')
    expect((await onB.closed).code).toBe(4000)
    expect(await probe(node(2), olivia.token)).toBe(403)

    // Frank is removed: his socket on C closes with 4403, A and B refuse his token.
    await removeMember(node(0).adminTarget, frank.memberId)
    expect((await onC.closed).code).toBe(4403)
    for (const n of [node(0), node(1)]) expect(await probe(n, frank.token)).toBe(403)

    // Gina leaves and deletes herself through A: her socket on B closes, C refuses her.
    expect((await api(node(0), 'DELETE', 'members/me', gina.token)).status).toBe(200)
    expect((await ginaOnB.closed).code).toBe(4403)
    expect(await probe(node(2), gina.token)).toBe(403)
    // Still serving everyone else: a new connection on C works.
    const champion = await join(node(2), 'hugo', 'champion')
    const again = await RawClient.connect(roomUrl(node(2).url, acme, 'queue', champion.token))
    sockets.push(again)
    await again.sync()
  })
})
