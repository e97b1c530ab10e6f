/**
 * Benchmark: the core's memory at rest (RSS from /proc/<pid>/status, SETTLE_MS after the last
 * call), on the built host (out/main/host.js, the app's core bundle, plain Node):
 *   - a fresh core, no workspace;
 *   - an employee's core with a synced 1,000-item queue, no window;
 *   - the same after a popover loaded the whole queue (queue.forMe);
 * each with the core's own V8 flags and environment (main/core/runtime-flags.ts: CORE_EXEC_ARGV,
 * CORE_ENV) and without them. After the popover, RSS is also split by mapping (/proc/<pid>/smaps):
 * the node executable's pages, other files (libraries, better-sqlite3), malloc's main heap
 * ([heap]) and anonymous maps (V8's heap and code, other malloc arenas, thread stacks). Each figure says
 * whether the queue's replica was asleep then (sync/workspace-sync.ts: read-only replicas unused for
 * SLEEP_AFTER_MS leave memory; then one full GC, runtime-flags.ts collectAtRest, returns their pages), and the core's
 * CPU time (user + system, /proc/<pid>/stat) over the whole run.
 *
 *   npm run build && npx tsx tests/bench/core-memory.ts [runs] [--core-node=<major|path>]
 * (PORTE_VOIX_HOST_ENTRY=<host.js> measures another build, e.g. the old tree's.)
 * `--core-node`: the core on another Node (tests/bench/node-runtime.ts; e.g. 24, Electron 45's).
 */
import { readFileSync, readlinkSync, rmSync } from 'node:fs'
import { CORE_ENV, CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { startCore } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { coreNodeFromArgs } from './node-runtime'
import { median, prepareQueue, rssMiB } from './queue-fixture'

const ITEMS = 1_000
const RUNS = Math.max(3, Number(process.argv[2] ?? 3))
const NODE = coreNodeFromArgs()?.node
const SETTLE_MS = 5_000
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS))

type Row = {
  flags: string
  execArgv: readonly string[]
  env: NodeJS.ProcessEnv
  empty: number[]
  queue: number[]
  afterPopover: number[]
  /** RssAnon (private memory) and RssFile (mapped files: mostly the node binary, shared). */
  anon: number[]
  file: number[]
  /** /proc/<pid>/smaps by mapping, MiB (mappingSplit). */
  binary: number[]
  otherFiles: number[]
  mallocHeap: number[]
  anonMaps: number[]
  /** Whether the queue's replica was asleep at each figure (from the core's log). */
  queueAsleep: boolean[]
  afterPopoverAsleep: boolean[]
  cpuMs: number[]
}

/** The queue's replica is out of memory now: the last word of the core's log on it is "asleep". */
function queueAsleep(logs: string): boolean {
  const asleep = logs.lastIndexOf('sync queue: replica asleep')
  return asleep >= 0 && asleep > logs.lastIndexOf('sync queue: replica awake')
}

/** User + system CPU time of a process so far, in ms (clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/** The kernel's split of a process's RSS, in MiB. */
function rssSplit(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 }
}

/** RSS by mapping, in MiB: the node executable, other files, malloc's [heap], anonymous maps. */
function mappingSplit(pid: number): {
  binary: number
  otherFiles: number
  mallocHeap: number
  anonMaps: number
} {
  const exe = readlinkSync(`/proc/${pid}/exe`)
  const split = { binary: 0, otherFiles: 0, mallocHeap: 0, anonMaps: 0 }
  let into: keyof typeof split | null = null
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const mapping = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line)
    if (mapping) {
      const path = mapping[1] ?? ''
      into =
        path === exe
          ? 'binary'
          : path === '[heap]'
            ? 'mallocHeap'
            : path === ''
              ? 'anonMaps'
              : path.startsWith('/')
                ? 'otherFiles'
                : null
      continue
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line)
    if (rss && into) split[into] += Number(rss[1]) / 1024
  }
  return split
}

const emptyRow = () => ({
  empty: [] as number[],
  queue: [] as number[],
  afterPopover: [] as number[],
  anon: [] as number[],
  file: [] as number[],
  binary: [] as number[],
  otherFiles: [] as number[],
  mallocHeap: [] as number[],
  anonMaps: [] as number[],
  queueAsleep: [] as boolean[],
  afterPopoverAsleep: [] as boolean[],
  cpuMs: [] as number[],
})

async function main(): Promise<void> {
  const prepared = await prepareQueue(ITEMS)
  const rows: Row[] = [
    {
      flags: `${CORE_EXEC_ARGV.join(' ')} ${Object.entries(CORE_ENV)
        .map(([name, value]) => `${name}=${value}`)
        .join(' ')}`,
      execArgv: CORE_EXEC_ARGV,
      env: { ...process.env, ...CORE_ENV },
      ...emptyRow(),
    },
    { flags: '(none)', execArgv: [], env: process.env, ...emptyRow() },
  ]
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const row of rows) {
        const { execArgv, env } = row
        const emptyDir = tempDir('porte-voix-bench-empty-')
        const empty = await startCore({
          dataDir: emptyDir,
          execArgv,
          env,
          ...(NODE ? { node: NODE } : {}),
        })
        await settle()
        row.empty.push(rssMiB(empty.pid))
        await empty.stop()
        rmSync(emptyDir, { recursive: true, force: true })

        const dataDir = prepared.copy()
        const core = await startCore({ dataDir, execArgv, env, ...(NODE ? { node: NODE } : {}) })
        await core.client.call('status.get', {})
        await settle()
        row.queue.push(rssMiB(core.pid))
        row.queueAsleep.push(queueAsleep(core.logs()))
        const queue = await core.client.call('queue.forMe', {})
        if (queue.length !== ITEMS) throw new Error(`${queue.length} items, not ${ITEMS}`)
        await settle()
        row.afterPopover.push(rssMiB(core.pid))
        row.afterPopoverAsleep.push(queueAsleep(core.logs()))
        row.cpuMs.push(cpuMs(core.pid))
        const split = rssSplit(core.pid)
        row.anon.push(split.anon)
        row.file.push(split.file)
        const mappings = mappingSplit(core.pid)
        row.binary.push(mappings.binary)
        row.otherFiles.push(mappings.otherFiles)
        row.mallocHeap.push(mappings.mallocHeap)
        row.anonMaps.push(mappings.anonMaps)
        await core.stop()
        rmSync(dataDir, { recursive: true, force: true })
        process.stderr.write(
          `run ${run}, flags ${row.flags}: empty ${row.empty.at(-1)?.toFixed(1)} MiB, ${ITEMS} items ${row.queue.at(-1)?.toFixed(1)} MiB, after queue.forMe ${row.afterPopover.at(-1)?.toFixed(1)} MiB (queue replica asleep: ${row.queueAsleep.at(-1)}, ${row.afterPopoverAsleep.at(-1)}; CPU ${row.cpuMs.at(-1)} ms)\n`,
        )
      }
    }
  } finally {
    await prepared.stop()
  }
  const figures = rows.map((row) => ({
    flags: row.flags,
    runs: RUNS,
    emptyMedianMiB: Number(median(row.empty).toFixed(1)),
    queueAtRestMedianMiB: Number(median(row.queue).toFixed(1)),
    afterPopoverMedianMiB: Number(median(row.afterPopover).toFixed(1)),
    afterPopoverRangeMiB: [
      Number(Math.min(...row.afterPopover).toFixed(1)),
      Number(Math.max(...row.afterPopover).toFixed(1)),
    ],
    afterPopoverAnonMedianMiB: Number(median(row.anon).toFixed(1)),
    afterPopoverFileMedianMiB: Number(median(row.file).toFixed(1)),
    afterPopoverMappingsMedianMiB: {
      nodeBinary: Number(median(row.binary).toFixed(1)),
      otherFiles: Number(median(row.otherFiles).toFixed(1)),
      mallocHeap: Number(median(row.mallocHeap).toFixed(1)),
      anonMaps: Number(median(row.anonMaps).toFixed(1)),
    },
    queueAsleep: `${row.queueAsleep.filter(Boolean).length}/${RUNS}`,
    afterPopoverAsleep: `${row.afterPopoverAsleep.filter(Boolean).length}/${RUNS}`,
    cpuMedianMs: median(row.cpuMs),
  }))
  for (const f of figures) {
    console.log(
      `core RSS at rest, flags ${f.flags}, median of ${f.runs}: empty ${f.emptyMedianMiB} MiB; ${ITEMS} items ${f.queueAtRestMedianMiB} MiB; after the popover's queue.forMe ${f.afterPopoverMedianMiB} MiB (${f.afterPopoverRangeMiB.join('–')}; anon ${f.afterPopoverAnonMedianMiB}, file-backed ${f.afterPopoverFileMedianMiB}; node binary ${f.afterPopoverMappingsMedianMiB.nodeBinary}, other files ${f.afterPopoverMappingsMedianMiB.otherFiles}, malloc [heap] ${f.afterPopoverMappingsMedianMiB.mallocHeap}, anonymous maps ${f.afterPopoverMappingsMedianMiB.anonMaps}); queue replica asleep in ${f.queueAsleep} and ${f.afterPopoverAsleep} runs; CPU ${f.cpuMedianMs} ms`,
    )
  }
  console.log(JSON.stringify(figures))
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
