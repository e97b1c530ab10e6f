import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newShareId } from '../../common/share'
import { aggregateRows } from '../../sync-server/board/aggregate'
import { BoardState } from '../../sync-server/board/counters'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { normalBoard } from '../helpers/board-content'
import { prng } from '../helpers/prng'
import { startPostgres, type TestServer } from '../helpers/servers'

/**
 * board_seq across nodes (review finding on issue 11: untested). Each node has its own pool on
 * one PostgreSQL; a row of the board's inputs takes the workspace's next board_seq in a trigger
 * (the pv_board_seq row stays locked until its transaction commits, so seqs follow commit
 * order). Two nodes record clicks and share reports concurrently while a third reads the board
 * incrementally (boardDelta after its cursor): no row is skipped or read twice, so its running
 * counters equal a full rebuild, and the cursor moved by exactly one per row.
 */
let postgres: TestServer
let nodes: RelationalStores[] = []

beforeAll(async () => {
  postgres = await startPostgres()
  nodes = await Promise.all([0, 1, 2].map(() => openPgRelational({ url: postgres.url })))
})
afterAll(async () => {
  await Promise.all(nodes.map((n) => n.close()))
  await postgres?.stop()
})

const ITEMS = ['item_a', 'item_b', 'item_c']
const NETWORKS = ['linkedin', 'x', 'facebook'] as const

describe('board_seq with two nodes writing to one PostgreSQL', () => {
  it('concurrent clicks and share reports from two pools: incremental counters equal a rebuild', async () => {
    const [a, b, reader] = nodes as [RelationalStores, RelationalStores, RelationalStores]
    const random = prng(11)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T
    const ws = 'ws_board_seq'
    await a.workspaces.createWorkspace({ id: ws, name: 'Seq' })
    await a.links.putTargets(
      ws,
      new Map(
        ITEMS.map((item) => [
          item,
          {
            url: `https://example.com/${item}`,
            campaignId: 'camp_1',
            campaignSlug: 'spring',
            objective: 'awareness',
            sourceKind: 'internal',
          },
        ]),
      ),
    )
    const now = new Date('2026-03-20T12:00:00Z')
    const input = { weights: { share: 10, click: 1, conversion: 25 }, challenges: [], now }
    const board = { ...input, memberName: () => null }
    let state = BoardState.fromRows(await reader.board.boardRows(ws))
    const start = state.cursor.seq

    const shares = Array.from({ length: 40 }, () => newShareId())
    let writing = true
    let deltas = 0
    // The reader follows while the nodes write (each delta read in one snapshot).
    const following = (async () => {
      while (writing) {
        const delta = await reader.board.boardDelta(ws, state.cursor)
        if (delta) {
          state.apply(delta)
          deltas++
        } else state = BoardState.fromRows(await reader.board.boardRows(ws))
      }
    })()
    const writes: Promise<unknown>[] = []
    let rows = 0
    for (let i = 0; i < 600; i++) {
      const node = i % 2 === 0 ? a : b
      const share = pick(shares)
      if (random() < 0.1) {
        writes.push(
          node.shares.record(
            ws,
            [
              {
                id: newShareId(),
                itemId: pick(ITEMS),
                network: pick(NETWORKS),
                objective: 'awareness',
                campaignId: 'camp_1',
                sharedAt: new Date(now.getTime() - i * 60_000).toISOString(),
                proof: `proof-${i}-0123456789abcdef0123456789abcdef0123`.slice(0, 43),
              },
            ],
            now,
          ),
        )
      } else {
        writes.push(
          node.links.recordClick({
            workspaceId: ws,
            shareId: share,
            itemId: pick(ITEMS),
            network: pick(NETWORKS),
            ip: `203.0.113.${Math.floor(random() * 8)}`,
            uaFamily: 'firefox/linux',
            at: new Date(now.getTime() - Math.floor(random() * 20) * 86_400_000),
          }),
        )
      }
      rows++
      // Up to 32 writes in flight at once (each pool holds 8 connections).
      if (writes.length >= 32) await Promise.all(writes.splice(0))
    }
    await Promise.all(writes)
    writing = false
    await following
    const last = await reader.board.boardDelta(ws, state.cursor)
    if (last) state.apply(last)
    else state = BoardState.fromRows(await reader.board.boardRows(ws))

    expect(deltas).toBeGreaterThan(1)
    expect(state.cursor.seq - start).toBe(rows)
    const full = aggregateRows(await reader.board.boardRows(ws), board)
    expect(normalBoard(state.content(board))).toEqual(normalBoard(full))
  })
})
