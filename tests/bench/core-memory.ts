/**
 * Benchmark: the core's memory at rest (RSS from /proc/<pid>/status, SETTLE_MS after the last
 * call), on the built host (out/main/host.js, the app's core bundle, plain Node):
 *   - a fresh core, no workspace;
 *   - an employee's core with a synced 1,000-item queue, no window;
 *   - the same after a popover loaded the whole queue (queue.forMe);
 * each with the core's own V8 flags (main/core/runtime-flags.ts) and without them.
 *
 *   npm run build && npx tsx tests/bench/core-memory.ts [runs]
 */
import { readFileSync, rmSync } from 'node:fs'
import { CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { startCore } from '../helpers/core'
import { tempDir } from '../helpers/process'
import { median, prepareQueue, rssMiB } from './queue-fixture'

const ITEMS = 1_000
const RUNS = Math.max(3, Number(process.argv[2] ?? 3))
const SETTLE_MS = 5_000
const settle = () => new Promise((resolve) => setTimeout(resolve, SETTLE_MS))

type Row = {
  flags: string
  empty: number[]
  queue: number[]
  afterPopover: number[]
  /** RssAnon (private memory) and RssFile (mapped files: mostly the node binary, shared). */
  anon: number[]
  file: number[]
}

/** The kernel's split of a process's RSS, in MiB. */
function rssSplit(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? Number.NaN)
  return { anon: kib('RssAnon') / 1024, file: kib('RssFile') / 1024 }
}

async function main(): Promise<void> {
  const prepared = await prepareQueue(ITEMS)
  const rows: Row[] = [
    { flags: CORE_EXEC_ARGV.join(' '), empty: [], queue: [], afterPopover: [], anon: [], file: [] },
    { flags: '(none)', empty: [], queue: [], afterPopover: [], anon: [], file: [] },
  ]
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const row of rows) {
        const execArgv = row.flags === '(none)' ? [] : CORE_EXEC_ARGV
        const emptyDir = tempDir('porte-voix-bench-empty-')
        const empty = await startCore({ dataDir: emptyDir, execArgv })
        await settle()
        row.empty.push(rssMiB(empty.pid))
        await empty.stop()
        rmSync(emptyDir, { recursive: true, force: true })

        const dataDir = prepared.copy()
        const core = await startCore({ dataDir, execArgv })
        await core.client.call('status.get', {})
        await settle()
        row.queue.push(rssMiB(core.pid))
        const queue = await core.client.call('queue.forMe', {})
        if (queue.length !== ITEMS) throw new Error(`${queue.length} items, not ${ITEMS}`)
        await settle()
        row.afterPopover.push(rssMiB(core.pid))
        const split = rssSplit(core.pid)
        row.anon.push(split.anon)
        row.file.push(split.file)
        await core.stop()
        rmSync(dataDir, { recursive: true, force: true })
        process.stderr.write(
          `run ${run}, flags ${row.flags}: empty ${row.empty.at(-1)?.toFixed(1)} MiB, ${ITEMS} items ${row.queue.at(-1)?.toFixed(1)} MiB, after queue.forMe ${row.afterPopover.at(-1)?.toFixed(1)} MiB\n`,
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
  }))
  for (const f of figures) {
    console.log(
      `core RSS at rest, flags ${f.flags}, median of ${f.runs}: empty ${f.emptyMedianMiB} MiB; ${ITEMS} items ${f.queueAtRestMedianMiB} MiB; after the popover's queue.forMe ${f.afterPopoverMedianMiB} MiB (${f.afterPopoverRangeMiB.join('–')}; anon ${f.afterPopoverAnonMedianMiB}, file-backed ${f.afterPopoverFileMedianMiB})`,
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
