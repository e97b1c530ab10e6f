/**
 * Benchmark: the core host's start, spawn → its "listening" line, as wall time and as CPU time
 * (user+sys from /proc/<pid>/stat), on the built host (out/main/host.js) with the core's V8 flags:
 * an empty data dir, and an employee's with a synced 1,000-item queue. CPU time is the figure to
 * compare on a shared machine: other processes stretch the wall time, much less the CPU time.
 * Also prints the host's start trace (PORTE_VOIX_START_TRACE=1): when each step of the start
 * ended, since the process started.
 *
 * Then, as the popover does, it connects and asks for its first screen (`queue.forMe` with a
 * limit of 20, `status.get`, `settings.get` at once): "first screen" is spawn → those answered,
 * wall and CPU time.
 *
 *   npm run build && npx tsx tests/bench/core-start.ts [runs] [hostA.js hostB.js]
 * With two built hosts (e.g. PORTE_VOIX_HOST_BUILD_DIR=DIR npx electron-vite build of two
 * revisions), runs alternate between them: a before/after ratio on the same machine state.
 * `--core-node=<major|path>` (tests/bench/node-runtime.ts): each host also runs on that Node
 * (e.g. 24, Electron 45's, with its compile cache), alternating with this process's Node.
 */
import { cpSync, readFileSync, rmSync } from 'node:fs'
import { connectCore, startCore } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { type BenchNode, coreNodeFromArgs } from './node-runtime'
import { median, prepareQueue } from './queue-fixture'

const ITEMS = 1_000
const POSITIONAL = process.argv.slice(2).filter((arg) => !arg.startsWith('--'))
const RUNS = Math.max(3, Number(POSITIONAL[0] ?? 5))
/** Built hosts to alternate between; none: the one hostEntry() names (out/main/host.js). */
const ENTRIES = POSITIONAL.slice(1)
/** The other Node to alternate with (undefined: this process's). */
const OTHER_NODE: BenchNode | null = coreNodeFromArgs()
const NODES: (string | undefined)[] = OTHER_NODE ? [undefined, OTHER_NODE.node] : [undefined]
const nodeTag = (node: string | undefined) =>
  OTHER_NODE ? ` [node ${node ? OTHER_NODE.version : process.versions.node}]` : ''
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS
}

// The host's start trace (main/host/main.ts): each step's time since the process started.
process.env.PORTE_VOIX_START_TRACE = '1'
const steps = new Map<string, number[]>()

type Figures = { wall: number; cpu: number; firstWall: number; firstCpu: number }

async function measure(
  dataDir: string,
  label: string,
  entry?: string,
  node?: string,
): Promise<Figures> {
  if (entry) process.env.PORTE_VOIX_HOST_ENTRY = entry
  const t0 = Date.now()
  const core = await startCore({
    dataDir,
    ...(node ? { node } : {}),
  })
  const wall = Date.now() - t0
  const cpu = cpuMs(core.pid)
  // The popover's first requests, sent together (renderer/src/state/store.ts).
  const client = await connectCore(core.url)
  await Promise.all([
    client.call('queue.forMe', { limit: 20 }).catch(() => null),
    client.call('status.get', {}),
    client.call('settings.get', {}),
  ])
  const firstWall = Date.now() - t0
  const firstCpu = cpuMs(core.pid)
  for (const match of core.logs().matchAll(/start \+(\d+) ms \(at \d+\): (.+)/g)) {
    const key = `${label}: ${match[2]}`
    steps.set(key, [...(steps.get(key) ?? []), Number(match[1])])
  }
  await core.stop()
  return { wall, cpu, firstWall, firstCpu }
}

async function main(): Promise<void> {
  // The fixture is written by the last host given (the newest store layout: an older core's
  // table lacks what a newer one needs to answer before the replicas load, and loads them first).
  const last = ENTRIES.at(-1)
  if (last) process.env.PORTE_VOIX_HOST_ENTRY = last
  const prepared = await prepareQueue(ITEMS)
  const entries = ENTRIES.length > 0 ? ENTRIES : [undefined]
  // Each host's own copy, started and stopped once by it: the first screen's stored answers are
  // read only by the build that wrote them (core/first-screen-quick.ts), as in the app, where
  // every start but the first after an update finds its own.
  // On the other Node, that start also fills its compile cache (node-runtime.ts): the measured
  // starts are the app's later ones, which find it.
  const templates = new Map<string, string>()
  const key = (entry: string | undefined, node: string | undefined) => `${entry}|${node}`
  for (const entry of entries) {
    for (const node of NODES) {
      if (entry) process.env.PORTE_VOIX_HOST_ENTRY = entry
      const dir = prepared.copy()
      const host = await startCore({ dataDir: dir, ...(node ? { node } : {}) })
      await host.client.call('stats.mine', {})
      await host.stop()
      const status = /compile cache: [^\n]*/.exec(host.logs())?.[0]
      if (node && status) process.stderr.write(`prime${nodeTag(node)}: ${status}\n`)
      templates.set(key(entry, node), dir)
    }
  }
  const copyFor = (entry: string | undefined, node: string | undefined) => {
    const dir = tempDir('porte-voix-bench-run-')
    cpSync(templates.get(key(entry, node)) ?? '', dir, { recursive: true })
    return dir
  }
  const rows: Record<string, Figures[]> = {}
  const push = (name: string, figures: Figures) => {
    rows[name] = [...(rows[name] ?? []), figures]
  }
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const [index, entry] of entries.entries()) {
        for (const node of NODES) {
          const tag = `${entry ? ` [host ${index + 1}]` : ''}${nodeTag(node)}`
          const empty = tempDir('porte-voix-bench-empty-')
          push(`empty${tag}`, await measure(empty, `empty${tag}`, entry, node))
          rmSync(empty, { recursive: true, force: true })
          const dataDir = copyFor(entry, node)
          push(`queue${tag}`, await measure(dataDir, `${ITEMS} items${tag}`, entry, node))
          rmSync(dataDir, { recursive: true, force: true })
          process.stderr.write(
            `run ${run}${tag}: empty ${JSON.stringify(rows[`empty${tag}`]?.at(-1))}, ${ITEMS} items ${JSON.stringify(rows[`queue${tag}`]?.at(-1))}\n`,
          )
        }
      }
    }
  } finally {
    for (const dir of templates.values()) rmSync(dir, { recursive: true, force: true })
    await prepared.stop()
  }
  for (const [index, entry] of ENTRIES.entries()) console.log(`host ${index + 1}: ${entry}`)
  const figures = Object.fromEntries(
    Object.entries(rows).map(([name, values]) => [
      name,
      {
        wallMedianMs: median(values.map((v) => v.wall)),
        cpuMedianMs: median(values.map((v) => v.cpu)),
        firstScreenWallMedianMs: median(values.map((v) => v.firstWall)),
        firstScreenCpuMedianMs: median(values.map((v) => v.firstCpu)),
      },
    ]),
  )
  console.log(`core host start, median of ${RUNS}: ${JSON.stringify(figures)}`)
  console.log('start steps, ms since the process started (median, min–max):')
  for (const [step, values] of steps) {
    console.log(
      `  ${String(median(values)).padStart(6)}  (${Math.min(...values)}–${Math.max(...values)})  ${step}`,
    )
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
