/**
 * The dev/test host: one core served over a WebSocket on loopback.
 *   npm run build && npm run dev-host -- --data-dir DIR [--port 0] [--static out/renderer]
 * (out/main/host.js: bundled with the app's core by electron-vite, run by plain Node)
 * Loopback only: the core has no authentication, so any other --host needs
 * --unsafe-listen-anywhere.
 * Prints two lines on stdout: `… bound to http://…` as soon as the port is bound (windows may load
 * and connect: their frames wait for the core, as the app's ports do), then `… listening on ws://…`
 * once SQLite is open and a window's first screen can be answered (tests wait for that one; other
 * requests wait for the core, core/start.ts); logs go to stderr.
 * PORTE_VOIX_START_TRACE=1 logs the start's steps with their time since the process started.
 */
import { clockFromEnv } from '../core/lifecycle'
import { type CoreStart, startCore } from '../core/start'
import { isLoopbackHost, parseHostArgs } from './args'
import { notificationsFile } from './notifications'
import { fileOpener } from './opener'
import { serveCore } from './server'

const log = (line: string) => process.stderr.write(`[core] ${line}\n`)
const tracing = process.env.PORTE_VOIX_START_TRACE === '1'
/** A start step, timed from the process's start (performance.timeOrigin), for benchmarks. */
const trace = (step: string) => {
  if (tracing) {
    const now = performance.now()
    log(`start +${now.toFixed(0)} ms (at ${(performance.timeOrigin + now).toFixed(0)}): ${step}`)
  }
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseHostArgs>
  try {
    options = parseHostArgs(process.argv.slice(2), process.env)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(2)
  }
  trace('modules loaded, main() entered')
  if (options.unsafeListenAnywhere && !isLoopbackHost(options.host)) {
    log(`WARNING: listening on ${options.host} without authentication (--unsafe-listen-anywhere)`)
  }
  // The port is bound before the core opens, as in the app, where the window and the core's
  // utilityProcess start together: a window may load and connect, and its frames wait for SQLite
  // (its first screen is answered from there, start.ts), then for the core.
  let opened: (start: CoreStart) => void = () => {}
  let failed: (error: unknown) => void = () => {}
  const opening = new Promise<CoreStart>((resolve, reject) => {
    opened = resolve
    failed = reject
  })
  const host = await serveCore(opening, options, log, trace)
  process.stdout.write(
    `porte-voix core host bound to http://${urlHost(options.host)}:${host.port}, opening the core\n`,
  )
  trace('port bound')
  let start: CoreStart
  try {
    start = startCore({
      dataDir: options.dataDir,
      log,
      opener: fileOpener(options.dataDir, log),
      onNudge: notificationsFile(options.dataDir, log),
      // End-to-end tests compress time (PORTE_VOIX_CLOCK_SPEED) to see a nudge arrive.
      clock: clockFromEnv(process.env),
      onStartStep: trace,
      ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
      ...(options.compactEvery !== undefined ? { compactEvery: options.compactEvery } : {}),
    })
  } catch (error) {
    // Windows waiting on `opening` are closed (server.ts); main() exits below.
    failed(error)
    throw error
  }
  opened(start)
  trace('first screen served from SQLite')
  // Requests may come: the first screen is answered now, anything else once the core is open.
  process.stdout.write(
    `porte-voix core host listening on ws://${urlHost(options.host)}:${host.port}\n`,
  )

  let stopping = false
  const stop = async (signal: string, code = 0) => {
    if (stopping) return
    stopping = true
    log(`${signal}: shutting down`)
    await host.close()
    await start.close()
    process.exit(code)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
  // The core could not open, or its deferred replicas not load (a damaged data file): the start
  // failed, only later than SQLite.
  const fatal = (error: unknown) => {
    log(`fatal: ${error instanceof Error ? error.message : String(error)}`)
    void stop('start failed', 1)
  }
  start.core.then((core) => {
    trace('core open')
    core.replicas.catch(fatal)
  }, fatal)
}

/** How to reach the host in a URL: a wildcard address is reachable on 127.0.0.1. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

main().catch((error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.exit(1)
})
