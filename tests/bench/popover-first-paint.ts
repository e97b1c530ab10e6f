/**
 * Benchmark: time from starting the employee's core host to the popover's first paint of a
 * 1,000-item queue in Chromium, and the core process's memory at rest.
 *
 *   npx vite build renderer --outDir /tmp/pv-popover-renderer --emptyOutDir
 *   PV_RENDERER_DIR=/tmp/pv-popover-renderer npx tsx tests/bench/popover-first-paint.ts [runs]
 *
 * Preparation (once): a relay, a champion core publishing 1,000 items, an employee core that
 * syncs them into its SQLite and is then stopped. Each run copies that data dir, spawns a core
 * host on the copy (t0 = just before spawn), opens the popover as soon as the host listens, and
 * reads the `pv:queue-painted` performance mark the popover sets on the frame after its first
 * non-empty list (wall clock: performance.timeOrigin + mark time). RSS is read from
 * /proc/<pid>/status after the popover has painted and the process has settled.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { NewItem } from '../../common/model/item'
import { launchChromium, newContext } from '../helpers/browser'
import { startCore } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { rendererDir } from '../helpers/renderer'
import { waitFor } from '../helpers/wait'

const ITEMS = 1_000
const RUNS = Math.max(5, Number(process.argv[2] ?? 7))
const SETTLE_MS = 5_000
const OBJECTIVES = ['awareness', 'campaign', 'talent'] as const
const TOPICS = ['product', 'events', 'culture', 'engineering', 'hiring', 'customers', 'research']

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2
}

/** Resident set size of a process in MiB, from the kernel's own accounting. */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? Number.NaN)
  return kib / 1024
}

async function prepare(): Promise<{ template: string; stop(): Promise<void> }> {
  const relay = await startRelay()
  const workspaceId = await relay.createWorkspace('Bench')
  const [champion, employee] = await Promise.all([startCore(), startCore()])
  await champion.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
  })
  await employee.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
  })
  const campaign = await champion.client.call('campaign.create', {
    name: 'Q3 launch',
    objective: 'campaign',
    goalMetric: 'sign-ups',
    goalTarget: 3000,
    deadline: new Date(Date.now() + 10 * 86_400_000).toISOString(),
  })
  const started = Date.now()
  for (let batch = 0; batch < ITEMS; batch += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, ITEMS - batch) }, async (_, offset) => {
        const n = batch + offset
        const objective = OBJECTIVES[n % OBJECTIVES.length] ?? 'awareness'
        const item: NewItem = {
          title: `Item ${n}: what our teams shipped this week, and why it matters to customers`,
          url: `https://example.com/news/${n}?ref=bench`,
          source: 'Acme blog',
          objective,
          topics: [TOPICS[n % TOPICS.length] ?? 'product', TOPICS[(n * 3) % TOPICS.length] ?? 'x'],
          why: 'A short note on why this matters and who inside is involved.',
          captions: {
            linkedin: `Proud of the team behind item ${n}. {{your take}}`,
            x: `Item ${n} is out`,
          },
          status: 'published',
          priority: n % 100,
          campaignId: objective === 'campaign' ? campaign.id : null,
        }
        await champion.client.call('item.create', item)
      }),
    )
  }
  process.stderr.write(`prepared ${ITEMS} items in ${Date.now() - started} ms; syncing…\n`)
  await waitFor(
    `${ITEMS} items at the employee`,
    async () => (await employee.client.call('queue.forMe', {})).length === ITEMS,
    { timeoutMs: 120_000, intervalMs: 500 },
  )
  await employee.stop() // graceful: compacted and closed
  // PV_BENCH_KEEP=DIR keeps a copy of the prepared data, for probing runs by hand.
  const keep = process.env.PV_BENCH_KEEP
  if (keep) cpSync(employee.dataDir, keep, { recursive: true })
  const template = mkdtempSync(join(tmpdir(), 'pv-bench-template-'))
  cpSync(employee.dataDir, template, { recursive: true })
  await champion.stop()
  return {
    template,
    stop: async () => {
      await relay.stop()
      rmSync(template, { recursive: true, force: true })
    },
  }
}

async function main(): Promise<void> {
  const staticDir = rendererDir()
  const prepared = await prepare()
  const chromium = await launchChromium()
  const paints: number[] = []
  const listening: number[] = []
  const rss: number[] = []
  try {
    for (let run = 1; run <= RUNS; run++) {
      const dataDir = mkdtempSync(join(tmpdir(), 'pv-bench-run-'))
      cpSync(prepared.template, dataDir, { recursive: true })
      const t0 = Date.now()
      const core = await startCore({ dataDir, args: ['--static', staticDir] })
      const listenedAt = Date.now()
      const origin = `http://127.0.0.1:${core.port}`
      const context = await newContext(chromium.browser, { origin })
      try {
        const page = await context.newPage()
        await page.goto(`${origin}/index.html`)
        const mark = await page.waitForFunction(
          () => {
            const [entry] = performance.getEntriesByName('pv:queue-painted')
            if (!(entry instanceof PerformanceMark)) return null
            // The number of rows the marked frame showed.
            const rows = (entry.detail as { count?: number } | null)?.count ?? 0
            return { at: performance.timeOrigin + entry.startTime, rows }
          },
          undefined,
          { timeout: 60_000, polling: 20 },
        )
        const painted = await mark.jsonValue()
        if (!painted) throw new Error('no paint mark')
        const { at, rows } = painted
        if (rows !== ITEMS) throw new Error(`the popover listed ${rows} rows, not ${ITEMS}`)
        paints.push(at - t0)
        listening.push(listenedAt - t0)
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
        rss.push(rssMiB(core.pid))
        process.stderr.write(
          `run ${run}: first paint ${(at - t0).toFixed(0)} ms (host listening after ${listenedAt - t0} ms), RSS ${rss[rss.length - 1]?.toFixed(1)} MiB\n`,
        )
      } finally {
        await context.close()
        await core.stop()
        rmSync(dataDir, { recursive: true, force: true })
      }
    }
  } finally {
    await chromium.close()
    await prepared.stop()
  }
  const figures = {
    items: ITEMS,
    runs: RUNS,
    firstPaintMedianMs: Math.round(median(paints)),
    firstPaintMinMs: Math.round(Math.min(...paints)),
    firstPaintMaxMs: Math.round(Math.max(...paints)),
    hostListeningMedianMs: Math.round(median(listening)),
    coreRssAtRestMedianMiB: Number(median(rss).toFixed(1)),
  }
  console.log(
    `popover first paint of ${ITEMS} items, ${RUNS} runs: median ${figures.firstPaintMedianMs} ms ` +
      `(min ${figures.firstPaintMinMs}, max ${figures.firstPaintMaxMs}); core host listening after ` +
      `${figures.hostListeningMedianMs} ms (median); core RSS at rest ${figures.coreRssAtRestMedianMiB} MiB (median, ${SETTLE_MS / 1000} s after paint, popover connected)`,
  )
  console.log(JSON.stringify(figures))
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
