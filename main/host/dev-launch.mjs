/**
 * `npm run dev-host`: the built dev host (out/main/host.js) under plain Node, started as the app
 * starts its core: the core's V8 flags and its environment (main/core/core-launch.json, which
 * runtime-flags.ts reads too: glibc malloc's settings are read at the process's start, so they
 * must be set by whoever spawns it; a variable already set in the shell wins, as in coreEnv).
 * Plain JavaScript, so no TypeScript loader runs beside the host (tsx's CLI, its loader's node and
 * esbuild's service held 138 MiB RSS beside a 66 MiB host; this launcher 44). Arguments pass
 * through; signals are forwarded and the host's exit code is this process's.
 * PORTE_VOIX_HOST_ENTRY names another build, as for the tests' hosts.
 */
import { spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'

const root = path.resolve(import.meta.dirname, '..', '..')
const launch = JSON.parse(readFileSync(path.join(root, 'main', 'core', 'core-launch.json'), 'utf8'))
const entry = process.env.PORTE_VOIX_HOST_ENTRY ?? path.join(root, 'out', 'main', 'host.js')
if (!existsSync(entry)) {
  console.error(`npm run dev-host: no built host at ${entry}: run \`npm run build\` first.`)
  process.exit(1)
}
const host = spawn(process.execPath, [...launch.execArgv, entry, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...launch.env, ...process.env },
})
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => host.kill(signal))
}
host.on('exit', (code, signal) => {
  process.exitCode = code ?? (signal ? 1 : 0)
})
