/**
 * Benchmark: the popover page alone, with its core already running (issue 7.8). Where the page's
 * part of "first paint from core spawn" goes: from navigation start to the bundle evaluated
 * (`pv:script-run`) and to the first requests sent (the page ready to talk to the core), and from
 * the first `queue.forMe` answer to the first rows painted. The core host is started once, on a
 * copy of the 1,000-item fixture (tests/bench/queue-fixture.ts), and answers every load warm, so
 * these figures are the page's own.
 *
 *   npx tsx tests/bench/popover-page.ts [runs] [renderer-dir …] [--profile] [--cache=cold,warm]
 *
 * Several renderer builds (e.g. `npx electron-vite build --outDir /tmp/a`, then /tmp/a/renderer)
 * are loaded interleaved, one after the other in each round, so that they are compared under the
 * same load. Default: out/renderer. `--profile` records one Chromium CPU profile per build (CDP,
 * from before navigation to the paint) and prints the self time by script and by function.
 * `--cache=cold,warm` loads each build in a browser started for that load on a profile on disk
 * (tests/bench/browser-profile.ts): `cold` a fresh profile each time (the app's first start),
 * `warm` one profile per build that loaded the page twice before (every later start: HTTP and V8
 * code cache in place). Without it, each load is a fresh context of one running browser.
 * `--trace` records a Chromium trace of each load (CDP Tracing) and prints the renderer main
 * thread's self time by trace event per phase: what the profile's "(program)" is (parsing, style,
 * code cache, compile…).
 */
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { join } from 'node:path'
import { originalPositionFor, TraceMap } from '@jridgewell/trace-mapping'
import type { CDPSession } from 'playwright-core'
import { CORE_EXEC_ARGV, coreEnv } from '../../main/core/runtime-flags'
import { serveStatic } from '../../main/host/static-files'
import { launchChromium, newContext } from '../helpers/browser'
import { hostEntry } from '../helpers/core'
import { spawnUntilListening } from '../helpers/process'
import { rendererDir } from '../helpers/renderer'
import { browserProfile, type StartKind, WARM_PRIMING_LOADS } from './browser-profile'
import { pipeUpgrade, type SocketTimes, webSocketSpy } from './page-socket-spy'
import { median, prepareQueue } from './queue-fixture'

const ITEMS = 1_000
const args = process.argv.slice(2)
const PROFILE = args.includes('--profile')
const TRACE = args.includes('--trace')
const positional = args.filter((arg) => !arg.startsWith('--'))
const RUNS = Math.max(1, Number(positional[0] ?? 7))
const DIRS = positional.length > 1 ? positional.slice(1) : [rendererDir()]
const KINDS = (args.find((arg) => arg.startsWith('--cache='))?.slice('--cache='.length) ?? '')
  .split(',')
  .filter((kind): kind is StartKind => kind === 'cold' || kind === 'warm')
/** What is compared, interleaved: each build, in each start kind asked for. */
const VARIANTS = DIRS.flatMap((dir) =>
  KINDS.length > 0
    ? KINDS.map((kind) => ({ dir, kind: kind as StartKind | null }))
    : [{ dir, kind: null as StartKind | null }],
)
const LISTENING = /porte-voix core host listening on ws:\/\/127\.0\.0\.1:(\d+)/

/** Page steps, ms from navigation start (the page's performance.timeOrigin). */
const STEPS = [
  ['documentFetched', 'index.html fetched'],
  ['scriptFetched', 'entry script fetched'],
  ['scriptRun', 'bundle evaluated (pv:script-run)'],
  ['socketCreated', 'WebSocket to the core created'],
  ['wsOpen', 'WebSocket open'],
  ['forMeSent', 'first queue.forMe sent'],
  ['forMeAnswered', 'first queue.forMe answered'],
  ['committed', 'first rows committed (pv:queue-committed)'],
  ['painted', 'first rows painted (pv:queue-painted)'],
  ['answerToPaint', '= answered → painted'],
  // CPU time of the page's renderer, read at the paint (CDP Performance.getMetrics): what the
  // machine's load affects least.
  ['threadTime', 'CPU: main thread, navigation → painted'],
  ['processTime', 'CPU: renderer process (all threads, since it started)'],
  ['scriptDuration', 'main thread: running JavaScript'],
  ['compileDuration', 'main thread: V8 compiling'],
  ['layoutStyleDuration', 'main thread: style and layout'],
  // With --profile: the main thread's busy time (not idle in the CPU profile) in each phase.
  ['busy:load', 'busy: navigation → bundle evaluated'],
  ['busy:start', 'busy: bundle evaluated → first queue.forMe sent'],
  ['busy:wait', 'busy: sent → answered'],
  ['busy:paint', 'busy: answered → painted'],
] as const
type Step = (typeof STEPS)[number][0]

type CpuProfile = {
  nodes: {
    id: number
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }
  }[]
  startTime: number
  samples: number[]
  timeDeltas: number[]
}

/** Chromium's profile clock is CLOCK_MONOTONIC (µs), as Node's hrtime: wall ms = µs / 1000 + this. */
const MONOTONIC_TO_WALL_MS = Date.now() - Number(process.hrtime.bigint()) / 1e6

/** The page's phases, as wall-clock ms: [name, from, to]. */
type Phase = [string, number, number]

/**
 * Self time per script (or source file, when the build has source maps: `electron-vite build
 * --sourcemap`) and per function of a CDP CPU profile, in ms.
 */
function selfTimes(profile: CpuProfile, dir: string, phase?: Phase) {
  const maps = new Map<string, TraceMap | null>()
  const mapOf = (script: string) => {
    if (!maps.has(script)) {
      const file = join(dir, 'assets', `${script}.map`)
      maps.set(script, existsSync(file) ? new TraceMap(readFileSync(file, 'utf8')) : null)
    }
    return maps.get(script) ?? null
  }
  const byNode = new Map<number, number>()
  let at = profile.startTime
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    const wall = at / 1000 + MONOTONIC_TO_WALL_MS
    if (phase && (wall < phase[1] || wall >= phase[2])) return
    byNode.set(id, (byNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  })
  const byScript = new Map<string, number>()
  const byFunction = new Map<string, number>()
  for (const node of profile.nodes) {
    const ms = byNode.get(node.id) ?? 0
    if (ms === 0) continue
    const { functionName, url, lineNumber, columnNumber } = node.callFrame
    let script = url ? url.replace(/^.*\//, '') : `(${functionName || 'native'})`
    let line = lineNumber + 1
    let name = functionName
    const map = url ? mapOf(script) : null
    const original = map ? originalPositionFor(map, { line, column: columnNumber }) : null
    if (original?.source) {
      script = original.source.replace(/^.*node_modules\//, '').replace(/^(\.\.\/)+/, '')
      line = original.line ?? line
      name = original.name ?? name
    }
    byScript.set(script, (byScript.get(script) ?? 0) + ms)
    const fn = `${name || '(anonymous)'} ${script}:${line}`
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms)
  }
  const top = (map: Map<string, number>, n: number) =>
    [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, n)
  const busy = [...byScript.entries()]
    .filter(([script]) => script !== '((idle))')
    .reduce((sum, [, ms]) => sum + ms, 0)
  return { busy, byScript, scripts: top(byScript, 30), functions: top(byFunction, 25) }
}

const TRACE_CATEGORIES = [
  'toplevel',
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'blink',
  'loading',
  'v8',
  'v8.execute',
  'disabled-by-default-v8.compile',
]

type TraceEvent = {
  name: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: { name?: string }
}

/** Stops the trace started on `session` and returns its events. */
async function readTrace(session: CDPSession): Promise<TraceEvent[]> {
  const complete = new Promise<{ stream?: string }>((resolve) =>
    session.once('Tracing.tracingComplete', resolve),
  )
  await session.send('Tracing.end')
  const { stream } = await complete
  if (!stream) return []
  let text = ''
  for (;;) {
    const chunk = await session.send('IO.read', { handle: stream })
    text += chunk.base64Encoded ? Buffer.from(chunk.data, 'base64').toString() : chunk.data
    if (chunk.eof) break
  }
  await session.send('IO.close', { handle: stream })
  const parsed = JSON.parse(text) as TraceEvent[] | { traceEvents: TraceEvent[] }
  return Array.isArray(parsed) ? parsed : parsed.traceEvents
}

/**
 * Self time (ms) by event name on the page's renderer main thread (the CrRendererMain thread with
 * the most complete events), each event counted in the phase where it starts.
 */
function traceSelfTimes(events: TraceEvent[], phases: Phase[]): Map<string, Map<string, number>> {
  const mains = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .map((e) => `${e.pid}:${e.tid}`),
  )
  const byThread = new Map<string, TraceEvent[]>()
  for (const event of events) {
    const key = `${event.pid}:${event.tid}`
    if (event.ph !== 'X' || event.dur === undefined || !mains.has(key)) continue
    byThread.set(key, [...(byThread.get(key) ?? []), event])
  }
  const thread = [...byThread.values()].sort((a, b) => b.length - a.length)[0] ?? []
  thread.sort((a, b) => a.ts - b.ts || (b.dur ?? 0) - (a.dur ?? 0))
  const result = new Map<string, Map<string, number>>()
  const stack: { event: TraceEvent; end: number; self: number }[] = []
  const close = (entry: { event: TraceEvent; self: number }) => {
    const wall = entry.event.ts / 1000 + MONOTONIC_TO_WALL_MS
    const phase = phases.find(([, from, to]) => wall >= from && wall < to)
    if (!phase) return
    const sums = result.get(phase[0]) ?? new Map<string, number>()
    sums.set(entry.event.name, (sums.get(entry.event.name) ?? 0) + entry.self / 1000)
    result.set(phase[0], sums)
  }
  for (const event of thread) {
    const end = event.ts + (event.dur ?? 0)
    while (stack.length > 0 && (stack[stack.length - 1]?.end ?? 0) <= event.ts) {
      close(stack.pop() as { event: TraceEvent; self: number })
    }
    const parent = stack[stack.length - 1]
    if (parent) parent.self -= event.dur ?? 0
    stack.push({ event, end, self: event.dur ?? 0 })
  }
  while (stack.length > 0) close(stack.pop() as { event: TraceEvent; self: number })
  return result
}

async function main(): Promise<void> {
  const prepared = await prepareQueue(ITEMS)
  const dataDir = prepared.copy()
  let staticDir = DIRS[0] ?? ''
  let corePort = 0
  const server = createServer((req, res) => serveStatic(staticDir, req, res))
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy())
    pipeUpgrade(req, socket, head, corePort)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const host = await spawnUntilListening({
    name: 'core host',
    args: [...CORE_EXEC_ARGV, hostEntry(), '--data-dir', dataDir, '--port', '0'].concat([
      '--allow-origin',
      origin,
    ]),
    cwd: process.cwd(),
    env: coreEnv(),
    listening: LISTENING,
    timeoutMs: 60_000,
  })
  corePort = Number(host.match[1])
  const chromium = await launchChromium()
  const results = VARIANTS.map(() => new Map<Step, number[]>())
  /** Per variant, per phase: mean self time by source over the loads (--profile). */
  const profileSums = VARIANTS.map(() => new Map<string, Map<string, number>>())
  /** Per variant, per phase: mean main-thread self time by trace event (--trace). */
  const traceSums = VARIANTS.map(() => new Map<string, Map<string, number>>())
  const warmProfiles = VARIANTS.map(({ kind }) => (kind === 'warm' ? browserProfile() : null))
  const open = async (index: number) => {
    const kind = VARIANTS[index]?.kind ?? null
    if (kind === null) {
      const context = await newContext(chromium.browser, { origin })
      return { context, done: () => context.close() }
    }
    const profile = warmProfiles[index] ?? browserProfile()
    const context = await profile.start(origin)
    return {
      context,
      done: async () => {
        await context.close()
        if (kind === 'cold') profile.remove()
      },
    }
  }
  try {
    for (let run = 0; run <= RUNS; run++) {
      for (const [index, { dir, kind }] of VARIANTS.entries()) {
        // Round 0 warms the core and the OS's file cache, and primes a warm profile.
        const loads = run === 0 && kind === 'warm' ? WARM_PRIMING_LOADS : 1
        for (let load = 0; load < loads; load++) {
          staticDir = dir
          const { context, done } = await open(index)
          await context.addInitScript(webSocketSpy)
          const page = context.pages()[0] ?? (await context.newPage())
          await page.goto('about:blank')
          const session = await context.newCDPSession(page)
          await session.send('Performance.enable', { timeDomain: 'threadTicks' })
          const cdp = PROFILE ? session : null
          if (cdp) {
            await cdp.send('Profiler.enable')
            await cdp.send('Profiler.setSamplingInterval', { interval: 200 })
            await cdp.send('Profiler.start')
          }
          if (TRACE) {
            await session.send('Tracing.start', {
              transferMode: 'ReturnAsStream',
              traceConfig: { includedCategories: TRACE_CATEGORIES },
            })
          }
          await page.goto(`${origin}/index.html`)
          await page.waitForFunction(
            () => performance.getEntriesByName('pv:queue-painted').length > 0,
            undefined,
            { timeout: 60_000, polling: 20 },
          )
          const profile = cdp
            ? ((await cdp.send('Profiler.stop')) as { profile: CpuProfile })
            : null
          const trace = TRACE ? await readTrace(session) : null
          // PV_TRACE_OUT=file.json keeps the last load's raw trace (for chrome://tracing, Perfetto).
          if (trace && process.env.PV_TRACE_OUT) {
            writeFileSync(process.env.PV_TRACE_OUT, JSON.stringify({ traceEvents: trace }))
          }
          const { metrics } = await session.send('Performance.getMetrics')
          const metric = (name: string) =>
            (metrics.find((entry) => entry.name === name)?.value ?? Number.NaN) * 1000
          // No named helpers inside: tsx's __name wrapper does not exist in the page.
          const times = await page.evaluate(() => {
            const [scriptRun, committed, painted] = [
              'pv:script-run',
              'pv:queue-committed',
              'pv:queue-painted',
            ].map((name) => performance.getEntriesByName(name)[0]?.startTime ?? null)
            const probe = (window as unknown as { __pvBench: SocketTimes }).__pvBench
            const [navigation] = performance.getEntriesByType('navigation')
            const script = performance
              .getEntriesByType('resource')
              .find((entry) => /\/assets\/index-[^/]*\.js$/.test(entry.name))
            return {
              timeOrigin: performance.timeOrigin,
              documentFetched: navigation
                ? (navigation as PerformanceNavigationTiming).responseEnd
                : null,
              scriptFetched: script ? (script as PerformanceResourceTiming).responseEnd : null,
              scriptRun: scriptRun ?? null,
              socketCreated: probe.socketCreated ?? null,
              wsOpen: probe.wsOpen ?? null,
              forMeSent: probe.forMeSent ?? null,
              forMeAnswered: probe.forMeAnswered ?? null,
              committed: committed ?? null,
              painted: painted ?? null,
            }
          })
          await done()
          // Round 0 is not counted.
          if (run === 0) continue
          const steps = results[index] as Map<Step, number[]>
          const record = (step: Step, value: number | null) => {
            if (value === null) return
            steps.set(step, [...(steps.get(step) ?? []), value])
          }
          for (const step of [
            'documentFetched',
            'scriptFetched',
            'scriptRun',
            'socketCreated',
            'wsOpen',
            'forMeSent',
            'forMeAnswered',
            'committed',
            'painted',
          ] as const) {
            record(step, times[step])
          }
          record('threadTime', metric('ThreadTime'))
          record('processTime', metric('ProcessTime'))
          record('scriptDuration', metric('ScriptDuration'))
          record('compileDuration', metric('V8CompileDuration'))
          record('layoutStyleDuration', metric('LayoutDuration') + metric('RecalcStyleDuration'))
          if (times.painted !== null && times.forMeAnswered !== null) {
            record('answerToPaint', times.painted - times.forMeAnswered)
          }
          if (trace) {
            const origin0 = times.timeOrigin
            const wall = (value: number | null) => (value === null ? Number.NaN : origin0 + value)
            const phases: Phase[] = [
              ['trace:load', origin0, wall(times.scriptRun)],
              ['trace:start', wall(times.scriptRun), wall(times.forMeSent)],
              ['trace:paint', wall(times.forMeAnswered), wall(times.painted)],
            ]
            const sums = traceSums[index] as Map<string, Map<string, number>>
            for (const [phase, bySelf] of traceSelfTimes(trace, phases)) {
              const into = sums.get(phase) ?? new Map<string, number>()
              for (const [name, ms] of bySelf) into.set(name, (into.get(name) ?? 0) + ms / RUNS)
              sums.set(phase, into)
            }
          }
          if (profile) {
            const { timeOrigin: origin0 } = times
            const wall = (value: number | null) => (value === null ? Number.NaN : origin0 + value)
            const phases: Phase[] = [
              ['busy:load', origin0, wall(times.scriptRun)],
              ['busy:start', wall(times.scriptRun), wall(times.forMeSent)],
              ['busy:wait', wall(times.forMeSent), wall(times.forMeAnswered)],
              ['busy:paint', wall(times.forMeAnswered), wall(times.painted)],
            ]
            for (const phase of phases) {
              const { busy, byScript } = selfTimes(profile.profile, dir, phase)
              record(phase[0] as Step, busy)
              const sums = (profileSums[index] as Map<string, Map<string, number>>).get(phase[0])
              const bySource = sums ?? new Map<string, number>()
              for (const [script, ms] of byScript) {
                bySource.set(script, (bySource.get(script) ?? 0) + ms / RUNS)
              }
              ;(profileSums[index] as Map<string, Map<string, number>>).set(phase[0], bySource)
            }
            if (run === 1) {
              const { functions } = selfTimes(profile.profile, dir)
              console.log(`\nCPU profile of one load, ${dir}: self time by function (ms)`)
              for (const [name, ms] of functions) {
                console.log(`  ${ms.toFixed(1).padStart(7)}  ${name}`)
              }
              // The same load, phase by phase: what runs before the bundle has run, and between
              // the answer and the paint.
              for (const phase of phases) {
                if (phase[0] === 'busy:wait') continue
                const top = selfTimes(profile.profile, dir, phase).functions.filter(
                  ([name]) => !name.startsWith('(idle)'),
                )
                console.log(
                  `  ${phase[0]}: ${top
                    .slice(0, 12)
                    .map(([n, ms]) => `${n} ${ms.toFixed(1)}`)
                    .join('; ')}`,
                )
              }
            }
          }
        }
      }
    }
  } finally {
    for (const profile of warmProfiles) profile?.remove()
    await chromium.close()
    server.closeAllConnections()
    server.close()
    await host.signal('SIGTERM')
    rmSync(dataDir, { recursive: true, force: true })
    await prepared.stop()
  }
  console.log(
    `\npopover page, core already running, ${RUNS} loads per build and start kind (median, min–max ms)`,
  )
  for (const [index, { dir, kind }] of VARIANTS.entries()) {
    console.log(`\n${dir}${kind ? ` — ${kind} start` : ''}`)
    const steps = results[index] as Map<Step, number[]>
    for (const [step, label] of STEPS) {
      const values = steps.get(step) ?? []
      if (values.length === 0) continue
      console.log(
        `  ${String(Math.round(median(values))).padStart(6)}  (${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))})  ${label}`,
      )
    }
    for (const [phase, byName] of traceSums[index] ?? []) {
      const top = [...byName.entries()].sort((a, b) => b[1] - a[1]).slice(0, 16)
      const total = [...byName.values()].reduce((sum, ms) => sum + ms, 0)
      console.log(
        `  ${phase}, main thread ${total.toFixed(0)} ms, mean self ms by trace event: ${top.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ')}`,
      )
    }
    for (const [phase, bySource] of profileSums[index] ?? []) {
      if (phase === 'busy:wait') continue
      const top = [...bySource.entries()]
        .filter(([source]) => source !== '((idle))')
        .sort((a, b) => b[1] - a[1])
        .slice(0, 14)
      console.log(
        `  ${phase}, mean self ms by source: ${top.map(([n, ms]) => `${n} ${ms.toFixed(1)}`).join(', ')}`,
      )
    }
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
