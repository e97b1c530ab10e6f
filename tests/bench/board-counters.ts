/**
 * A click's cost on the board path, before (a full rebuild per flush) and after (the counters
 * moved by the rows past their cursor, board/counters.ts), interleaved in one run:
 *   npx tsx tests/bench/board-counters.ts [sqlite|postgres] [shares] [clicks] [clicksPerFlush]
 * A workspace seeded like tests/bench/board-aggregate.ts (200 items, clicks over 5,000 distinct
 * 10-minute times), then rounds: `clicksPerFlush` clicks recorded through the link store, then
 * one flush each way (order alternating). CPU: this process's (process.cpuUsage) plus, on
 * PostgreSQL, its server processes' (utime+stime from /proc). Also the click's own recording
 * cost with and without the board_seq trigger (SQLite: a copy of the database without it).
 */
import { readdirSync, readFileSync } from 'node:fs'
import { DEFAULT_POINT_WEIGHTS } from '../../common/model/recognition'
import { aggregateRows, type BoardSource } from '../../sync-server/board/aggregate'
import { BoardState } from '../../sync-server/board/counters'
import type { ClickInput, LinkStore } from '../../sync-server/links/link-store'
import { type Db, openDatabase } from '../../sync-server/persistence/database'
import { openSqliteRelational } from '../../sync-server/persistence/relational'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { removeTempDir, tempDir } from '../helpers/process'
import { startPostgres, type TestServer } from '../helpers/servers'

const backend = process.argv[2] ?? 'sqlite'
const shares = Number(process.argv[3] ?? 2_000)
const clicks = Number(process.argv[4] ?? 50_000)
const perFlush = Number(process.argv[5] ?? 20)
const ROUNDS = 10
const WS = 'ws_bench'
const items = 200

const TICK_US = 1e6 / 100
/** utime+stime of a server and its children (PostgreSQL's backends), in µs. */
function serverCpuUs(pid: number | undefined): number {
  if (pid === undefined) return 0
  let total = 0
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    let stat: string
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
    } catch {
      continue
    }
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const ppid = Number(fields[1])
    if (Number(entry) !== pid && ppid !== pid) continue
    total += (Number(fields[11]) + Number(fields[12])) * TICK_US
  }
  return total
}

const cpuUs = () => {
  const u = process.cpuUsage()
  return u.user + u.system
}

type Sql = (text: string, params: unknown[]) => Promise<void>

async function seed(sql: Sql, now: number): Promise<void> {
  for (let i = 0; i < items; i++)
    await sql(
      `INSERT INTO {link_items} (workspace_id, item_id, url, campaign_id, campaign_slug, objective, source_kind)
       VALUES ('ws_bench', $1, 'https://acme.example/x', $2, 'c', $3, 'internal')`,
      [
        `item_${i}`,
        i % 10 === 0 ? `camp_${i % 3}` : null,
        ['awareness', 'talent', 'campaign'][i % 3],
      ],
    )
  for (let i = 0; i < shares; i++) {
    const at = new Date(now - (i % 60) * 86_400_000).toISOString()
    await sql(
      `INSERT INTO {shares} (workspace_id, id, owner_verifier, item_id, network, objective,
         campaign_id, shared_at, received_at)
       VALUES ('ws_bench', $1, NULL, $2, $3, 'awareness', NULL, $4, $4)`,
      [`shr_${i}`, `item_${i % items}`, i % 2 ? 'linkedin' : 'x', at],
    )
    if (i % 5 === 0)
      await sql(
        `INSERT INTO {share_members} (workspace_id, share_id, member_id) VALUES ('ws_bench', $1, $2)`,
        [`shr_${i}`, `mem_${i % 100}`],
      )
  }
  for (let m = 0; m < 100; m++)
    await sql(`INSERT INTO {leaderboard} VALUES ('ws_bench', $1, $2)`, [
      `mem_${m}`,
      new Date(now).toISOString(),
    ])
  for (let i = 0; i < clicks; i++) {
    const s = i % shares
    await sql(
      `INSERT INTO {clicks} (workspace_id, share_id, item_id, network, at, visitor, is_unique)
       VALUES ('ws_bench', $1, $2, $3, $4, NULL, $5)`,
      [
        `shr_${s}`,
        `item_${s % items}`,
        s % 2 ? 'linkedin' : 'x',
        new Date(now - (i % 5000) * 600_000).toISOString(),
        i % 3 ? 1 : 0,
      ],
    )
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? 0
}

async function main(): Promise<void> {
  const dir = tempDir('porte-voix-bench-counters-')
  let pgServer: TestServer | undefined
  const dbs: Db[] = []
  const closers: (() => Promise<void>)[] = []
  try {
    let source: BoardSource
    let links: LinkStore
    /** The same click store without the board_seq trigger (SQLite only): the trigger's cost. */
    let bareLinks: LinkStore | null = null
    let serverPid: number | undefined
    const now = Date.now()
    if (backend === 'postgres') {
      pgServer = await startPostgres()
      serverPid = pgServer.pid
      const stores = await openPgRelational({ url: pgServer.url })
      closers.push(() => stores.close())
      await stores.workspaces.createWorkspace({ id: WS, name: 'Bench' })
      const pg = await import('pg')
      const client = new pg.default.Client({ connectionString: pgServer.url })
      await client.connect()
      await client.query('BEGIN')
      await seed(async (text, params) => {
        await client.query(text.replace(/\{(\w+)\}/g, 'pv_$1'), params)
      }, now)
      await client.query('COMMIT')
      await client.query('VACUUM ANALYZE')
      await client.end()
      source = stores.board
      links = stores.links
    } else {
      const db = openDatabase(dir)
      dbs.push(db)
      const stores = openSqliteRelational(db)
      await stores.workspaces.createWorkspace({ id: WS, name: 'Bench' })
      db.exec('BEGIN')
      await seed(async (text, params) => {
        db.prepare(text.replace(/\{(\w+)\}/g, '$1').replace(/\$\d/g, '?')).run(
          ...reorder(text, params),
        )
      }, now)
      db.exec('COMMIT')
      source = stores.board
      links = stores.links
      const bareDir = tempDir('porte-voix-bench-counters-bare-')
      closers.push(async () => removeTempDir(bareDir))
      const bare = openDatabase(bareDir)
      dbs.push(bare)
      bare.exec('DROP TRIGGER clicks_board_seq')
      bareLinks = openSqliteRelational(bare).links
    }

    const input = {
      weights: DEFAULT_POINT_WEIGHTS,
      challenges: [],
      memberName: (id: string) => id,
      now: new Date(now),
    }
    let n = 0
    const click = (): ClickInput => {
      n++
      const s = n % shares
      return {
        workspaceId: WS,
        shareId: `shr_${s}`,
        itemId: `item_${s % items}`,
        network: s % 2 ? 'linkedin' : 'x',
        ip: `198.51.${Math.floor(n / 250) % 250}.${n % 250}`,
        uaFamily: 'firefox/linux',
        at: new Date(now - (n % 3000) * 1000),
      }
    }
    const measure = async (fn: () => Promise<unknown>) => {
      const c0 = cpuUs()
      const s0 = serverCpuUs(serverPid)
      const t0 = performance.now()
      await fn()
      return {
        ms: performance.now() - t0,
        cpuUs: cpuUs() - c0 + serverCpuUs(serverPid) - s0,
      }
    }

    const state = BoardState.fromRows(await source.boardRows(WS))
    const full: { ms: number; cpuUs: number }[] = []
    const counted: { ms: number; cpuUs: number }[] = []
    const record: { ms: number; cpuUs: number }[] = []
    const bare: { ms: number; cpuUs: number }[] = []
    for (let round = 0; round < ROUNDS; round++) {
      record.push(
        await measure(async () => {
          for (let i = 0; i < perFlush; i++) await links.recordClick(click())
        }),
      )
      if (bareLinks) {
        const store = bareLinks
        bare.push(
          await measure(async () => {
            for (let i = 0; i < perFlush; i++) await store.recordClick(click())
          }),
        )
      }
      const runFull = async () =>
        full.push(await measure(async () => aggregateRows(await source.boardRows(WS), input)))
      const runCounted = async () =>
        counted.push(
          await measure(async () => {
            const delta = await source.boardDelta(WS, state.cursor)
            if (!delta) throw new Error('generation moved during the bench')
            state.apply(delta)
            state.content(input)
          }),
        )
      if (round % 2 === 0) {
        await runFull()
        await runCounted()
      } else {
        await runCounted()
        await runFull()
      }
    }
    const per = (xs: { cpuUs: number }[]) => Math.round(median(xs.map((x) => x.cpuUs)) / perFlush)
    const result = {
      backend,
      shares,
      clicks,
      clicksPerFlush: perFlush,
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      fullFlush: {
        medianMs: Math.round(median(full.map((x) => x.ms))),
        cpuUsPerClick: per(full),
      },
      countedFlush: {
        medianMs: Math.round(median(counted.map((x) => x.ms)) * 10) / 10,
        cpuUsPerClick: per(counted),
      },
      recordClick: { cpuUsPerClick: per(record) },
      ...(bareLinks ? { recordClickWithoutTrigger: { cpuUsPerClick: per(bare) } } : {}),
    }
    process.stdout.write(`${JSON.stringify(result)}\n`)
  } finally {
    for (const close of closers) await close()
    for (const db of dbs) db.close()
    await pgServer?.stop()
    removeTempDir(dir)
  }
}

/** $n placeholders to SQLite's positional ones (each $n used in order, repeats repeated). */
function reorder(text: string, params: unknown[]): unknown[] {
  return [...text.matchAll(/\$(\d)/g)].map((m) => params[Number(m[1]) - 1])
}

await main()
