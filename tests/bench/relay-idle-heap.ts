/**
 * What one idle connection holds in each server, Porte-voix vs the stock @y/websocket-server
 * 0.1.1 (same clients as relay-scale's idle scenario: one room, read-only for ours):
 *
 * 1. Where its RSS goes (SPLIT_ROUNDS, default 2, interleaved; 0 skips): RSS before and after
 *    IDLE (default 3000) connections, each after a full GC, split into V8's young generation
 *    (new space, committed), the rest of V8's heap (committed) and what is outside V8's heap
 *    (native: libuv, node's stream wraps, malloc). The young generation grows while the connects'
 *    objects survive scavenges, up to a bounded size, and V8 gives it back once the process has
 *    been quiet a while (its memory reducer): the RSS read just after a burst carries it, what
 *    stays per connection is the rest (issue 11.3, session 10).
 *    SETTLE_S=<seconds> (default 0): read again after that long with the connections idle, to
 *    see the young generation given back (its size in MiB before, after, settled).
 * 2. By object kind (SNAPSHOTS=0 skips): a heap snapshot after one connection and another after
 *    IDLE more, both after a full GC, and the difference per connection.
 *
 *   npx tsx tests/bench/relay-idle-heap.ts        (BENCH_REF=tree for the working tree)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  gcAndWait,
  loadAverage,
  openObservers,
  rssKiB,
  type Server,
  sleep,
  startPorteVoix,
  startStock,
} from './relay-scale-harness'

const IDLE = Number(process.env.IDLE ?? 3000)
const TOP = Number(process.env.TOP ?? 25)
const SPLIT_ROUNDS = Number(process.env.SPLIT_ROUNDS ?? 2)
const SNAPSHOTS = process.env.SNAPSHOTS !== '0'
const SETTLE_S = Number(process.env.SETTLE_S ?? 0)

/**
 * Preloaded into both servers after tests/bench/gc-on-signal.cjs (whose SIGUSR2 listener runs
 * the full GC first): on the same signal, V8's heap spaces are written to `<dir>/<pid>.json`.
 */
const HEAP_SPACES = `
const { writeFileSync, renameSync } = require('node:fs')
const v8 = require('node:v8')
process.on('SIGUSR2', () => {
  const file = require('node:path').join(process.env.IDLE_HEAP_DIR, process.pid + '.json')
  const spaces = v8.getHeapSpaceStatistics()
  const young = spaces.find((s) => s.space_name === 'new_space')?.physical_space_size ?? 0
  const heap = spaces.reduce((n, s) => n + s.physical_space_size, 0)
  writeFileSync(file + '.tmp', JSON.stringify({ young, heap, heapUsed: process.memoryUsage().heapUsed }))
  renameSync(file + '.tmp', file)
})
`

type Split = { rss: number; young: number; heap: number; heapUsed: number }

/** RSS (KiB) and V8's heap (bytes) after a full GC. */
async function split(server: Server, dir: string): Promise<Split> {
  const file = join(dir, `${server.pid}.json`)
  rmSync(file, { force: true })
  await gcAndWait(server)
  for (let i = 0; i < 100; i++) {
    try {
      const spaces = JSON.parse(readFileSync(file, 'utf8')) as Omit<Split, 'rss'>
      await sleep(200)
      return { rss: rssKiB(server.pid), ...spaces }
    } catch {
      await sleep(20)
    }
  }
  throw new Error('no heap spaces from the server')
}

/**
 * `read` of a fresh server (`name`) after one idle connection, again after IDLE more (each once
 * the connects are past: 1 s, 2 s), and `c` after `settleS` more seconds if asked; then the
 * connections are closed and the server stopped.
 */
async function idleReads<T>(
  name: 'porte-voix' | 'stock',
  read: (server: Server) => Promise<T>,
  settleS = 0,
): Promise<{ a: T; b: T; c: T | null }> {
  const server = name === 'stock' ? await startStock() : await startPorteVoix()
  try {
    const room = `idle-${Date.now()}`
    const urls: string[] = []
    for (let i = 0; i <= IDLE; i++)
      urls.push(await server.url(room, 1 + Math.floor(i / 1000), 'employee'))
    const first = await openObservers(urls.slice(0, 1))
    await sleep(1000)
    const a = await read(server)
    const rest = await openObservers(urls.slice(1))
    await sleep(2000)
    const b = await read(server)
    if (settleS > 0) await sleep(settleS * 1000)
    const c = settleS > 0 ? await read(server) : null
    for (const o of [...first, ...rest]) o.close()
    return { a, b, c }
  } finally {
    await server.stop()
  }
}

type SplitResult = {
  rssKiB: number
  youngKiB: number
  restOfHeapKiB: number
  outsideHeapKiB: number
  heapUsedB: number
  /** The young generation's size (MiB) before and after the connects, and after SETTLE_S. */
  youngMiB: number[]
  /** RSS outside the young generation after SETTLE_S, per connection (KiB). */
  settledOutsideKiB: number | null
}

async function measureSplit(name: 'porte-voix' | 'stock'): Promise<SplitResult> {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-split-'))
  const preload = join(dir, 'heap-spaces.cjs')
  writeFileSync(preload, HEAP_SPACES)
  const key = name === 'stock' ? 'STOCK_NODE_ARGS' : 'RELAY_NODE_ARGS'
  const was = process.env[key]
  process.env[key] = `${was ?? ''} --require ${preload}`
  process.env.IDLE_HEAP_DIR = dir
  try {
    const { a, b, c } = await idleReads(name, (server) => split(server, dir), SETTLE_S)
    const kib = (bytes: number) => bytes / 1024 / IDLE
    const mib = (x: Split) => x.young / 2 ** 20
    const rssKiB = (b.rss - a.rss) / IDLE
    const heapKiB = kib(b.heap - a.heap)
    return {
      rssKiB,
      youngKiB: kib(b.young - a.young),
      restOfHeapKiB: heapKiB - kib(b.young - a.young),
      outsideHeapKiB: rssKiB - heapKiB,
      heapUsedB: (b.heapUsed - a.heapUsed) / IDLE,
      youngMiB: [a, b, ...(c ? [c] : [])].map(mib),
      settledOutsideKiB: c ? (c.rss - a.rss) / IDLE - kib(c.young - a.young) : null,
    }
  } finally {
    if (was === undefined) delete process.env[key]
    else process.env[key] = was
    rmSync(dir, { recursive: true, force: true })
  }
}

function printSplit(name: string, rs: SplitResult[]): void {
  const list = (pick: (r: SplitResult) => number, digits = 2) =>
    rs.map((r) => pick(r).toFixed(digits)).join(' / ')
  console.log(
    `  ${name.padEnd(10)} RSS ${list((r) => r.rssKiB)} KiB = young generation ${list((r) => r.youngKiB)}` +
      ` + rest of V8's heap ${list((r) => r.restOfHeapKiB)} + outside V8's heap ${list((r) => r.outsideHeapKiB)};` +
      ` RSS outside the young generation ${list((r) => r.rssKiB - r.youngKiB)} KiB; heapUsed ${list((r) => r.heapUsedB, 0)} B`,
  )
  console.log(
    `  ${''.padEnd(10)} young generation ${rs.map((r) => r.youngMiB.map((m) => m.toFixed(1)).join(' → ')).join(' / ')} MiB (before → after${SETTLE_S > 0 ? ` → ${SETTLE_S} s later` : ''})` +
      (SETTLE_S > 0
        ? `; then RSS outside it ${list((r) => r.settledOutsideKiB ?? Number.NaN)} KiB per connection`
        : ''),
  )
}

type Totals = Map<string, { count: number; bytes: number }>

/** Self sizes by `type:name` (constructor names for objects, `string` for all strings). */
function totals(file: string): Totals {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as {
    snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }
    nodes: number[]
    strings: string[]
  }
  const fields = snapshot.snapshot.meta.node_fields
  const types = snapshot.snapshot.meta.node_types[0]
  const width = fields.length
  const typeAt = fields.indexOf('type')
  const nameAt = fields.indexOf('name')
  const sizeAt = fields.indexOf('self_size')
  const out: Totals = new Map()
  const nodes = snapshot.nodes
  for (let i = 0; i < nodes.length; i += width) {
    const type = types[nodes[i + typeAt] ?? 0] ?? '?'
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string'
        ? ''
        : type === 'code' || type === 'hidden'
          ? ''
          : (snapshot.strings[nodes[i + nameAt] ?? 0] ?? '?').slice(0, 60)
    const key = `${type}:${name}`
    const entry = out.get(key) ?? { count: 0, bytes: 0 }
    entry.count++
    entry.bytes += nodes[i + sizeAt] ?? 0
    out.set(key, entry)
  }
  return out
}

/** Snapshot via --heapsnapshot-signal: the newest .heapsnapshot in `dir` once it stops growing. */
async function snapshot(server: Server, dir: string): Promise<string> {
  const before = new Set(readdirSync(dir))
  await gcAndWait(server)
  process.kill(server.pid, 'SIGUSR1')
  let file: string | undefined
  let last = -1
  for (let i = 0; i < 600; i++) {
    await sleep(250)
    file ??= readdirSync(dir).find((f) => f.endsWith('.heapsnapshot') && !before.has(f))
    if (!file) continue
    const size = statSync(join(dir, file)).size
    // A finished snapshot ends with its strings array and a closing brace.
    if (size === last && size > 0 && readFileSync(join(dir, file), 'utf8').trimEnd().endsWith('}'))
      return join(dir, file)
    last = size
  }
  throw new Error('no heap snapshot')
}

async function measure(name: 'porte-voix' | 'stock'): Promise<Totals> {
  const dir = mkdtempSync(join(tmpdir(), 'porte-voix-heap-'))
  try {
    const flags = `--heapsnapshot-signal=SIGUSR1 --diagnostic-dir=${dir}`
    if (name === 'stock') process.env.STOCK_NODE_ARGS = flags
    else process.env.RELAY_NODE_ARGS = flags
    const { a, b } = await idleReads(name, async (server) => totals(await snapshot(server, dir)))
    const diff: Totals = new Map()
    for (const [key, after] of b) {
      const was = a.get(key) ?? { count: 0, bytes: 0 }
      diff.set(key, { count: after.count - was.count, bytes: after.bytes - was.bytes })
    }
    return diff
  } finally {
    if (process.env.KEEP_SNAPSHOTS) console.log(`snapshots kept in ${dir}`)
    else rmSync(dir, { recursive: true, force: true })
  }
}

function print(name: string, diff: Totals): void {
  const rows = [...diff.entries()].sort((x, y) => y[1].bytes - x[1].bytes)
  const total = rows.reduce((n, [, v]) => n + v.bytes, 0)
  console.log(`${name}: ${(total / IDLE).toFixed(0)} B of JS heap per idle connection`)
  for (const [key, v] of rows.slice(0, TOP))
    console.log(
      `  ${(v.bytes / IDLE).toFixed(0).padStart(6)} B  ${(v.count / IDLE).toFixed(2).padStart(6)}×  ${key}`,
    )
}

console.log(`relay-idle-heap (node ${process.version}): ${IDLE} idle connections, one room`)
if (SPLIT_ROUNDS > 0) {
  const ours: SplitResult[] = []
  const stock: SplitResult[] = []
  const loads = [loadAverage()]
  for (let round = 0; round < SPLIT_ROUNDS; round++) {
    // Alternate which server goes first.
    const order =
      round % 2 === 0 ? (['porte-voix', 'stock'] as const) : (['stock', 'porte-voix'] as const)
    for (const name of order) {
      if (name === 'stock' && process.env.ONLY_OURS) continue
      ;(name === 'stock' ? stock : ours).push(await measureSplit(name))
    }
    loads.push(loadAverage())
  }
  console.log(
    `per idle connection, after a full GC, rounds ${SPLIT_ROUNDS}; load ${loads.join(' → ')}`,
  )
  printSplit('porte-voix', ours)
  if (stock.length > 0) printSplit('stock', stock)
}
if (SNAPSHOTS) {
  print('porte-voix', await measure('porte-voix'))
  if (!process.env.ONLY_OURS) print('stock', await measure('stock'))
}
process.exit(0)
