/**
 * Entry point of the core as an Electron utility process. Deliberately typed against minimal
 * local interfaces (no `electron` import): the core must stay a plain Node program.
 *
 * Main's first message (`open`) names the data directory; Node's compile cache is enabled there
 * (compile-cache.ts) before anything else loads, then the rest of the core's process
 * (process-serve.ts: zod, SQLite, the start) is imported and serves main's messages in order,
 * the ones that came meanwhile first. Validation of every message stays there.
 */
import { enableCompileCache } from './compile-cache'
import type { ParentEvent, ParentPortLike } from './process-serve'

const parentPort = (process as NodeJS.Process & { parentPort?: ParentPortLike }).parentPort
if (!parentPort) {
  process.stderr.write('process-entry: not running as a utility process (no parentPort)\n')
  process.exit(2)
}

const log = (line: string) => process.stderr.write(`[core] ${line}\n`)

/** Messages from main until the serving module has loaded; null once it serves them. */
let early: ParentEvent[] | null = []
let serve: (event: ParentEvent) => void = () => {}

parentPort.on('message', (event) => {
  if (early === null) {
    serve(event)
    return
  }
  early.push(event)
  if (early.length > 1) return
  // Where the cache lives; what the message really is, process-serve.ts validates.
  const dataDir = (event.data as { type?: unknown; dataDir?: unknown } | null)?.dataDir
  if (
    (event.data as { type?: unknown } | null)?.type === 'open' &&
    typeof dataDir === 'string' &&
    dataDir !== ''
  ) {
    log(enableCompileCache(dataDir))
  }
  void import('./process-serve').then(
    ({ serveParent }) => {
      serve = serveParent(parentPort, log)
      const queued = early ?? []
      early = null
      for (const message of queued) serve(message)
    },
    (error: unknown) => {
      log(`process-entry: the core could not load: ${String(error)}`)
      parentPort.postMessage({ type: 'error', message: String(error) })
    },
  )
})
