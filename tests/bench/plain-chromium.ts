import { type ChildProcess, spawn } from 'node:child_process'
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { CHROMIUM_LAUNCH } from '../helpers/browser'

/**
 * The popover benches' second way to run Chromium (issue 7.8): a plain child process, no
 * Playwright, no DevTools protocol attached — as Electron's renderer runs. What the page did is
 * read afterwards from Chromium's startup trace (`--trace-startup`, JSON), whose clock is
 * CLOCK_MONOTONIC in microseconds on Linux, the clock of `process.hrtime` (checked by each run:
 * the page's navigation must come after the bench's go signal, by a few ms).
 */

/** Trace categories: the page's marks, paint, V8's compile and code-cache events. */
export const TRACE_CATEGORIES = 'blink.user_timing,loading,v8,devtools.timeline'

/** Chromium's flags for a traced start on `profileDir`, writing the trace to `traceFile`. */
export function tracedStartArgs(traceFile: string, durationS: number): string[] {
  return [
    `--trace-startup=${TRACE_CATEGORIES}`,
    '--trace-startup-format=json',
    `--trace-startup-file=${traceFile}`,
    `--trace-startup-duration=${durationS}`,
  ]
}

/** The same flags as the Playwright launches (CHROMIUM_LAUNCH), headless, the popover's size. */
function plainArgs(profileDir: string): string[] {
  return [
    '--headless=new',
    ...CHROMIUM_LAUNCH.args,
    `--user-data-dir=${profileDir}`,
    '--window-size=380,580',
    '--lang=en-US',
  ]
}

export type PlainBrowser = {
  pid: number
  /** SIGTERM (Chromium shuts down cleanly and writes its caches), then wait for the exit. */
  stop(): Promise<void>
}

/** Start Chromium on `profileDir` at `url`, with `extraArgs`; its temp files go to `cwd`. */
export function startPlainChromium(
  profileDir: string,
  url: string,
  extraArgs: string[],
  cwd: string,
): PlainBrowser {
  const child: ChildProcess = spawn(
    CHROMIUM_LAUNCH.executablePath,
    [...plainArgs(profileDir), ...extraArgs, url],
    { cwd, stdio: 'ignore' },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  return {
    pid: child.pid ?? -1,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(killer)
    },
  }
}

/** Wait until Chromium has written the whole trace (it writes it when the duration ends). */
export async function waitForTrace(file: string, timeoutMs: number): Promise<TraceEvent[]> {
  const deadline = Date.now() + timeoutMs
  while (Date.now() < deadline) {
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { traceEvents?: TraceEvent[] }
        if (parsed.traceEvents) return parsed.traceEvents
      } catch {
        // still being written
      }
    }
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  throw new Error(`no complete trace in ${file} after ${timeoutMs} ms`)
}

export type TraceEvent = {
  name: string
  cat: string
  ph: string
  ts: number
  dur?: number
  pid: number
  tid: number
  args?: { data?: Record<string, unknown>; [key: string]: unknown }
}

/** One module or script of the page compiled by V8, and what it did with the code cache. */
export type CompiledScript = {
  url: string
  kind: 'module' | 'classic'
  streamed: boolean
  /** Bytes of code cache consumed (V8 deserialised the script instead of compiling it). */
  consumedCacheSize: number
  cacheRejected: boolean
  notStreamedReason: string | null
  mainThreadMs: number
}

export type PageTrace = {
  /** The page's performance marks, trace clock (µs), first of each name. */
  marks: Map<string, number>
  /** Navigation start of the page (the `navigationStart` mark of its document), trace clock. */
  navigationStart: number | null
  firstContentfulPaint: number | null
  scripts: CompiledScript[]
  /**
   * V8's code cache produced again in the page's renderer during the load (`v8.produceModuleCache`
   * / `v8.produceCache` events; they name no script): a cache consumed is not produced again.
   */
  cacheProductions: number
  /** The page's renderer process. */
  rendererPid: number | null
}

/** What the page under `origin` did, from a startup trace. */
export function readPageTrace(events: TraceEvent[], origin: string): PageTrace {
  const marks = new Map<string, number>()
  let rendererPid: number | null = null
  for (const event of events) {
    if (event.cat.includes('blink.user_timing') && event.name.startsWith('pv:')) {
      if (!marks.has(event.name)) marks.set(event.name, event.ts)
      rendererPid ??= event.pid
    }
  }
  const ofPage = (event: TraceEvent) => rendererPid === null || event.pid === rendererPid
  const scripts = new Map<string, CompiledScript>()
  let navigationStart: number | null = null
  let firstContentfulPaint: number | null = null
  for (const event of events) {
    if (!ofPage(event)) continue
    const data = event.args?.data ?? {}
    const url = String(data.url ?? event.args?.fileName ?? '')
    if (
      (event.name === 'v8.compileModule' || event.name === 'v8.compile') &&
      url.startsWith(origin)
    ) {
      const path = url.slice(origin.length)
      scripts.set(path, {
        url: path,
        kind: event.name === 'v8.compileModule' ? 'module' : 'classic',
        streamed: data.streamed === true,
        consumedCacheSize: Number(data.consumedCacheSize ?? 0),
        cacheRejected: data.cacheRejected === true,
        notStreamedReason:
          typeof data.notStreamedReason === 'string' ? data.notStreamedReason : null,
        mainThreadMs: (event.dur ?? 0) / 1000,
      })
    }
    if (event.name === 'navigationStart' && navigationStart === null) {
      const documentUrl = String(data.documentLoaderURL ?? '')
      if (documentUrl.startsWith(origin) && documentUrl.includes('index.html')) {
        navigationStart = event.ts
      }
    }
    if (event.name === 'firstContentfulPaint' && firstContentfulPaint === null) {
      firstContentfulPaint = event.ts
    }
  }
  let cacheProductions = 0
  for (const event of events) {
    const producing = event.name === 'v8.produceModuleCache' || event.name === 'v8.produceCache'
    if (producing && ofPage(event) && navigationStart !== null && event.ts >= navigationStart) {
      cacheProductions++
    }
  }
  return {
    marks,
    navigationStart,
    firstContentfulPaint,
    scripts: [...scripts.values()],
    cacheProductions,
    rendererPid,
  }
}

/** One line on the code cache of a load: how many scripts consumed one, were compiled, produced one. */
export function codeCacheSummary(trace: PageTrace): string {
  const scripts = trace.scripts
  const consumed = scripts.filter((script) => script.consumedCacheSize > 0)
  const rejected = scripts.filter((script) => script.cacheRejected)
  const streamed = scripts.filter((script) => script.streamed)
  const bytes = consumed.reduce((sum, script) => sum + script.consumedCacheSize, 0)
  return `${scripts.length} scripts: ${consumed.length} consumed a code cache (${Math.round(bytes / 1024)} kB), ${rejected.length} rejected one, ${streamed.length} streamed (compiled off-thread); ${trace.cacheProductions} code caches produced again`
}

/** A profile folder of its own (the plain runs copy a primed one per run, as each app start reads the same). */
export function plainProfileDir(): string {
  return mkdtempSync(join(tmpdir(), 'porte-voix-bench-plain-profile-'))
}

export function copyProfile(from: string): string {
  const dir = plainProfileDir()
  cpSync(from, dir, { recursive: true })
  // A copied lock would make Chromium think another instance runs on it.
  for (const lock of ['SingletonLock', 'SingletonSocket', 'SingletonCookie']) {
    rmSync(join(dir, lock), { force: true })
  }
  return dir
}

/**
 * Prime a plain profile: `loads` starts at `url`, each left `settleMs` (the page loads and runs,
 * Chromium writes the HTTP and code caches), then shut down cleanly.
 */
export async function primePlainProfile(
  dir: string,
  url: string,
  loads: number,
  settleMs: number,
): Promise<void> {
  for (let load = 0; load < loads; load++) {
    const browser = startPlainChromium(dir, url, [], dir)
    await new Promise((resolve) => setTimeout(resolve, settleMs))
    await browser.stop()
  }
}
