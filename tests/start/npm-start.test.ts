import { spawn, spawnSync } from 'node:child_process'
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/**
 * `npm start` on a fresh clone of HEAD: the whole chain (Electron binary, native SQLite module,
 * build, launch) against a stub Electron that records how it was launched, and the one-line
 * failures when Electron or its headers cannot be downloaded. node_modules is linked entry by
 * entry from this checkout (no npm ci); node_modules/electron is copied without its binary so
 * that the clone's own lookup (path.txt, dist/) is what is tested.
 */

const ROOT = resolve(import.meta.dirname, '..', '..')
const ELECTRON_VERSION = JSON.parse(
  readFileSync(join(ROOT, 'node_modules/electron/package.json'), 'utf8'),
).version as string

let work: string
let clone: string
let unreachable: string

/** An address nothing listens on: a port just released by a listener on loopback. */
async function closedPortUrl(): Promise<string> {
  const server = createServer()
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const address = server.address()
  await new Promise<void>((done) => server.close(() => done()))
  if (address === null || typeof address === 'string') throw new Error('no port')
  return `http://127.0.0.1:${address.port}/`
}

function freshClone(into: string): string {
  const dir = join(into, 'repo')
  const git = spawnSync('git', ['clone', '--quiet', ROOT, dir], { stdio: 'inherit' })
  if (git.status !== 0) throw new Error(`git clone failed (${git.status})`)
  const modules = join(dir, 'node_modules')
  mkdirSync(modules)
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    if (entry === 'electron') continue
    symlinkSync(join(ROOT, 'node_modules', entry), join(modules, entry))
  }
  cpSync(join(ROOT, 'node_modules/electron'), join(modules, 'electron'), {
    recursive: true,
    filter: (source) => !/[\\/]electron[\\/](dist|path\.txt)$/.test(source),
  })
  return dir
}

type Run = { code: number | null; stdout: string; stderr: string }

function npmStart(env: NodeJS.ProcessEnv): Promise<Run> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['start'], {
      cwd: clone,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group, so that a run that hangs is stopped with everything it started.
      detached: true,
    })
    const timer = setTimeout(() => {
      if (child.pid) process.kill(-child.pid, 'SIGKILL')
    }, 100_000)
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8')
    })
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8')
    })
    child.once('error', fail)
    child.once('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    })
  })
}

/** A stub Electron in its own dist folder, found through ELECTRON_OVERRIDE_DIST_PATH. */
function stubElectron(dir: string, record: string): string {
  mkdirSync(dir, { recursive: true })
  const script = join(dir, process.platform === 'win32' ? 'electron.exe' : 'electron')
  writeFileSync(
    script,
    `#!${process.execPath}
require('node:fs').writeFileSync(${JSON.stringify(record)}, JSON.stringify({ argv: process.argv.slice(2), cwd: process.cwd() }))
`,
  )
  chmodSync(script, 0o755)
  return dir
}

/** Caches Electron's tools read (downloads, headers) pointed at an empty folder. */
function emptyCaches(name: string): NodeJS.ProcessEnv {
  const cache = join(work, name)
  mkdirSync(cache, { recursive: true })
  return { XDG_CACHE_HOME: cache, electron_config_cache: join(cache, 'electron') }
}

function stderrLines(run: Run): string[] {
  return run.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0)
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'porte-voix-start-'))
  clone = freshClone(work)
  unreachable = await closedPortUrl()
})

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true })
})

describe('npm start', { timeout: 120_000 }, () => {
  it('without the Electron binary and without a network, stops with one clear line', async () => {
    const run = await npmStart({ ...emptyCaches('cache-a'), ELECTRON_MIRROR: unreachable })
    expect(run.code).not.toBe(0)
    const lines = stderrLines(run)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(
      new RegExp(
        `^npm start: could not download Electron ${ELECTRON_VERSION.replace(/\./g, '\\.')} `,
      ),
    )
    expect(lines[0]).toContain('run `npm start` again')
    expect(run.stderr).not.toMatch(/^\s+at /m)
    // Nothing was built or launched.
    expect(existsSync(join(clone, 'out'))).toBe(false)
  })

  it('without Electron headers reachable, the native rebuild stops with one clear line', async () => {
    const record = join(work, 'launch-b.json')
    const dist = stubElectron(join(work, 'stub-b'), record)
    const run = await npmStart({
      ...emptyCaches('cache-b'),
      ELECTRON_OVERRIDE_DIST_PATH: dist,
      ELECTRON_HEADERS_MIRROR: unreachable,
    })
    expect(run.code).not.toBe(0)
    const lines = stderrLines(run)
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatch(/^npm start: could not download Electron .*'s headers from /)
    expect(lines[0]).toContain('SQLite module')
    expect(run.stderr).not.toMatch(/^\s+at /m)
    expect(existsSync(record)).toBe(false)
    // Nothing half-built is left to be mistaken for a finished build next time.
    expect(
      existsSync(join(clone, '.electron-native', `better-sqlite3-electron-${ELECTRON_VERSION}`)),
    ).toBe(false)
  })

  it('with Electron present, builds and launches it on the built app', async () => {
    const record = join(work, 'launch-c.json')
    const dist = stubElectron(join(work, 'stub-c'), record)
    // The SQLite module for Electron's ABI is built once per Electron version; compiling SQLite
    // here would take minutes, so this run starts after that once: it must be reused, not rebuilt.
    const binding = join(
      clone,
      '.electron-native',
      `better-sqlite3-electron-${ELECTRON_VERSION}`,
      'build/Release/better_sqlite3.node',
    )
    mkdirSync(join(binding, '..'), { recursive: true })
    writeFileSync(binding, 'built once before')
    const run = await npmStart({ ...emptyCaches('cache-c'), ELECTRON_OVERRIDE_DIST_PATH: dist })
    expect(run.code, run.stderr).toBe(0)
    expect(readFileSync(binding, 'utf8')).toBe('built once before')
    const launched = JSON.parse(readFileSync(record, 'utf8')) as { argv: string[]; cwd: string }
    // Electron is given the app folder; it runs package.json's "main", the freshly built entry.
    expect(launched.argv[0]).toBe(clone)
    const main = JSON.parse(readFileSync(join(clone, 'package.json'), 'utf8')).main as string
    expect(main).toBe('out/main/index.js')
    expect(readFileSync(join(clone, main), 'utf8').length).toBeGreaterThan(0)
    expect(existsSync(join(clone, 'out/main/core.js'))).toBe(true)
    expect(existsSync(join(clone, 'out/renderer/index.html'))).toBe(true)
  })
})
