/**
 * What one idle connection holds in each server's JavaScript heap, by object kind: a heap
 * snapshot after one connection and another after IDLE more (default 3000), both after a full GC,
 * and the difference per connection, Porte-voix vs the stock @y/websocket-server 0.1.1 (same
 * clients as relay-scale's idle scenario: one room, read-only for ours).
 *
 *   npx tsx tests/bench/relay-idle-heap.ts        (BENCH_REF=tree for the working tree)
 *
 * The RSS figure is relay-scale's `idle`; this says what of it is JavaScript objects and whose.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import {
  gcAndWait,
  openObservers,
  type Server,
  sleep,
  startPorteVoix,
  startStock,
} from './relay-scale-harness'

const IDLE = Number(process.env.IDLE ?? 3000)
const TOP = Number(process.env.TOP ?? 25)

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
    const server = name === 'stock' ? await startStock() : await startPorteVoix()
    try {
      const room = `idle-${Date.now()}`
      const urls: string[] = []
      for (let i = 0; i <= IDLE; i++)
        urls.push(await server.url(room, 1 + Math.floor(i / 1000), 'employee'))
      const first = await openObservers(urls.slice(0, 1))
      await sleep(1000)
      const a = totals(await snapshot(server, dir))
      const rest = await openObservers(urls.slice(1))
      await sleep(2000)
      const b = totals(await snapshot(server, dir))
      for (const o of [...first, ...rest]) o.close()
      const diff: Totals = new Map()
      for (const [key, after] of b) {
        const was = a.get(key) ?? { count: 0, bytes: 0 }
        diff.set(key, { count: after.count - was.count, bytes: after.bytes - was.bytes })
      }
      return diff
    } finally {
      await server.stop()
    }
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
print('porte-voix', await measure('porte-voix'))
if (!process.env.ONLY_OURS) print('stock', await measure('stock'))
process.exit(0)
