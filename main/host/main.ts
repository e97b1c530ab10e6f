/**
 * The dev/test host: one core served over a WebSocket on loopback.
 *   tsx main/host/main.ts --data-dir DIR [--port 0] [--static out/renderer]
 * Prints exactly one line on stdout when ready (tests wait for it); logs go to stderr.
 */
import { Core } from '../core/core'
import { parseHostArgs } from './args'
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
    ...(options.maxBackoffMs !== undefined ? { maxBackoffMs: options.maxBackoffMs } : {}),
    ...(options.compactEvery !== undefined ? { compactEvery: options.compactEvery } : {}),
  })
  const host = await serveCore(core, options, log)
  process.stdout.write(`porte-voix core host listening on ws://127.0.0.1:${host.port}\n`)

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

main().catch((error: unknown) => {
  log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
  process.exit(1)
})
