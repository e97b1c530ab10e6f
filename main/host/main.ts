/**
 * The dev/test host: one core served over a WebSocket on loopback.
 *   npm run build && npm run dev-host -- --data-dir DIR [--port 0] [--static out/renderer]
 * (out/main/host.js: bundled with the app's core by electron-vite, run by plain Node)
 * Loopback only: the core has no authentication, so any other --host needs
 * --unsafe-listen-anywhere.
 * Prints exactly one line on stdout when ready (tests wait for it); logs go to stderr.
 */
import { Core } from '../core/core'
import { clockFromEnv } from '../core/lifecycle'
import { isLoopbackHost, parseHostArgs } from './args'
import { notificationsFile } from './notifications'
import { fileOpener } from './opener'
import { serveCore } from './server'

const log = (line: string) => process.stderr.write(`[core] ${line}\n`)

async function main(): Promise<void> {
  let options: ReturnType<typeof parseHostArgs>
  try {
    options = parseHostArgs(process.argv.slice(2), process.env)
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`)
    process.exit(2)
  }
  const core = await Core.open({
    dataDir: options.dataDir,
    log,
    opener: fileOpener(options.dataDir, log),
    onNudge: notificationsFile(options.dataDir, log),
    // End-to-end tests compress time (PORTE_VOIX_CLOCK_SPEED) to see a nudge arrive.
    clock: clockFromEnv(process.env),
    ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    ...(options.compactEvery !== undefined ? { compactEvery: options.compactEvery } : {}),
  })
  if (options.unsafeListenAnywhere && !isLoopbackHost(options.host)) {
    log(`WARNING: listening on ${options.host} without authentication (--unsafe-listen-anywhere)`)
  }
  const host = await serveCore(core, options, log)
  process.stdout.write(
    `porte-voix core host listening on ws://${urlHost(options.host)}:${host.port}\n`,
  )

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    log(`${signal}: shutting down`)
    await host.close()
    await core.close()
    process.exit(0)
  }
  process.on('SIGTERM', () => void stop('SIGTERM'))
  process.on('SIGINT', () => void stop('SIGINT'))
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
