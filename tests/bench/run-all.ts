/**
 * `npm run bench`: every benchmark once, at a small size, one after the other, each printing its
 * own figures — a smoke run that shows each bench still runs and roughly what it measures, in
 * minutes rather than the hours of the full sizes. The figures in BENCHMARKS.md come from each
 * script's own command at its full size (see its header), interleaved, with the load noted.
 *
 *   npm run bench                       every bench
 *   npm run bench -- relay-scale nudges only these (names as in tests/bench/, without .ts)
 *   npm run bench -- --list             the benches and the sizes they run at here
 *
 * The benches that run the app's built JavaScript (the core host, the renderer) need `npm run
 * build` first: without out/ they are skipped, and said so. Servers (relay, Redis, PostgreSQL,
 * Chromium) are started by each bench itself. Exit code 1 when a bench failed.
 */
import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

const ROOT = join(import.meta.dirname, '..', '..')
const BENCH_DIR = join(ROOT, 'tests', 'bench')

type Bench = {
  /** The script, tests/bench/<name>.ts. */
  name: string
  args?: string[]
  /** Sizes and durations, as each script reads them. */
  env?: Record<string, string>
  /** Runs out/main/host.js or out/renderer (the app's built JavaScript). */
  built?: boolean
  /** What this size still shows (when the script has no size to turn down). */
  note?: string
}

const BENCHES: Bench[] = [
  { name: 'board-aggregate', args: ['200', '2000', '20'] },
  { name: 'board-counters', args: ['sqlite', '200', '2000', '20'] },
  { name: 'code-cache-probe', args: ['3'], note: 'a probe of Chromium: 3 starts (its minimum)' },
  { name: 'core-compaction', note: 'fixed size: 10,000 edits, 21 runs' },
  { name: 'core-memory', args: ['3'], built: true, note: 'fixed size: 1,000 items, 3 runs' },
  { name: 'core-propagation', args: ['20'], built: true },
  { name: 'core-start', args: ['3'], built: true, note: '1,000 items, 3 runs (its minimum)' },
  { name: 'core-wakeups', env: { DURATION_S: '10' } },
  { name: 'keepalive', env: { ITEMS: '100', CLIENTS: '5', DURATION_S: '25' } },
  { name: 'nudges', note: 'fixed size: 4 weeks simulated' },
  { name: 'popover-first-paint', args: ['5'], built: true, note: '5 runs (its minimum)' },
  { name: 'popover-page', args: ['2'], built: true },
  { name: 'relational-stores', args: ['2', '50'] },
  { name: 'relay-append', env: { ROOMS: '50', APPENDS: '2000', ROUNDS: '1' } },
  {
    name: 'relay-cluster',
    env: {
      EDITS: '100',
      OBSERVERS: '100',
      FANOUT_EDITS: '50',
      TYPING: '100',
      KEYS: '20',
      ROUNDS: '1',
      IDLE_MS: '1000',
    },
  },
  { name: 'relay-compaction', env: { EDITS: '2000', RUNS: '3' } },
  { name: 'relay-fanout', env: { EDITS: '200', OBSERVERS: '50' } },
  { name: 'relay-idle-heap', env: { IDLE: '300' } },
  { name: 'relay-observers', env: { ROUNDS: '1', OBSERVERS: '200', EDITS: '20', CHILDREN: '2' } },
  {
    name: 'relay-scale',
    env: {
      ROUNDS: '1',
      FANOUT: '100',
      FANOUT_EDITS: '50',
      EDITS: '500',
      IDLE: '200',
      CONNECT: '100',
      TYPING: '100',
      KEYS: '20',
      ROOMS: '50',
      ROOMS_SECONDS: '5',
    },
  },
  { name: 'relay-scale-ab', env: { ROOMS: '50', ROOMS_SECONDS: '5', ROUNDS: '1' } },
  { name: 'short-links', args: ['200', '8'] },
  { name: 'studio-latency', env: { KEYS: '20' }, built: true },
  { name: 'studio-load', env: { ITEMS: '100', UPDATES: '2000' }, built: true },
]

/** Scripts in tests/bench/ that are parts of benches, not benches. */
const PARTS = new Set([
  'browser-profile',
  'node-runtime',
  'plain-chromium',
  'queue-fixture',
  'relay-scale-harness',
  'run-all',
  'stock-server',
])

const args = process.argv.slice(2)
const wanted = args.filter((arg) => !arg.startsWith('--'))
const unknown = wanted.filter((name) => !BENCHES.some((bench) => bench.name === name))
if (unknown.length > 0) {
  console.error(`no such bench: ${unknown.join(', ')} (npm run bench -- --list)`)
  process.exit(2)
}
const chosen = BENCHES.filter((bench) => wanted.length === 0 || wanted.includes(bench.name))

const describe = (bench: Bench) =>
  [
    `${bench.name}.ts`,
    ...(bench.args ?? []),
    ...Object.entries(bench.env ?? {}).map(([key, value]) => `${key}=${value}`),
    bench.built ? '(needs npm run build)' : '',
    bench.note ? `— ${bench.note}` : '',
  ]
    .filter(Boolean)
    .join(' ')

// A bench added to the folder and not here would silently never run: say so.
const listed = new Set(BENCHES.map((bench) => bench.name))
const unlisted = readdirSync(BENCH_DIR)
  .filter((file) => file.endsWith('.ts'))
  .map((file) => file.slice(0, -'.ts'.length))
  .filter((name) => !listed.has(name) && !PARTS.has(name))

if (args.includes('--list')) {
  for (const bench of BENCHES) console.log(describe(bench))
  if (unlisted.length > 0) console.log(`not in run-all.ts: ${unlisted.join(', ')}`)
  process.exit(0)
}

const built =
  existsSync(join(ROOT, 'out', 'main', 'host.js')) &&
  existsSync(join(ROOT, 'out', 'renderer', 'index.html'))

/** The 1-minute load average (the figures of a loaded machine are not comparable). */
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0] ?? '?'

/** A bench that takes longer than this at its small size is stuck: its process group is stopped. */
const BENCH_TIMEOUT_MS = 20 * 60_000
let running: number | null = null

function run(bench: Bench): Promise<number | null> {
  return new Promise((resolve) => {
    // Its own process group: a stuck bench is stopped with the servers it started.
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', join(BENCH_DIR, `${bench.name}.ts`), ...(bench.args ?? [])],
      { cwd: ROOT, stdio: 'inherit', detached: true, env: { ...process.env, ...bench.env } },
    )
    running = child.pid ?? null
    const timer = setTimeout(() => {
      console.error(
        `  ${bench.name}: still running after ${BENCH_TIMEOUT_MS / 60_000} min, stopped`,
      )
      stopGroup('SIGTERM')
    }, BENCH_TIMEOUT_MS)
    child.once('error', (error) => {
      console.error(`  could not start: ${error.message}`)
      clearTimeout(timer)
      resolve(1)
    })
    child.once('exit', (code, signal) => {
      clearTimeout(timer)
      running = null
      resolve(signal ? 128 : code)
    })
  })
}

function stopGroup(signal: NodeJS.Signals): void {
  if (running === null) return
  try {
    process.kill(-running, signal)
  } catch {
    // Already gone.
  }
}

type Outcome = { name: string; result: 'ok' | 'failed' | 'skipped'; seconds: number; why?: string }
const outcomes: Outcome[] = []
let stopped = false
// Ctrl-C: the running bench gets it too (it cleans up), then the run stops.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    stopped = true
    stopGroup(signal)
  })
}

for (const bench of chosen) {
  if (stopped) break
  if (!existsSync(join(BENCH_DIR, `${bench.name}.ts`))) {
    console.log(`\n=== ${bench.name}: skipped, tests/bench/${bench.name}.ts not found`)
    outcomes.push({ name: bench.name, result: 'skipped', seconds: 0, why: 'no such file' })
    continue
  }
  if (bench.built && !built) {
    console.log(`\n=== ${bench.name}: skipped, no out/ (run \`npm run build\` first)`)
    outcomes.push({ name: bench.name, result: 'skipped', seconds: 0, why: 'no out/' })
    continue
  }
  console.log(`\n=== ${describe(bench)}  [load ${load()}]`)
  const started = performance.now()
  const code = await run(bench)
  const seconds = (performance.now() - started) / 1000
  outcomes.push({
    name: bench.name,
    result: code === 0 ? 'ok' : 'failed',
    seconds,
    ...(code === 0 ? {} : { why: `exit ${code}` }),
  })
  console.log(
    `=== ${bench.name}: ${code === 0 ? 'done' : `FAILED (exit ${code})`} in ${seconds.toFixed(0)} s  [load ${load()}]`,
  )
}

console.log('\nbench        result   seconds')
for (const o of outcomes)
  console.log(
    `${o.name.padEnd(20)} ${o.result.padEnd(8)} ${o.seconds.toFixed(0).padStart(5)}${o.why ? `  ${o.why}` : ''}`,
  )
if (unlisted.length > 0) console.log(`not in run-all.ts (not run): ${unlisted.join(', ')}`)
process.exit(outcomes.some((o) => o.result === 'failed') || stopped ? 1 : 0)
