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
import path from 'node:path'
import { enableCompileCache } from '../core/compile-cache'

const log = (line: string) => process.stderr.write(`[core] ${line}\n`)
const tracing = process.env.PORTE_VOIX_START_TRACE === '1'
/** A start step, timed from the process's start (performance.timeOrigin), for benchmarks. */
const trace = (step: string) => {
  if (tracing) {
    const now = performance.now()
    log(`start +${now.toFixed(0)} ms (at ${(performance.timeOrigin + now).toFixed(0)}): ${step}`)
  }
}

/**
 * The data directory named by the flags, found without loading the parser (zod comes after the
 * cache is on); run.ts parses and validates the flags themselves.
 */
function dataDirFlag(argv: readonly string[], env: NodeJS.ProcessEnv): string | null {
  const at = argv.lastIndexOf('--data-dir')
  const value = at >= 0 ? argv[at + 1] : env.PORTE_VOIX_CORE_DATA_DIR
  return value ? path.resolve(value) : null
}

// As in the app's utility process (core/process-entry.ts): Node's compile cache first, then the
// rest of the host and the core's start.
const dataDir = dataDirFlag(process.argv.slice(2), process.env)
if (dataDir) {
  // Benchmarks copy a fresh data dir per run, where the app's stays: one cache folder of theirs
  // (tests/bench/node-runtime.ts) makes each run the app's second start, not its first.
  const outcome = enableCompileCache(
    dataDir,
    undefined,
    process.env.PORTE_VOIX_COMPILE_CACHE_DIR || undefined,
  )
  // Node 20 has no cache: said in the start trace, not on every start's log.
  if (outcome.includes('not available')) trace(outcome)
  else log(outcome)
}
import('./run')
  .then(({ runHost }) => runHost(log, trace))
  .catch((error: unknown) => {
    log(`fatal: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`)
    process.exit(1)
  })
