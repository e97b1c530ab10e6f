/**
 * Cost of one board rebuild (sync-server/board/aggregate.ts) on a workspace's tables:
 *   npx tsx tests/bench/board-aggregate.ts [shares] [clicks] [optedIn]
 * A relay database in a temp dir (removed after), rows inserted directly, then the aggregate
 * timed (median of 5). The relay runs it at most once per --board-debounce-ms per workspace.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { DEFAULT_POINT_WEIGHTS } from '../../common/model/recognition'
import { aggregateBoard } from '../../sync-server/board/aggregate'
import { openDatabase } from '../../sync-server/persistence/database'
import { SqliteWorkspaceStore } from '../../sync-server/persistence/workspace-store'

const shares = Number(process.argv[2] ?? 2_000)
const clicks = Number(process.argv[3] ?? 50_000)
const optedIn = Number(process.argv[4] ?? 100)
const dir = mkdtempSync(path.join(tmpdir(), 'porte-voix-bench-board-'))
try {
  const db = openDatabase(dir)
  await new SqliteWorkspaceStore(db).createWorkspace({ id: 'ws_bench', name: 'Bench' })
  const now = Date.now()
  db.transaction(() => {
    const items = 200
    const li = db.prepare(
      "INSERT INTO link_items VALUES ('ws_bench', ?, 'https://acme.example/x', ?, 'c', ?, 'internal')",
    )
    for (let i = 0; i < items; i++)
      li.run(
        `item_${i}`,
        i % 10 === 0 ? `camp_${i % 3}` : null,
        ['awareness', 'talent', 'campaign'][i % 3],
      )
    const sh = db.prepare(
      `INSERT INTO shares (workspace_id, id, owner_verifier, item_id, network, objective, campaign_id,
         shared_at, received_at) VALUES ('ws_bench', ?, NULL, ?, ?, 'awareness', NULL, ?, ?)`,
    )
    const sm = db.prepare(
      "INSERT INTO share_members (workspace_id, share_id, member_id) VALUES ('ws_bench', ?, ?)",
    )
    for (let i = 0; i < shares; i++) {
      const at = new Date(now - (i % 60) * 86_400_000).toISOString()
      sh.run(`shr_${i}`, `item_${i % items}`, i % 2 ? 'linkedin' : 'x', at, at)
      if (i % 5 === 0) sm.run(`shr_${i}`, `mem_${i % optedIn}`)
    }
    const lb = db.prepare("INSERT INTO leaderboard VALUES ('ws_bench', ?, ?)")
    for (let m = 0; m < optedIn; m++) lb.run(`mem_${m}`, new Date(now).toISOString())
    const cl = db.prepare(
      `INSERT INTO clicks (workspace_id, share_id, item_id, network, at, visitor, is_unique)
       VALUES ('ws_bench', ?, ?, ?, ?, NULL, ?)`,
    )
    for (let i = 0; i < clicks; i++) {
      const s = i % shares
      cl.run(
        `shr_${s}`,
        `item_${s % items}`,
        s % 2 ? 'linkedin' : 'x',
        new Date(now - (i % 5000) * 600_000).toISOString(),
        i % 3 ? 1 : 0,
      )
    }
  })()
  const runs: number[] = []
  for (let r = 0; r < 5; r++) {
    const t = performance.now()
    aggregateBoard(db, 'ws_bench', {
      weights: DEFAULT_POINT_WEIGHTS,
      challenges: [],
      memberName: (id) => id,
      now: new Date(now),
    })
    runs.push(performance.now() - t)
  }
  runs.sort((a, b) => a - b)
  process.stdout.write(
    `${JSON.stringify({ shares, clicks, optedIn, medianMs: Math.round(runs[2] ?? 0), minMs: Math.round(runs[0] ?? 0) })}\n`,
  )
  db.close()
} finally {
  rmSync(dir, { recursive: true, force: true })
}
