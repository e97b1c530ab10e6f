// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving node_modules built for
// Node so that `npm test` keeps working. The core picks it up through PORTE_VOIX_SQLITE_BINDING.
// Done once per Electron version; needs Electron's headers (downloaded by node-gyp, cached in its
// devdir), so offline it stops with one line saying so.
//   node scripts/electron-native.mjs   (npm start runs it)
import { spawnSync } from 'node:child_process'
import { cpSync, existsSync, rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { electronVersion } from './electron-binary.mjs'
import { firstErrorLine, looksOffline, StartError } from './start-error.mjs'

const DEFAULT_HEADERS_URL = 'https://electronjs.org/headers'

export function nativeBindingPath(root, version = electronVersion(root)) {
  return join(
    root,
    '.electron-native',
    `better-sqlite3-electron-${version}`,
    'build/Release/better_sqlite3.node',
  )
}

/** Build the binding unless it is there. Throws a StartError with one clear line. */
export function ensureNativeSqlite(root, env = process.env, verbose = false) {
  const version = electronVersion(root)
  const binding = nativeBindingPath(root, version)
  if (existsSync(binding)) return binding
  const target = join(root, '.electron-native', `better-sqlite3-electron-${version}`)
  rmSync(target, { recursive: true, force: true })
  cpSync(join(root, 'node_modules/better-sqlite3'), target, { recursive: true, dereference: true })
  rmSync(join(target, 'build'), { recursive: true, force: true })
  // A mirror (or a test's unreachable address) through the same variable Electron's tools use.
  const headersUrl = env.ELECTRON_HEADERS_MIRROR || DEFAULT_HEADERS_URL
  // npm hands its own node-gyp settings to scripts (Debian's npm sets nodedir=/usr): they would
  // build against the system Node's headers instead of Electron's, an ABI the app cannot load.
  const gypEnv = Object.fromEntries(
    Object.entries(env).filter(
      ([key]) => !/^npm_config_(nodedir|target|disturl|dist_url|runtime)$/i.test(key),
    ),
  )
  console.log(`Building the SQLite module for Electron ${version} (once)…`)
  const result = spawnSync(
    process.execPath,
    [
      join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
      'rebuild',
      '--release',
      `--target=${version}`,
      `--dist-url=${headersUrl}`,
    ],
    {
      cwd: target,
      env: gypEnv,
      stdio: ['ignore', verbose ? 'inherit' : 'pipe', verbose ? 'inherit' : 'pipe'],
      encoding: 'utf8',
    },
  )
  if (result.status === 0 && existsSync(binding)) return binding
  // Leave nothing half-built behind: the next run starts over.
  rmSync(target, { recursive: true, force: true })
  const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? String(result.error) : ''}`
  if (looksOffline(output)) {
    throw new StartError(
      `could not download Electron ${version}'s headers from ${headersUrl} (no network?), needed once to build the SQLite module for Electron: connect to the network and run \`npm start\` again.`,
    )
  }
  throw new StartError(
    `building the SQLite module for Electron ${version} failed (${firstErrorLine(output)}): run \`node scripts/electron-native.mjs --verbose\` to see the compiler output.`,
  )
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = join(import.meta.dirname, '..')
  try {
    ensureNativeSqlite(root, process.env, process.argv.includes('--verbose'))
  } catch (error) {
    if (!(error instanceof StartError)) throw error
    console.error(`electron-native: ${error.message}`)
    process.exit(1)
  }
}
