// `npm start`: fetch Electron's binary when missing (once), build the SQLite module for Electron's
// ABI (once), build the app, launch it. A failure ends with one line saying what failed and what to
// run, and a non-zero exit code, never a stack trace.
import { spawn, spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { ensureElectron } from './electron-binary.mjs'
import { ensureNativeSqlite } from './electron-native.mjs'
import { StartError } from './start-error.mjs'

const root = join(import.meta.dirname, '..')

function build() {
  const result = spawnSync(
    process.execPath,
    [join(root, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    { cwd: root, stdio: 'inherit' },
  )
  if (result.status !== 0) {
    throw new StartError('the build failed (see above): fix it, or run `npm run build` alone.')
  }
}

function launch(executable) {
  // The app directory: Electron reads package.json's "main" (out/main/index.js, just built).
  const child = spawn(executable, [root, ...process.argv.slice(2)], { cwd: root, stdio: 'inherit' })
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
    })
  }
  child.once('error', (error) => {
    console.error(`npm start: could not launch Electron at ${executable} (${error.message}).`)
    process.exit(1)
  })
  child.once('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
}

try {
  const executable = ensureElectron(root)
  ensureNativeSqlite(root)
  build()
  launch(executable)
} catch (error) {
  if (!(error instanceof StartError)) throw error
  console.error(`npm start: ${error.message}`)
  process.exit(1)
}
