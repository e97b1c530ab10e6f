// Electron 45 no longer downloads its binary at install time and electron-vite 6 only reads
// node_modules/electron/path.txt, so `npm start` fetches the binary itself, once, with Electron's
// own installer (node_modules/electron/install.js), and finds it the way Electron's index.js does.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { firstErrorLine, looksOffline, StartError } from './start-error.mjs'

const PLATFORM_PATH = { darwin: 'Electron.app/Contents/MacOS/Electron', win32: 'electron.exe' }

/** Where Electron's own lookup finds the executable, or null when it has not been downloaded. */
export function electronExecutable(root, env = process.env) {
  const moduleDir = join(root, 'node_modules', 'electron')
  const pathFile = join(moduleDir, 'path.txt')
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : null
  const candidate = env.ELECTRON_OVERRIDE_DIST_PATH
    ? join(
        env.ELECTRON_OVERRIDE_DIST_PATH,
        relative ?? PLATFORM_PATH[process.platform] ?? 'electron',
      )
    : relative
      ? join(moduleDir, 'dist', relative)
      : null
  return candidate && existsSync(candidate) ? candidate : null
}

export function electronVersion(root) {
  return JSON.parse(readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8')).version
}

/** Electron's downloader (@electron/get) declares Node >= 22.12. */
export function nodeCanDownloadElectron(version = process.versions.node) {
  const [major, minor] = version.split('.').map(Number)
  return major > 22 || (major === 22 && minor >= 12)
}

/** The executable, downloading it first when missing. Throws a StartError with one clear line. */
export function ensureElectron(root, env = process.env) {
  const found = electronExecutable(root, env)
  if (found) return found
  const version = electronVersion(root)
  const oldNode = !nodeCanDownloadElectron()
  console.log(`Downloading Electron ${version} (once)…`)
  const result = spawnSync(process.execPath, [join(root, 'node_modules/electron/install.js')], {
    cwd: root,
    env,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  })
  const output = `${result.stderr ?? ''}${result.error ? String(result.error) : ''}`
  const executable = result.status === 0 ? electronExecutable(root, env) : null
  if (executable) return executable
  const reason = firstErrorLine(output)
  const node = oldNode
    ? ` Electron's downloader needs Node 22.12+ (this is Node ${process.versions.node}).`
    : ''
  const offline = looksOffline(output)
  const advice = offline
    ? 'connect to the network (or set ELECTRON_MIRROR) and run `npm start` again'
    : 'run `npx install-electron` to see the full error'
  throw new StartError(
    `could not download Electron ${version} (${offline ? 'no network? ' : ''}${reason}): ${advice}.${node}`,
  )
}
