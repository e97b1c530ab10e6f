/**
 * `npm run dev-host`: the built dev host (out/main/host.js) under plain Node, started as the app
 * starts its core: the core's V8 flags (CORE_EXEC_ARGV) and its environment (coreEnv: glibc
 * malloc's settings, read at the process's start, so they must be set by whoever spawns it; a
 * variable already set in the shell wins). Arguments pass through; signals are forwarded and the
 * host's exit code is this process's.
 */
import { spawn } from 'node:child_process'
import path from 'node:path'
import { CORE_EXEC_ARGV, coreEnv } from '../core/runtime-flags'

const entry = path.resolve(import.meta.dirname, '..', '..', 'out', 'main', 'host.js')
const host = spawn(process.execPath, [...CORE_EXEC_ARGV, entry, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: coreEnv(process.env),
})
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => host.kill(signal))
}
host.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0)
})
