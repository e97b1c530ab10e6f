/**
 * Benchmark: time from spawning the employee's core (the built host, out/main/host.js: the same
 * bundle as the app's core, plain Node, no TypeScript loader) to the popover's first paint of a
 * 1,000-item queue in Chromium, then to all 1,000 rows, and the core's memory at rest.
 *
 *   npm run build && npx tsx tests/bench/popover-first-paint.ts [runs]
 *
 * Preparation (once): tests/bench/queue-fixture.ts. Each run copies that data dir, spawns a core
 * host on the copy (t0 = just before spawn), opens the popover as soon as the host listens, and
 * reads the `pv:queue-painted` performance mark the popover sets on the frame after its first
 * non-empty list (the first screen; wall clock: performance.timeOrigin + mark time), then waits
 * for all rows in the DOM. RSS is read from /proc/<pid>/status once the process has settled.
 */
import { rmSync } from 'node:fs'
import { launchChromium, newContext } from '../helpers/browser'
import { startCore } from '../helpers/core'
import { rendererDir } from '../helpers/renderer'
import { median, prepareQueue, rssMiB } from './queue-fixture'

const ITEMS = 1_000
const RUNS = Math.max(5, Number(process.argv[2] ?? 7))
const SETTLE_MS = 5_000

async function main(): Promise<void> {
  const staticDir = rendererDir()
  const prepared = await prepareQueue(ITEMS)
  const chromium = await launchChromium()
  const paints: number[] = []
  const firstRows: number[] = []
  const complete: number[] = []
  const listening: number[] = []
  const rss: number[] = []
  try {
    for (let run = 1; run <= RUNS; run++) {
      const dataDir = prepared.copy()
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
        if (!painted || painted.rows === 0) throw new Error('no paint mark')
        const all = await page.waitForFunction(
          (items) =>
            document.querySelectorAll('[data-testid="queue-item"]').length === items
              ? performance.timeOrigin + performance.now()
              : null,
          ITEMS,
          { timeout: 60_000, polling: 'raf' },
        )
        const allAt = (await all.jsonValue()) ?? Number.NaN
        paints.push(painted.at - t0)
        firstRows.push(painted.rows)
        complete.push(allAt - t0)
        listening.push(listenedAt - t0)
        await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
        rss.push(rssMiB(core.pid))
        process.stderr.write(
          `run ${run}: first paint (${painted.rows} rows) ${(painted.at - t0).toFixed(0)} ms, all ${ITEMS} rows ${(allAt - t0).toFixed(0)} ms (host listening after ${listenedAt - t0} ms), RSS ${rss[rss.length - 1]?.toFixed(1)} MiB\n`,
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
    firstPaintRows: median(firstRows),
    firstPaintMedianMs: Math.round(median(paints)),
    firstPaintMinMs: Math.round(Math.min(...paints)),
    firstPaintMaxMs: Math.round(Math.max(...paints)),
    allRowsMedianMs: Math.round(median(complete)),
    hostListeningMedianMs: Math.round(median(listening)),
    coreRssAtRestMedianMiB: Number(median(rss).toFixed(1)),
  }
  console.log(
    `popover of ${ITEMS} items, ${RUNS} runs: first paint (${figures.firstPaintRows} rows) median ${figures.firstPaintMedianMs} ms ` +
      `(min ${figures.firstPaintMinMs}, max ${figures.firstPaintMaxMs}); all rows ${figures.allRowsMedianMs} ms; core host listening after ` +
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
