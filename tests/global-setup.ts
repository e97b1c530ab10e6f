import { spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { basename, join, resolve } from 'node:path'
import type { TestProject } from 'vitest/node'
import { startPostgres, startRedis, TEST_REDIS_DATABASES, type TestServer } from './helpers/servers'

/**
 * One temporary root per test run. Workers and every process they start inherit TMPDIR (TMP/TEMP
 * on Windows), so what a test puts in os.tmpdir() lands here and goes when the run ends. The run
 * then fails if it left `porte-voix-*` entries in the real temp directory (a path built without
 * os.tmpdir(), or a process that ignores TMPDIR), compared with what was there before: other runs
 * may be going on at the same time, so only new entries count, and other runs' roots are theirs.
 */
const RUN_PREFIX = 'porte-voix-run-'
const ROOT = resolve(import.meta.dirname, '..')

/**
 * Build the main process's bundle (the core and the dev host, tests/helpers/core.ts spawns it) from
 * the current sources into a folder of this run's own: the same bundler and config as the app's,
 * never a stale out/, never racing someone's `npm run build`. Inside the repo so that the bundle's
 * external packages resolve from node_modules.
 */
async function buildHost(runName: string): Promise<string> {
  const dir = join(ROOT, 'out', 'test-hosts', runName)
  // Asynchronous: the shared test servers start meanwhile (their readiness timers keep running).
  const child = spawn(
    process.execPath,
    [join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js'), 'build'],
    { cwd: ROOT, env: { ...process.env, PORTE_VOIX_HOST_BUILD_DIR: dir } },
  )
  let output = ''
  child.stdout.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  child.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8')
  })
  const code = await new Promise<number | null>((done, fail) => {
    child.once('error', fail)
    child.once('close', done)
  })
  if (code !== 0) throw new Error(`building the core host failed:\n${output}`)
  return join(dir, 'host.js')
}

/** The vitest project that runs tests/relay on Redis + PostgreSQL (vitest.config.ts). */
export const CLUSTER_PROJECT = 'relay-cluster'

/**
 * One redis-server and one PostgreSQL for the whole run, when relays will run on them (the
 * cluster project is selected, or PORTE_VOIX_TEST_RELAY_BACKEND=cluster): child processes of
 * this process, in the run root, their URLs handed to workers through the environment; each test
 * relay gets its own Redis database and PostgreSQL schema on them (helpers/relay.ts).
 */
async function startClusterServers(project: TestProject): Promise<TestServer[]> {
  const wanted =
    process.env.PORTE_VOIX_TEST_RELAY_BACKEND === 'cluster' ||
    project.vitest.projects.some((p) => p.name === CLUSTER_PROJECT)
  if (!wanted) return []
  const [redis, postgres] = await Promise.all([
    startRedis({ databases: TEST_REDIS_DATABASES }),
    // Two workers' relays (4 connections each, restarts overlapping) and the tests' own readers.
    startPostgres({ maxConnections: 200 }),
  ])
  process.env.PORTE_VOIX_TEST_REDIS_URL = redis.url
  process.env.PORTE_VOIX_TEST_POSTGRES_URL = postgres.url
  return [redis, postgres]
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const realTmp = tmpdir()
  // Vitest's own scratch folder (made before this setup, removed after its teardown).
  const vitestScratch = (project.vitest as unknown as { _tmpDir?: unknown })._tmpDir
  const vitestOwn = typeof vitestScratch === 'string' ? basename(vitestScratch) : null
  const before = new Set(readdirSync(realTmp))
  const root = mkdtempSync(join(realTmp, RUN_PREFIX))
  process.env.PORTE_VOIX_REAL_TMPDIR = realTmp
  for (const name of ['TMPDIR', 'TMP', 'TEMP']) process.env[name] = root
  const servers = startClusterServers(project)
  const [hostEntry, started] = await Promise.all([buildHost(basename(root)), servers]).catch(
    async (error: unknown) => {
      // A failed build must not leave the servers running: stopped by pid, their dirs removed.
      for (const server of await servers.catch(() => [])) await server.stop()
      throw error
    },
  )
  process.env.PORTE_VOIX_HOST_ENTRY = hostEntry

  return async () => {
    for (const server of started) await server.stop()
    rmSync(resolve(hostEntry, '..'), { recursive: true, force: true })
    // Restored so that anything after this teardown does not write into the deleted root.
    for (const name of ['TMPDIR', 'TMP', 'TEMP']) process.env[name] = realTmp
    const leftInRoot = readdirSync(root)
    rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 })
    if (leftInRoot.length > 0) {
      process.stderr.write(
        `temp dir: ${leftInRoot.length} entries in the run root when the tests ended (removed with it; helpers' folders go as workers exit, just after): ${summarise(leftInRoot)}\n`,
      )
    }
    const added = readdirSync(realTmp).filter(
      (name) => !before.has(name) && !name.startsWith(RUN_PREFIX) && name !== vitestOwn,
    )
    const ours = added.filter((name) => name.startsWith('porte-voix-'))
    const others = added.filter((name) => !name.startsWith('porte-voix-'))
    if (others.length > 0) {
      process.stderr.write(
        `temp dir: ${others.length} new entries in ${realTmp} during the run, not named porte-voix-* (another process's?): ${summarise(others)}\n`,
      )
    }
    if (ours.length > 0) {
      // Vitest reports an error thrown here but still exits 0: set the exit code ourselves.
      process.stderr.write(
        `FAIL temp dir: the test run left ${ours.length} porte-voix-* entries in ${realTmp} (outside the run root ${root}): ${summarise(ours)}\n`,
      )
      process.exitCode = 1
    }
  }
}

/** Counts by prefix (porte-voix-core-×12, …): the names themselves are random. */
function summarise(names: string[]): string {
  const counts = new Map<string, number>()
  for (const name of names) {
    const prefix = name.replace(/[-.][^-.]*$/, '')
    counts.set(prefix, (counts.get(prefix) ?? 0) + 1)
  }
  return [...counts].map(([prefix, count]) => `${prefix}×${count}`).join(', ')
}
