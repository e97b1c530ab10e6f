import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { chmodSync, chownSync, existsSync, readdirSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeTempDir, tempDir } from './process'

/**
 * Real `redis-server` and PostgreSQL for tests, as child processes on a temp dir and a free
 * port, stopped by pid; `stop()` removes the folder, `restart()` keeps it (same port, same data).
 *
 *   const redis = await startRedis()
 *   const pg = await startPostgres()
 *   …
 *   await Promise.all([redis.stop(), pg.stop()])
 */
export type TestServer = {
  /** redis://127.0.0.1:PORT or postgres://porte@127.0.0.1:PORT/postgres */
  url: string
  port: number
  /** Pid of the running server (changes on restart). */
  readonly pid: number
  /** Stop it (clean shutdown) and remove its folder. */
  stop(): Promise<void>
  /** Stop it cleanly (or kill it with `{ kill: true }`), then start it again on the same data. */
  restart(o?: { kill?: boolean; whileDown?: () => Promise<void> }): Promise<void>
  /** Stop only (the data stays), for tests that check what happens while it is down. */
  down(o?: { kill?: boolean }): Promise<void>
  /** Start again after `down()`. */
  up(): Promise<void>
  logs(): string
}

/** Numbered Redis databases of a server many test relays share (one each, helpers/relay.ts). */
export const TEST_REDIS_DATABASES = 4096

const running = new Set<ChildProcess>()
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL')
})

/**
 * A test worker killed outright (no 'exit' handlers) would leave the server running: a small
 * watchdog kills it once this process is gone, and ends by itself once the server is gone.
 */
function watchParent(pid: number): void {
  const script = `while kill -0 ${process.pid} 2>/dev/null && kill -0 ${pid} 2>/dev/null; do sleep 1; done; kill -0 ${process.pid} 2>/dev/null || kill -9 ${pid} 2>/dev/null`
  spawn('sh', ['-c', script], { stdio: 'ignore', detached: true }).unref()
}

/** A port nobody listens on right now (the server binds it a moment later). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() => resolve(port))
    })
  })
}

type Spawned = { child: ChildProcess; output: () => string; exited: Promise<void> }

function spawnReady(
  name: string,
  command: string,
  args: string[],
  ready: RegExp,
  ids: { uid?: number; gid?: number },
  timeoutMs = 30_000,
): Promise<Spawned> {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...ids })
  running.add(child)
  if (child.pid) watchParent(child.pid)
  let output = ''
  const exited = new Promise<void>((done) =>
    child.once('exit', () => {
      running.delete(child)
      done()
    }),
  )
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`))
    }, timeoutMs)
    const onData = (chunk: Buffer) => {
      output += chunk.toString('utf8')
      if (ready.test(output)) {
        clearTimeout(timer)
        resolve({ child, output: () => output, exited })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', onData)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`${name} exited before it was ready:\n${output}`))
    })
  })
}

async function signal(spawned: Spawned, sig: NodeJS.Signals): Promise<void> {
  const { child } = spawned
  if (child.exitCode === null && child.signalCode === null) child.kill(sig)
  await spawned.exited
}

/** Start `launch` until it is ready, retrying a few times when its port was taken meanwhile. */
async function withPort(
  launch: (port: number) => Promise<Spawned>,
): Promise<{ port: number; spawned: Spawned }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    try {
      return { port, spawned: await launch(port) }
    } catch (error) {
      if (attempt >= 5 || !/address already in use|Address in use/i.test(String(error))) throw error
    }
  }
}

function server(o: {
  url: (port: number) => string
  dir: string
  port: number
  spawned: Spawned
  launch: (port: number) => Promise<Spawned>
  stopSignal: NodeJS.Signals
}): TestServer {
  let current: Spawned | null = o.spawned
  let previousLogs = ''
  const down = async ({ kill = false } = {}) => {
    if (!current) return
    await signal(current, kill ? 'SIGKILL' : o.stopSignal)
    previousLogs += current.output()
    current = null
  }
  const up = async () => {
    if (current) return
    // The old process's port may linger a moment after it exited.
    for (let attempt = 1; ; attempt++) {
      try {
        current = await o.launch(o.port)
        return
      } catch (error) {
        if (attempt >= 40 || !/address already in use|Address in use/i.test(String(error)))
          throw error
        await new Promise((r) => setTimeout(r, 250))
      }
    }
  }
  return {
    url: o.url(o.port),
    port: o.port,
    get pid() {
      return current?.child.pid ?? -1
    },
    stop: async () => {
      await down()
      removeTempDir(o.dir)
    },
    restart: async ({ kill = false, whileDown } = {}) => {
      await down({ kill })
      if (whileDown) await whileDown()
      await up()
    },
    down,
    up,
    logs: () => previousLogs + (current?.output() ?? ''),
  }
}

/**
 * redis-server with the append-only file fsynced on every write (`appendfsync always`), so an
 * acknowledged append survives a restart or a kill, as docs/scaling.md recommends. Benchmarks
 * may ask for `everysec` (SQLite's `synchronous=normal` guarantee: survives a kill, not a power cut).
 */
export async function startRedis(
  o: { databases?: number; appendfsync?: 'always' | 'everysec' } = {},
): Promise<TestServer> {
  const dir = tempDir('porte-voix-redis-')
  const launch = (port: number) =>
    spawnReady(
      'redis-server',
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        dir,
        '--appendonly',
        'yes',
        '--appendfsync',
        o.appendfsync ?? 'always',
        '--save',
        '',
        '--daemonize',
        'no',
        '--protected-mode',
        'yes',
        // One numbered database per test relay when many share this server (helpers/relay.ts).
        '--databases',
        String(o.databases ?? 16),
      ],
      /Ready to accept connections/,
      {},
    )
  const { port, spawned } = await withPort(launch)
  return server({
    url: (p) => `redis://127.0.0.1:${p}`,
    dir,
    port,
    spawned,
    launch,
    stopSignal: 'SIGTERM',
  })
}

function postgresBin(name: string): string {
  const root = '/usr/lib/postgresql'
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const version of versions) {
    const file = join(root, version, 'bin', name)
    if (existsSync(file)) return file
  }
  throw new Error(`PostgreSQL's ${name} not found under ${root}`)
}

/** PostgreSQL refuses to run as root: run it as the `postgres` system user then. */
function postgresIds(): { uid?: number; gid?: number } {
  if (process.getuid?.() !== 0) return {}
  const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim())
  const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim())
  return { uid, gid }
}

/**
 * A fresh PostgreSQL cluster (initdb on a temp dir, trust auth for user `porte` on 127.0.0.1),
 * with fsync on. Stopped with SIGINT (fast shutdown: clients are disconnected, not waited for).
 */
export async function startPostgres(o: { maxConnections?: number } = {}): Promise<TestServer> {
  const dir = tempDir('porte-voix-pg-')
  const ids = postgresIds()
  if (ids.uid !== undefined && ids.gid !== undefined) {
    chownSync(dir, ids.uid, ids.gid)
    // The test run's temp root is private to root: let the postgres user traverse (not list) it.
    const root = tmpdir()
    if (root !== '/tmp') chmodSync(root, 0o711)
  }
  const data = join(dir, 'data')
  execFileSync(
    postgresBin('initdb'),
    ['-D', data, '-U', 'porte', '--auth=trust', '-E', 'UTF8', '--no-sync', '--locale=C'],
    { stdio: 'pipe', ...ids },
  )
  const launch = (port: number) =>
    spawnReady(
      'postgres',
      postgresBin('postgres'),
      [
        '-D',
        data,
        '-p',
        String(port),
        '-k',
        dir,
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'fsync=on',
        '-c',
        `max_connections=${o.maxConnections ?? 50}`,
      ],
      /database system is ready to accept connections/,
      ids,
    )
  const { port, spawned } = await withPort(launch)
  return server({
    url: (p) => `postgres://porte@127.0.0.1:${p}/postgres`,
    dir,
    port,
    spawned,
    launch,
    stopSignal: 'SIGINT',
  })
}
