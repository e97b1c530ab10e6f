/**
 * Benchmark: the core host's start, spawn → its "listening" line, as wall time and as CPU time
 * (user+sys from /proc/<pid>/stat), on the built host (out/main/host.js) with the core's V8 flags:
 * an empty data dir, and an employee's with a synced 1,000-item queue. CPU time is the figure to
 * compare on a shared machine: other processes stretch the wall time, much less the CPU time.
 * Also prints the host's start trace (PORTE_VOIX_START_TRACE=1): when each step of the start
 * ended, since the process started.
 *
 *   npm run build && npx tsx tests/bench/core-start.ts [runs]
 */
import { readFileSync, rmSync } from 'node:fs'
import { startCore } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { median, prepareQueue } from './queue-fixture'

const ITEMS = 1_000
const RUNS = Math.max(3, Number(process.argv[2] ?? 5))
/** Clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS
}

// The host's start trace (main/host/main.ts): each step's time since the process started.
process.env.PORTE_VOIX_START_TRACE = '1'
const steps = new Map<string, number[]>()

async function measure(dataDir: string, label: string): Promise<{ wall: number; cpu: number }> {
  const t0 = Date.now()
  const core = await startCore({ dataDir })
  const wall = Date.now() - t0
  const cpu = cpuMs(core.pid)
  for (const match of core.logs().matchAll(/start \+(\d+) ms \(at \d+\): (.+)/g)) {
    const key = `${label}: ${match[2]}`
    steps.set(key, [...(steps.get(key) ?? []), Number(match[1])])
  }
  await core.stop()
  return { wall, cpu }
}

async function main(): Promise<void> {
  const prepared = await prepareQueue(ITEMS)
  const rows = {
    empty: [] as { wall: number; cpu: number }[],
    queue: [] as { wall: number; cpu: number }[],
  }
  try {
    for (let run = 1; run <= RUNS; run++) {
      const empty = tempDir('porte-voix-bench-empty-')
      rows.empty.push(await measure(empty, 'empty'))
      rmSync(empty, { recursive: true, force: true })
      const dataDir = prepared.copy()
      rows.queue.push(await measure(dataDir, `${ITEMS} items`))
      rmSync(dataDir, { recursive: true, force: true })
      process.stderr.write(
        `run ${run}: empty ${JSON.stringify(rows.empty.at(-1))}, ${ITEMS} items ${JSON.stringify(rows.queue.at(-1))}\n`,
      )
    }
  } finally {
    await prepared.stop()
  }
  const figures = Object.fromEntries(
    Object.entries(rows).map(([name, values]) => [
      name,
      {
        wallMedianMs: median(values.map((v) => v.wall)),
        cpuMedianMs: median(values.map((v) => v.cpu)),
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
