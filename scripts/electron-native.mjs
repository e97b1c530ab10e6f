// Builds better-sqlite3 for Electron's ABI into .electron-native/, leaving node_modules built for
// Node so that `npm test` keeps working. The core picks it up through PORTE_VOIX_SQLITE_BINDING.
import { execFileSync } from 'node:child_process'
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs'
import { join } from 'node:path'

const root = join(import.meta.dirname, '..')
const electronVersion = JSON.parse(
  readFileSync(join(root, 'node_modules/electron/package.json'), 'utf8'),
).version
const target = join(root, '.electron-native', `better-sqlite3-electron-${electronVersion}`)
const binding = join(target, 'build/Release/better_sqlite3.node')

if (existsSync(binding)) process.exit(0)
rmSync(target, { recursive: true, force: true })
cpSync(join(root, 'node_modules/better-sqlite3'), target, { recursive: true })
rmSync(join(target, 'build'), { recursive: true, force: true })
console.log(`Building better-sqlite3 for Electron ${electronVersion}…`)
execFileSync(
  process.execPath,
  [
    join(root, 'node_modules/node-gyp/bin/node-gyp.js'),
    'rebuild',
    '--release',
    `--target=${electronVersion}`,
    '--dist-url=https://electronjs.org/headers',
  ],
  { cwd: target, stdio: 'inherit' },
)
