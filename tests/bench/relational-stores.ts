/**
 * What the relational stores cost per call on each backend (issue 11.2), in one process, the two
 * backends interleaved round by round: the upgrade's member read (PostgreSQL: from the node's
 * LISTEN-gated cache, and uncached), a turn's device records, a share report, a click.
 *
 *   npx tsx tests/bench/relational-stores.ts [rounds=5] [calls=300]
 *
 * Prints the median µs of wall time per call and the process CPU per call (from
 * process.cpuUsage: the relay's own cost; PostgreSQL's is on its side of the socket).
 */
import { createHash } from 'node:crypto'
import pg from 'pg'
import { newShareId } from '../../common/share'
import { openDatabase } from '../../sync-server/persistence/database'
import {
  openSqliteRelational,
  type RelationalStores,
} from '../../sync-server/persistence/relational'
import { openPgRelational } from '../../sync-server/storage/postgres/relational'
import { removeTempDir, tempDir } from '../helpers/process'
import { startPostgres } from '../helpers/servers'

const rounds = Number(process.argv[2] ?? 5)
const calls = Number(process.argv[3] ?? 300)
const WS = 'ws_bench'

type Op = { name: string; run: (s: RelationalStores, i: number) => Promise<unknown> }

const ops: Op[] = [
  { name: 'member read (upgrade)', run: (s, i) => s.workspaces.getMemberRecord(`mem_${i % 50}`) },
  {
    name: "device records (one turn's 10 connects)",
    run: (s, i) =>
      s.workspaces.touchDevices(
        Array.from({ length: 10 }, (_, k) => ({
          member: `mem_${(i + k) % 50}`,
          device: `dev_${k}`,
          now: new Date(),
          connected: 1 as const,
        })),
      ),
  },
  {
    name: 'share report (1 event)',
    run: (s) => {
      const id = newShareId()
      return s.shares.record(
        WS,
        [
          {
            id,
            itemId: 'item_a',
            network: 'linkedin',
            objective: 'awareness',
            campaignId: null,
            sharedAt: new Date().toISOString(),
            proof: createHash('sha256').update(id).digest('base64url'),
          },
        ],
        new Date(),
      )
    },
  },
  {
    name: 'click',
    run: (s, i) =>
      s.links.recordClick({
        workspaceId: WS,
        shareId: `share_${i % 20}`,
        itemId: 'item_a',
        network: 'linkedin',
        ip: `203.0.113.${i % 200}`,
        uaFamily: 'firefox/linux',
        at: new Date(),
      }),
  },
]

async function seed(s: RelationalStores): Promise<void> {
  await s.workspaces.createWorkspace({ id: WS, name: 'Bench' })
  const now = new Date()
  for (let i = 0; i < 50; i++)
    await s.workspaces.upsertMember(
      { id: `mem_${i}`, workspaceId: WS, displayName: `M${i}`, role: 'employee' },
      now,
      now,
    )
}

async function measure(s: RelationalStores, op: Op): Promise<{ wall: number; cpu: number }> {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < calls; i++) await op.run(s, i)
  const wall = ((performance.now() - t0) * 1000) / calls
  const cpu = process.cpuUsage(cpu0)
  return { wall, cpu: (cpu.user + cpu.system) / calls }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0

const dir = tempDir('porte-voix-bench-relational-')
const postgres = await startPostgres()
const db = openDatabase(dir)
const sqlite = openSqliteRelational(db)
const admin = new pg.Client({ connectionString: postgres.url })
await admin.connect()
await admin.query('CREATE SCHEMA cached; CREATE SCHEMA uncached')
await admin.end()
const url = (schema: string) =>
  `${postgres.url}?options=${encodeURIComponent(`-c search_path=${schema}`)}`
// A node (LISTEN up: member reads cached) and one without the watch (every read a query).
const cached = await openPgRelational({ url: url('cached'), listen: true })
const uncached = await openPgRelational({ url: url('uncached'), listen: false })
const backends: [string, RelationalStores][] = [
  ['sqlite', sqlite],
  ['postgres (cache)', cached],
  ['postgres (no cache)', uncached],
]
try {
  for (const [, s] of backends) await seed(s)
  const results = new Map<string, { wall: number[]; cpu: number[] }>()
  for (let r = 0; r < rounds; r++)
    for (const op of ops)
      for (const [name, s] of backends) {
        const key = `${op.name}\t${name}`
        const m = await measure(s, op)
        const entry = results.get(key) ?? { wall: [], cpu: [] }
        entry.wall.push(m.wall)
        entry.cpu.push(m.cpu)
        results.set(key, entry)
      }
  console.log(`operation\tbackend\twall µs/call (median of ${rounds})\trelay CPU µs/call`)
  for (const [key, { wall, cpu }] of results)
    console.log(`${key}\t${median(wall).toFixed(0)}\t${median(cpu).toFixed(0)}`)
} finally {
  await cached.close()
  await uncached.close()
  db.close()
  await postgres.stop()
  removeTempDir(dir)
}
