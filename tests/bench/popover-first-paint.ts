/**
 * Benchmark: time from spawning the employee's core (the built host, out/main/host.js: the same
 * bundle as the app's core, plain Node, no TypeScript loader) to the popover's first paint of a
 * 1,000-item queue in Chromium, then to all 1,000 rows, and the core's memory at rest; with a
 * breakdown of where the milliseconds go.
 *
 *   npm run build && npx tsx tests/bench/popover-first-paint.ts [runs] [--cache=cold|warm]
 *     [--browser-idle] [--modes=cdp,plain] [--renderers=DIR,DIR… (with --modes=plain)]
 *
 * `--modes=cdp,plain` (default `cdp`): `cdp` drives Chromium through Playwright (the DevTools
 * protocol attached, as in the e2e suite); `plain` starts it as a plain child process with a
 * startup trace and nothing attached, as Electron's renderer runs (tests/bench/plain-chromium.ts),
 * and reads the page's marks and V8's code-cache use from the trace. Both given: each run does
 * both, in alternating order, and the profile starts (`--cache`) are traced in both modes, so the
 * code-cache lines compare like with like.
 *
 * `--cache=cold|warm` (tests/bench/browser-profile.ts): each run starts a browser on a profile on
 * disk, fresh (`cold`, the app's first start) or one that loaded the page twice before (`warm`:
 * HTTP and V8 code cache in place, every later start). Default: a fresh context of one browser.
 *
 * Preparation (once): tests/bench/queue-fixture.ts. Each run copies that data dir and opens a
 * blank page first (in the app the popover window is created together with the core's process,
 * so the browser's own start-up is not the core's), then spawns a core host on the copy
 * (t0 = just before spawn) and loads the popover as soon as the host has bound its port (the core
 * opens meanwhile; the page's frames wait for it, as the app's MessagePort does). It reads the
 * `pv:queue-painted` performance mark the popover sets on the frame after its first non-empty
 * list (the first screen; wall clock: performance.timeOrigin + mark time), then waits for all
 * rows in the DOM. RSS is read from /proc/<pid>/status once the process has settled.
 *
 * Breakdown, each a wall-clock time from t0 (median over runs): the core's own steps from its
 * start trace (PORTE_VOIX_START_TRACE=1: node ready = the process's timeOrigin, modules loaded,
 * SQLite open, replicas loaded, core open), and the page's: navigation start, bundle evaluated
 * (`pv:script-run`), WebSocket open and the core's first answer (recorded by an init script),
 * first `queue.forMe` sent and answered, list committed (`pv:queue-committed`) and painted.
 */
import { readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { CORE_EXEC_ARGV, coreEnv } from '../../main/core/runtime-flags'
import { serveStatic } from '../../main/host/static-files'
import { launchChromium, newContext } from '../helpers/browser'
import { hostEntry } from '../helpers/core'
import { spawnUntilListening } from '../helpers/process'
import { rendererDir } from '../helpers/renderer'
import { browserProfile, primeProfile, type StartKind, WARM_PRIMING_LOADS } from './browser-profile'
import { coreNodeFromArgs } from './node-runtime'
import { pipeUpgrade, type SocketTimes, webSocketSpy } from './page-socket-spy'
import {
  codeCacheSummary,
  copyProfile,
  type PageTrace,
  plainProfileDir,
  primePlainProfile,
  readPageTrace,
  startPlainChromium,
  tracedStartArgs,
  waitForTrace,
} from './plain-chromium'
import { median, prepareQueue, rssMiB } from './queue-fixture'

/** `--core-node=<major|path>`: the core host on another Node (node-runtime.ts, e.g. 24). */
const CORE_NODE = coreNodeFromArgs()

const ITEMS = 1_000
const RUNS = Math.max(5, Number(process.argv[2] ?? 7))
const KIND = process.argv.find((arg) => arg.startsWith('--cache='))?.slice('--cache='.length) as
  | StartKind
  | undefined
const SETTLE_MS = 5_000
/**
 * `--browser-idle`: the browser has been up and idle for 1.5 s when the core is spawned, as
 * Electron is at its `ready` event when main creates the window and the core. Without it the
 * browser (warm and cold runs start one per run) is still starting when the core is spawned, and
 * its own start-up — ~0.9 s of CPU on 2 cores, measured by the CPU split below — is in the figure.
 */
const BROWSER_IDLE_MS = process.argv.includes('--browser-idle') ? 1_500 : 0
type Mode = 'cdp' | 'plain'
const MODES = (process.argv
  .find((arg) => arg.startsWith('--modes='))
  ?.slice('--modes='.length)
  .split(',') ?? ['cdp']) as Mode[]
if (MODES.some((mode) => mode !== 'cdp' && mode !== 'plain')) throw new Error('--modes=cdp,plain')
/** Seconds of startup trace: the browser's start, its idle wait, the page to its paint. */
const TRACE_S = 12
const BOUND = /porte-voix core host bound to http:\/\/127\.0\.0\.1:(\d+)/
const LISTENING = /porte-voix core host listening on ws:\/\//

/**
 * CPU time the whole machine spent busy, all processes (/proc/stat, clock ticks of 10 ms): with
 * the core's own CPU it shows whether the 2 cores were saturated between spawn and paint, i.e.
 * whether a shorter wall time needs less CPU rather than better overlap.
 */
function machineBusyMs(): number {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '').trim().split(/\s+/)
  const ticks = fields.slice(1, 9).map(Number)
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0)
  return (ticks.reduce((sum, tick) => sum + tick, 0) - idle) * 10
}

/** The process's user + system CPU (/proc/<pid>/stat fields 14 and 15), ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10
}

/**
 * Every process's CPU so far, by what it is: this bench, the core, Chromium's processes by
 * `--type` (browser, renderer, gpu-process, utility), anything else. Processes that ended
 * between two snapshots are missing from the later one (their CPU is lost to the split).
 */
function cpuByProcess(corePid: number | null): Map<string, number> {
  const groups = new Map<string, number>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    const pid = Number(entry)
    let cpuMs: number
    let cmdline: string
    try {
      cpuMs = processCpuMs(pid)
      cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    } catch {
      continue // gone meanwhile
    }
    const group =
      pid === process.pid
        ? 'this bench'
        : pid === corePid
          ? 'core'
          : /chrom/.test(cmdline)
            ? `chromium ${/--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser'}`
            : 'other'
    groups.set(group, (groups.get(group) ?? 0) + cpuMs)
  }
  return groups
}

/** The core's start trace lines (main/host/main.ts): `start +N ms (at EPOCH): step`. */
function coreSteps(logs: string): Map<string, number> {
  const steps = new Map<string, number>()
  for (const match of logs.matchAll(/start \+\d+ ms \(at (\d+)\): (.+)/g)) {
    steps.set(match[2] ?? '', Number(match[1]))
  }
  return steps
}

/**
 * The window's side, as in the app: the renderer's files come from elsewhere than the core (there
 * from disk; here from this process), so the page loads while the core starts. Its WebSocket to
 * `/core` is piped to the core host once the host has bound its port (`coreBound`), like the
 * app's MessagePort, which waits for the core's process.
 */
async function windowServer(staticDir: string) {
  let bound: (port: number) => void = () => {}
  let corePort = new Promise<number>((resolve) => {
    bound = resolve
  })
  // The plain mode's start page (no DevTools to navigate with): it asks /bench-go, answered at
  // the core's spawn, then goes to the popover — a same-origin navigation of an idle page.
  let pageUp: () => void = () => {}
  let go: () => void = () => {}
  let refuseCore = false
  const server = createServer((req, res) => {
    if (req.url === '/bench-wait.html') {
      res.writeHead(200, { 'content-type': 'text/html', 'cache-control': 'no-store' })
      res.end(
        "<!doctype html><script>fetch('/bench-go').then(() => location.replace('/index.html'))</script>",
      )
      return
    }
    if (req.url === '/bench-go') {
      const release = () => res.writeHead(200, { 'cache-control': 'no-store' }).end()
      go = release
      pageUp()
      return
    }
    serveStatic(staticDir, req, res)
  })
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    // The plain profile's priming loads: no core behind them.
    if (refuseCore) {
      socket.destroy()
      return
    }
    void corePort.then((port) => pipeUpgrade(req, socket, head, port))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    origin,
    coreBound: (port: number) => bound(port),
    /** Resolves when the plain mode's start page is up and waiting. */
    waitingPage: () =>
      new Promise<void>((resolve) => {
        pageUp = resolve
      }),
    /** The start page goes to the popover. */
    go: () => go(),
    refuseCore: (refuse: boolean) => {
      refuseCore = refuse
    },
    /** The next run's core is another process. */
    reset: () => {
      corePort = new Promise<number>((resolve) => {
        bound = resolve
      })
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}

/** The core host on `dataDir`, with its start trace, allowing the window's origin (both modes). */
function spawnCore(dataDir: string, origin: string) {
  return spawnUntilListening({
    name: 'core host',
    args: [
      ...CORE_EXEC_ARGV,
      hostEntry(),
      '--data-dir',
      dataDir,
      '--port',
      '0',
      '--allow-origin',
      origin,
    ],
    cwd: process.cwd(),
    env: coreEnv({ ...process.env, PORTE_VOIX_START_TRACE: '1' }),
    listening: BOUND,
    timeoutMs: 60_000,
    ...(CORE_NODE ? { command: CORE_NODE.node } : {}),
  })
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))
/** CLOCK_MONOTONIC in µs: the clock of Chromium's trace on Linux. */
const monotonicUs = () => Number(process.hrtime.bigint() / 1000n)

/** `root` and every process below it (the plain browser's own processes, not other tests'). */
function processTree(root: number): number[] {
  const children = new Map<number, number[]>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)])
    } catch {
      // gone meanwhile
    }
  }
  const found = [root]
  for (let i = 0; i < found.length; i++) found.push(...(children.get(found[i] ?? -1) ?? []))
  return found
}

function chromiumType(pid: number): string {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ')
    return `chromium ${/--type=([\w-]+)/.exec(cmdline)?.[1] ?? 'browser'}`
  } catch {
    return 'chromium (gone)'
  }
}

/** The plain mode's figures over its runs (the cdp mode keeps its own in main()). */
type PlainResults = {
  paints: number[]
  breakdown: Map<string, number[]>
  machine: number[]
  share: number[]
  byProcess: Map<string, number[]>
  cacheLines: string[]
}

const emptyPlainResults = (): PlainResults => ({
  paints: [],
  breakdown: new Map(),
  machine: [],
  share: [],
  byProcess: new Map(),
  cacheLines: [],
})

/** The code-cache line of the traced cdp-mode starts (the same trace categories as plain's). */
const cdpCacheLines: string[] = []

/**
 * One run with Chromium as a plain process (`--modes=…plain`): nothing attached, the page's
 * times and V8's code-cache use read from the startup trace afterwards. The CPU to the paint
 * comes from /proc sampled every 20 ms (the browser's own process tree, the core, this bench),
 * read at the first sample after the paint mark's time.
 */
async function plainRun(o: {
  run: number
  windowSide: Awaited<ReturnType<typeof windowServer>>
  dataDir: string
  warmProfile: string | null
  results: PlainResults
}): Promise<void> {
  const runDir = plainProfileDir()
  const profileDir = o.warmProfile ? copyProfile(o.warmProfile) : join(runDir, 'profile')
  const traceFile = join(runDir, 'trace.json')
  o.windowSide.reset()
  const pageUp = o.windowSide.waitingPage()
  const browser = startPlainChromium(
    profileDir,
    `${o.windowSide.origin}/bench-wait.html`,
    tracedStartArgs(traceFile, TRACE_S),
    runDir,
  )
  let host: Awaited<ReturnType<typeof spawnCore>> | null = null
  let sampling: NodeJS.Timeout | undefined
  try {
    await pageUp
    await sleep(BROWSER_IDLE_MS)
    const chromiumPids = processTree(browser.pid)
    let pids = [process.pid, ...chromiumPids]
    const samples: { at: number; machine: number; byPid: Map<number, number> }[] = []
    const sample = () => {
      const byPid = new Map<number, number>()
      for (const pid of pids) {
        try {
          byPid.set(pid, processCpuMs(pid))
        } catch {
          // ended
        }
      }
      samples.push({ at: monotonicUs(), machine: machineBusyMs(), byPid })
    }
    sample()
    const t0 = Date.now()
    const t0Mono = monotonicUs()
    const spawned = spawnCore(o.dataDir, o.windowSide.origin)
    o.windowSide.go()
    sampling = setInterval(sample, 20)
    host = await spawned
    pids = [...pids, host.pid]
    o.windowSide.coreBound(Number(host.match[1]))
    const events = await waitForTrace(traceFile, (TRACE_S + 60) * 1000)
    clearInterval(sampling)
    const trace: PageTrace = readPageTrace(events, o.windowSide.origin)
    const painted = trace.marks.get('pv:queue-painted')
    if (painted === undefined) {
      throw new Error(`plain run ${o.run}: no pv:queue-painted in the trace (TRACE_S ${TRACE_S})`)
    }
    const record = (step: string, at: number | null | undefined, from: number, unit: number) => {
      if (at === null || at === undefined) return
      const values = o.results.breakdown.get(step) ?? []
      values.push((at - from) / unit)
      o.results.breakdown.set(step, values)
    }
    const steps = coreSteps(host.logs())
    const entered = /start \+(\d+) ms \(at (\d+)\): modules loaded/.exec(host.logs())
    record(
      'core: node process started',
      entered ? Number(entered[2]) - Number(entered[1]) : null,
      t0,
      1,
    )
    record('core: main() entered', steps.get('modules loaded, main() entered'), t0, 1)
    record('core: port bound', steps.get('port bound'), t0, 1)
    record(
      'core: first window connected',
      steps.get('first window connected (WebSocket accepted)'),
      t0,
      1,
    )
    record(
      'core: quick first screen answered',
      steps.get('first screen answered without the contract'),
      t0,
      1,
    )
    // The clock check: the popover's navigation follows the go signal sent just after t0.
    record('page: navigation start', trace.navigationStart, t0Mono, 1000)
    record('page: bundle evaluated', trace.marks.get('pv:script-run'), t0Mono, 1000)
    record(
      'page: core connected (transport handed over)',
      trace.marks.get('pv:core-connected'),
      t0Mono,
      1000,
    )
    record(
      'page: first rows committed (React)',
      trace.marks.get('pv:queue-committed'),
      t0Mono,
      1000,
    )
    record('page: first rows painted', painted, t0Mono, 1000)
    o.results.paints.push((painted - t0Mono) / 1000)
    const first = samples[0]
    const atPaint = samples.find((entry) => entry.at >= painted) ?? samples.at(-1)
    if (first && atPaint) {
      const busy = atPaint.machine - first.machine
      o.results.machine.push(busy)
      o.results.share.push(busy / (2 * ((atPaint.at - first.at) / 1000)))
      const groups = new Map<string, number>()
      for (const [pid, cpuMs] of atPaint.byPid) {
        const group =
          pid === host.pid ? 'core' : pid === process.pid ? 'this bench' : chromiumType(pid)
        groups.set(group, (groups.get(group) ?? 0) + cpuMs - (first.byPid.get(pid) ?? 0))
      }
      for (const [group, cpuMs] of groups) {
        o.results.byProcess.set(group, [...(o.results.byProcess.get(group) ?? []), cpuMs])
      }
    }
    const unseen = trace.rendererPid !== null && !chromiumPids.includes(trace.rendererPid)
    o.results.cacheLines.push(
      `${codeCacheSummary(trace)}${unseen ? ' (the page ran in a renderer started after the go: its CPU is not in the split)' : ''}`,
    )
    process.stderr.write(
      `run ${o.run} (plain): first paint ${((painted - t0Mono) / 1000).toFixed(0)} ms; ${o.results.cacheLines.at(-1)}\n`,
    )
  } finally {
    clearInterval(sampling)
    await browser.stop()
    await host?.signal('SIGTERM')
    rmSync(o.dataDir, { recursive: true, force: true })
    rmSync(runDir, { recursive: true, force: true })
    if (o.warmProfile) rmSync(profileDir, { recursive: true, force: true })
  }
}

function printPlain(results: PlainResults, label = ''): void {
  const paints = results.paints
  console.log(
    `plain Chromium (no DevTools attached)${label}, ${paints.length} runs: first paint median ${Math.round(median(paints))} ms (min ${Math.round(Math.min(...paints))}, max ${Math.round(Math.max(...paints))})`,
  )
  console.log(
    `  CPU from spawn to the paint (median): whole machine ${Math.round(median(results.machine))} ms busy (${Math.round(median(results.share) * 100)} % of 2 cores); by process: ${[
      ...results.byProcess,
    ]
      .map(([group, values]) => [group, Math.round(median(values))] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([group, ms]) => `${group} ${ms}`)
      .join(', ')}`,
  )
  console.log('  breakdown, ms from spawn (median, min–max):')
  for (const [step, values] of [...results.breakdown].sort((a, b) => median(a[1]) - median(b[1]))) {
    console.log(
      `    ${String(Math.round(median(values))).padStart(6)}  (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})  ${step}`,
    )
  }
  console.log('  V8 code cache, each run (from the trace):')
  for (const line of results.cacheLines) console.log(`    ${line}`)
}

type PageTimes = {
  timeOrigin: number
  navigationStart: number
  scriptRun: number | null
  connected: number | null
  wsOpen: number | null
  firstAnswer: number | null
  forMeSent: number | null
  forMeAnswered: number | null
  committed: number | null
}

async function main(): Promise<void> {
  const staticDir = rendererDir()
  const prepared = await prepareQueue(ITEMS)
  const chromium = await launchChromium()
  const windowSide = await windowServer(staticDir)
  const paints: number[] = []
  const firstRows: number[] = []
  const complete: number[] = []
  const rss: number[] = []
  const breakdown = new Map<string, number[]>()
  const cpu = {
    machine: [] as number[],
    core: [] as number[],
    share: [] as number[],
    byProcess: new Map<string, number[]>(),
  }
  const record = (step: string, at: number | null | undefined, t0: number) => {
    if (at === null || at === undefined || !Number.isFinite(at)) return
    const values = breakdown.get(step) ?? []
    values.push(at - t0)
    breakdown.set(step, values)
  }
  const warm = KIND === 'warm' && MODES.includes('cdp') ? browserProfile() : null
  if (warm) await primeProfile(warm, windowSide.origin, `${windowSide.origin}/index.html`)
  const plainWarm = KIND === 'warm' && MODES.includes('plain') ? plainProfileDir() : null
  if (plainWarm) {
    windowSide.refuseCore(true)
    await primePlainProfile(plainWarm, `${windowSide.origin}/index.html`, WARM_PRIMING_LOADS, 3_000)
    windowSide.refuseCore(false)
  }
  const plain = emptyPlainResults()
  // The profile starts are traced in both modes when both run (like with like).
  const traceCdp = KIND !== undefined && MODES.includes('plain')
  try {
    for (let run = 1; run <= RUNS; run++) {
      for (const mode of run % 2 === 1 ? MODES : [...MODES].reverse()) {
        if (mode === 'plain') {
          await plainRun({
            run,
            windowSide,
            dataDir: prepared.copy(),
            warmProfile: plainWarm,
            results: plain,
          })
          continue
        }
        const dataDir = prepared.copy()
        windowSide.reset()
        const profile = KIND === undefined ? null : (warm ?? browserProfile())
        const context = profile
          ? await profile.start(
              windowSide.origin,
              traceCdp ? tracedStartArgs(join(profile.dir, `trace-${run}.json`), TRACE_S) : [],
            )
          : await newContext(chromium.browser, { origin: windowSide.origin })
        // Times of the page's WebSocket to the core, by the page's clock (bench-only probe).
        await context.addInitScript(webSocketSpy)
        const page = context.pages()[0] ?? (await context.newPage())
        await page.goto('about:blank')
        if (BROWSER_IDLE_MS > 0)
          await new Promise((resolve) => setTimeout(resolve, BROWSER_IDLE_MS))
        const byProcessAtSpawn = cpuByProcess(null)
        const busyAtSpawn = machineBusyMs()
        const t0 = Date.now()
        const spawned = spawnCore(dataDir, windowSide.origin)
        // The window loads at once, in parallel with the core's start.
        const loading = page.goto(`${windowSide.origin}/index.html`)
        const host = await spawned
        windowSide.coreBound(Number(host.match[1]))
        try {
          await loading
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
          const busyToPaint = machineBusyMs() - busyAtSpawn
          const wallToPaint = Date.now() - t0
          const coreCpuToPaint = processCpuMs(host.pid)
          for (const [group, cpuMs] of cpuByProcess(host.pid)) {
            const spent = cpuMs - (group === 'core' ? 0 : (byProcessAtSpawn.get(group) ?? 0))
            const values = cpu.byProcess.get(group) ?? []
            values.push(spent)
            cpu.byProcess.set(group, values)
          }
          if (!painted || painted.rows === 0) throw new Error('no paint mark')
          cpu.machine.push(busyToPaint)
          cpu.core.push(coreCpuToPaint)
          cpu.share.push(busyToPaint / (2 * wallToPaint))
          const all = await page.waitForFunction(
            (items) =>
              document.querySelectorAll('[data-testid="queue-item"]').length === items
                ? performance.timeOrigin + performance.now()
                : null,
            ITEMS,
            { timeout: 60_000, polling: 'raf' },
          )
          const allAt = (await all.jsonValue()) ?? Number.NaN
          // No named helpers inside: tsx's __name wrapper does not exist in the page.
          const times: PageTimes = await page.evaluate(() => {
            const marks = ['pv:script-run', 'pv:core-connected', 'pv:queue-committed'].map(
              (name) => performance.getEntriesByName(name)[0]?.startTime ?? null,
            )
            const probe = (window as unknown as { __pvBench: SocketTimes }).__pvBench
            return {
              timeOrigin: performance.timeOrigin,
              navigationStart: 0,
              scriptRun: marks[0] ?? null,
              connected: marks[1] ?? null,
              wsOpen: probe.wsOpen ?? null,
              firstAnswer: probe.firstAnswer ?? null,
              forMeSent: probe.forMeSent ?? null,
              forMeAnswered: probe.forMeAnswered ?? null,
              committed: marks[2] ?? null,
            }
          })
          const steps = coreSteps(host.logs())
          const listenedAt = steps.get('core open')
          // The trace's `+N ms` counts from the process's timeOrigin: node ready = entered − N.
          const entered = /start \+(\d+) ms \(at (\d+)\): modules loaded/.exec(host.logs())
          const nodeReady = entered ? Number(entered[2]) - Number(entered[1]) : null
          record('core: node process started (timeOrigin)', nodeReady, t0)
          record(
            'core: bundle loaded, main() entered',
            steps.get('modules loaded, main() entered'),
            t0,
          )
          record('core: port bound', steps.get('port bound'), t0)
          record('core: SQLite open', steps.get('SQLite open'), t0)
          // Since 1 Dec 16:13 (core/start.ts): the first screen is answered from SQLite, then the
          // core's module loads, opens, and loads the replicas.
          record(
            'core: first screen served from SQLite',
            steps.get('first screen served from SQLite'),
            t0,
          )
          record(
            'core: first queue.forMe answered from SQLite',
            steps.get('queue.forMe answered from SQLite'),
            t0,
          )
          record(
            'core: status.get answered from SQLite',
            steps.get('status.get answered from SQLite'),
            t0,
          )
          record(
            'core: settings.get answered from SQLite',
            steps.get('settings.get answered from SQLite'),
            t0,
          )
          // Since 1 Dec 19:00: the window's accept, and when the core's module import began (after
          // the first screen's three answers, or the start's timer).
          record(
            'core: first window connected (WebSocket accepted)',
            steps.get('first window connected (WebSocket accepted)'),
            t0,
          )
          // Since 1 Dec 22:10 (session 6): the three answered without the contract (the quick first
          // screen, core/first-screen-quick.ts), then the full first screen loaded.
          record(
            'core: first screen answered without the contract (quick)',
            steps.get('first screen answered without the contract'),
            t0,
          )
          record('core: full first screen loaded', steps.get('full first screen loaded'), t0)
          const importStarted = [...steps].find(([step]) =>
            step.startsWith('core module import started'),
          )
          record(
            `core: ${importStarted?.[0] ?? 'core module import started'}`,
            importStarted?.[1],
            t0,
          )
          record('core: core module loaded', steps.get('core module loaded'), t0)
          record('core: services built', steps.get('services built'), t0)
          record('core: open', listenedAt, t0)
          record(
            'core: replicas loaded, sync started',
            steps.get('replicas loaded from SQLite, sync started'),
            t0,
          )
          const onPage = (value: number | null) =>
            value === null ? null : times.timeOrigin + value
          record('page: navigation start', onPage(times.navigationStart), t0)
          record('page: bundle evaluated', onPage(times.scriptRun), t0)
          record('page: WebSocket open', onPage(times.wsOpen), t0)
          record('page: first answer from the core', onPage(times.firstAnswer), t0)
          record('page: first queue.forMe sent', onPage(times.forMeSent), t0)
          record('page: first queue.forMe answered', onPage(times.forMeAnswered), t0)
          record('page: first rows committed (React)', onPage(times.committed), t0)
          record('page: first rows painted', painted.at, t0)
          paints.push(painted.at - t0)
          firstRows.push(painted.rows)
          complete.push(allAt - t0)
          await new Promise((resolve) => setTimeout(resolve, SETTLE_MS))
          rss.push(rssMiB(host.pid))
          if (!LISTENING.test(host.logs())) throw new Error('the core never said it was open')
          process.stderr.write(
            `run ${run}: first paint (${painted.rows} rows) ${(painted.at - t0).toFixed(0)} ms, all ${ITEMS} rows ${(allAt - t0).toFixed(0)} ms (core open after ${listenedAt === undefined ? '?' : listenedAt - t0} ms), RSS ${rss[rss.length - 1]?.toFixed(1)} MiB\n`,
          )
        } finally {
          await context.close()
          if (profile && traceCdp) {
            const traceFile = join(profile.dir, `trace-${run}.json`)
            try {
              const trace = readPageTrace(await waitForTrace(traceFile, 20_000), windowSide.origin)
              cdpCacheLines.push(codeCacheSummary(trace))
            } catch (error) {
              cdpCacheLines.push(`no trace: ${error instanceof Error ? error.message : error}`)
            }
            rmSync(traceFile, { force: true })
          }
          if (profile && profile !== warm) profile.remove()
          await host.signal('SIGTERM')
          rmSync(dataDir, { recursive: true, force: true })
        }
      }
    }
  } finally {
    warm?.remove()
    if (plainWarm) rmSync(plainWarm, { recursive: true, force: true })
    await chromium.close()
    await windowSide.close()
    await prepared.stop()
  }
  if (paints.length === 0) {
    printPlain(plain)
    return
  }
  const figures = {
    items: ITEMS,
    runs: RUNS,
    firstPaintRows: median(firstRows),
    firstPaintMedianMs: Math.round(median(paints)),
    firstPaintMinMs: Math.round(Math.min(...paints)),
    firstPaintMaxMs: Math.round(Math.max(...paints)),
    allRowsMedianMs: Math.round(median(complete)),
    coreRssAtRestMedianMiB: Number(median(rss).toFixed(1)),
    coreRssAtRestMinMiB: Number(Math.min(...rss).toFixed(1)),
    coreRssAtRestMaxMiB: Number(Math.max(...rss).toFixed(1)),
  }
  console.log(
    `popover of ${ITEMS} items, ${RUNS} runs${KIND ? `, ${KIND} browser profile` : ''}${BROWSER_IDLE_MS ? ', browser idle at spawn' : ''}: first paint (${figures.firstPaintRows} rows) median ${figures.firstPaintMedianMs} ms ` +
      `(min ${figures.firstPaintMinMs}, max ${figures.firstPaintMaxMs}); all rows ${figures.allRowsMedianMs} ms; ` +
      `core RSS at rest ${figures.coreRssAtRestMedianMiB} MiB (median; ${figures.coreRssAtRestMinMiB}–${figures.coreRssAtRestMaxMiB}; ${SETTLE_MS / 1000} s after paint, popover connected)`,
  )
  console.log(
    `CPU from spawn to the paint being seen (median): whole machine ${Math.round(median(cpu.machine))} ms busy ` +
      `(${Math.round(median(cpu.share) * 100)} % of 2 cores; Chromium, the core, this bench), of it the core ${Math.round(median(cpu.core))} ms`,
  )
  console.log(
    `  by process (median ms): ${[...cpu.byProcess]
      .map(([group, values]) => [group, Math.round(median(values))] as const)
      .sort((a, b) => b[1] - a[1])
      .map(([group, ms]) => `${group} ${ms}`)
      .join(', ')}`,
  )
  console.log('breakdown, ms from spawn (median, min–max):')
  const rows = [...breakdown.entries()].sort((a, b) => median(a[1]) - median(b[1]))
  for (const [step, values] of rows) {
    console.log(
      `  ${String(Math.round(median(values))).padStart(6)}  (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})  ${step}`,
    )
  }
  console.log(JSON.stringify(figures))
  if (cdpCacheLines.length > 0) {
    console.log('cdp mode, V8 code cache, each run (from the same startup trace):')
    for (const line of cdpCacheLines) console.log(`  ${line}`)
  }
  if (plain.paints.length > 0) printPlain(plain)
}

/**
 * `--renderers=DIR,DIR… --modes=plain`: several renderer builds in the chain, interleaved (each
 * run loads each build, in alternating order; one window server and one primed profile per build,
 * one core fixture), plain Chromium only — e.g. the module and the classic bundle.
 */
const RENDERERS = process.argv
  .find((arg) => arg.startsWith('--renderers='))
  ?.slice('--renderers='.length)
  .split(',')

async function compareRenderers(dirs: string[]): Promise<void> {
  if (MODES.includes('cdp')) throw new Error('--renderers=… runs with --modes=plain only')
  const prepared = await prepareQueue(ITEMS)
  const builds = await Promise.all(
    dirs.map(async (dir) => ({
      dir,
      side: await windowServer(dir),
      warm: KIND === 'warm' ? plainProfileDir() : null,
      results: emptyPlainResults(),
    })),
  )
  try {
    for (const build of builds) {
      if (!build.warm) continue
      build.side.refuseCore(true)
      await primePlainProfile(
        build.warm,
        `${build.side.origin}/index.html`,
        WARM_PRIMING_LOADS,
        3_000,
      )
      build.side.refuseCore(false)
    }
    for (let run = 1; run <= RUNS; run++) {
      for (const build of run % 2 === 1 ? builds : [...builds].reverse()) {
        process.stderr.write(`${build.dir}: `)
        await plainRun({
          run,
          windowSide: build.side,
          dataDir: prepared.copy(),
          warmProfile: build.warm,
          results: build.results,
        })
      }
    }
  } finally {
    for (const build of builds) {
      if (build.warm) rmSync(build.warm, { recursive: true, force: true })
      await build.side.close()
    }
    await prepared.stop()
  }
  for (const build of builds) printPlain(build.results, ` — ${build.dir}`)
}

;(RENDERERS ? compareRenderers(RENDERERS) : main()).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
