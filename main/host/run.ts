import { flushCompileCache } from '../core/compile-cache'
import { clockFromEnv } from '../core/lifecycle'
import { type CoreStart, startCore } from '../core/start'
import { isLoopbackHost, parseHostArgs } from './args'
import { notificationsFile } from './notifications'
import { fileOpener } from './opener'
import { serveCore } from './server'

/**
 * The host's start once its entry (main.ts) has enabled the compile cache: parse the flags, bind
 * the port, start the core (core/start.ts), and stop it on SIGTERM/SIGINT.
 */
export async function runHost(
  log: (line: string) => void,
  trace: (step: string) => void,
): Promise<void> {
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
      // Tests that check what a window's requests start (tests/core/start-order) set it long.
      ...startDelayFromEnv(process.env),
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
  // Requests may come: the first screen is answered now, anything else once the core is open.
  // Said after the handlers: a SIGTERM sent on reading this line would otherwise, in the moment
  // before them, kill the host at once (no graceful close, exit by signal).
  process.stdout.write(
    `porte-voix core host listening on ws://${urlHost(options.host)}:${host.port}\n`,
  )
  // The core could not open, or its deferred replicas not load (a damaged data file): the start
  // failed, only later than SQLite.
  const fatal = (error: unknown) => {
    log(`fatal: ${error instanceof Error ? error.message : String(error)}`)
    void stop('start failed', 1)
  }
  start.core.then((core) => {
    trace('core open')
    // The core's whole module is compiled now: kept for the next start.
    flushCompileCache()
    core.replicas.catch(fatal)
  }, fatal)
}

/** How to reach the host in a URL: a wildcard address is reachable on 127.0.0.1. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1'
  return host.includes(':') ? `[${host}]` : host
}

/** PORTE_VOIX_START_DELAY_MS: when the core loads with no window asking (a whole number of ms). */
function startDelayFromEnv(env: NodeJS.ProcessEnv): { startDelayMs?: number } {
  const ms = Number(env.PORTE_VOIX_START_DELAY_MS)
  return env.PORTE_VOIX_START_DELAY_MS && Number.isInteger(ms) && ms >= 0
    ? { startDelayMs: ms }
    : {}
}
