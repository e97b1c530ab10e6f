import { execFile } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import Redis from 'ioredis'
import pg from 'pg'
import type { Role } from '../../common/model/member'
import { type AdminTarget, createWorkspace, invite } from '../../sync-server/admin/admin'
import { type Exit, removeTempDir, spawnUntilListening, tempDir } from './process'
import { startPostgres, startRedis, TEST_REDIS_DATABASES } from './servers'

/**
 * Start a real relay as a child process (not detached), for integration tests.
 *
 *   const relay = await startRelay()
 *   const ws = await relay.createWorkspace('Acme')
 *   const link = await relay.invite({ workspaceId: ws, name: 'Alice', role: 'champion' })
 *   …
 *   await relay.stop()
 *
 * Restart on the same data (same secret, same port): `startRelay({ dataDir: r.dataDir, port: r.port })`.
 */
export type RelayProcess = {
  /** ws://127.0.0.1:PORT — the y-websocket serverUrl. */
  url: string
  /** http://127.0.0.1:PORT — for /health. */
  httpUrl: string
  port: number
  dataDir: string
  /** Where admin functions find this relay's members: its data dir, or its PostgreSQL. */
  adminTarget: AdminTarget
  /** The HS256 secret the relay signs and verifies tokens with. */
  secret: string
  pid: number
  createWorkspace(name: string): Promise<string>
  invite(o: InviteOptions): Promise<string>
  /** Like invite, but returns the bare token and member id. */
  issueToken(o: InviteOptions): Promise<{ token: string; memberId: string }>
  /** SIGTERM (graceful), resolves when the process has exited. */
  stop(): Promise<void>
  /** SIGKILL, resolves when the process has exited. */
  kill(): Promise<void>
  /** Run `npm run relay:admin -- …args` as its own process on this relay's data dir. */
  admin(args: string[]): Promise<CliResult>
  /** Everything the relay printed so far (stdout + stderr). */
  logs(): string
  /** Resolves when the relay has exited (by any means); `null` code means killed by a signal. */
  exited: Promise<Exit>
}

export type InviteOptions = {
  workspaceId: string
  name: string
  role: Role
  memberId?: string
  /** Defaults to 30 days. */
  ttlSeconds?: number
}

export type StartRelayOptions = {
  dataDir?: string
  port?: number
  env?: Record<string, string>
  /** Extra command-line flags, e.g. ['--idle-unload-ms', '200']. */
  args?: string[]
  /** How long to wait for the "listening on" line. */
  startTimeoutMs?: number
}

const ROOT = resolve(import.meta.dirname, '..', '..')

export type CliResult = { code: number; stdout: string; stderr: string }

/**
 * Run one of the relay's entry points (`sync-server/main.ts`, `sync-server/admin/cli.ts`) as a
 * separate process to its end, as an operator would from a shell.
 */
export function runRelayCli(
  entry: 'main' | 'admin',
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<CliResult> {
  const file =
    entry === 'main'
      ? join(ROOT, 'sync-server', 'main.ts')
      : join(ROOT, 'sync-server', 'admin', 'cli.ts')
  return new Promise((done) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', file, ...args],
      { cwd: ROOT, env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0
        done({ code, stdout, stderr })
      },
    )
  })
}

const LISTENING = /porte-voix relay listening on ws:\/\/([^\s:]+):(\d+)/

export async function startRelay(opts: StartRelayOptions = {}): Promise<RelayProcess> {
  // Restarting on a fixed port: for a moment another socket (a client's ephemeral port, or a
  // lingering one) may hold it. Retry a while rather than fail the test on that.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startRelayOnce(opts)
    } catch (error) {
      const busy = /EADDRINUSE/.test((error as Error).message)
      if (!busy || !opts.port || attempt >= 40) throw error
      await new Promise((r) => setTimeout(r, 250))
    }
  }
}

/** The storage a test relay on a data dir uses (see relayBackend). */
export type RelayBackend =
  | { kind: 'sqlite' }
  | { kind: 'cluster'; redisUrl: string; postgresUrl: string }

/** True when test relays run on Redis + PostgreSQL (PORTE_VOIX_TEST_RELAY_BACKEND=cluster). */
export function onClusterBackend(): boolean {
  return process.env.PORTE_VOIX_TEST_RELAY_BACKEND === 'cluster'
}

/**
 * The run's one redis-server and PostgreSQL (started by tests/global-setup.ts, URLs in the
 * environment); a worker started without them (another config) starts its own, gone with it.
 */
let sharedServers: Promise<{ redis: string; postgres: string }> | null = null
function clusterServers(): Promise<{ redis: string; postgres: string }> {
  sharedServers ??= (async () => {
    const redis = process.env.PORTE_VOIX_TEST_REDIS_URL
    const postgres = process.env.PORTE_VOIX_TEST_POSTGRES_URL
    if (redis && postgres) return { redis, postgres }
    const [r, p] = await Promise.all([
      startRedis({ databases: TEST_REDIS_DATABASES }),
      startPostgres({ maxConnections: 200 }),
    ])
    return { redis: r.url, postgres: p.url }
  })()
  return sharedServers
}

/**
 * Each data dir gets storage of its own on the shared servers: a numbered Redis database and a
 * PostgreSQL schema (the relay's connections get it as their search_path), so that relays of
 * parallel tests never see each other's rooms, and a relay restarted on the same data dir finds
 * its documents again. The number comes from a counter in Redis database 0, shared by workers.
 */
const backends = new Map<string, Promise<RelayBackend>>()
export function relayBackend(dataDir: string): Promise<RelayBackend> {
  if (!onClusterBackend()) return Promise.resolve({ kind: 'sqlite' })
  let backend = backends.get(dataDir)
  if (!backend) {
    backend = allocateClusterStorage()
    backends.set(dataDir, backend)
  }
  return backend
}

async function allocateClusterStorage(): Promise<RelayBackend> {
  const { redis, postgres } = await clusterServers()
  const counter = new Redis(redis, { lazyConnect: true, maxRetriesPerRequest: 1 })
  let n: number
  try {
    await counter.connect()
    n = await counter.incr('porte-voix-test:next-relay')
  } finally {
    counter.disconnect()
  }
  if (n >= TEST_REDIS_DATABASES)
    throw new Error(
      `more than ${TEST_REDIS_DATABASES - 1} test relays on one Redis: raise TEST_REDIS_DATABASES`,
    )
  const schema = `relay_${n}`
  const client = new pg.Client({ connectionString: postgres })
  await client.connect()
  try {
    await client.query(`CREATE SCHEMA ${schema}`)
  } finally {
    await client.end()
  }
  return {
    kind: 'cluster',
    redisUrl: `${redis}/${n}`,
    postgresUrl: `${postgres}?options=${encodeURIComponent(`-c search_path=${schema}`)}`,
  }
}

/** Where the admin functions find `dataDir`'s relational tables (SQLite file, or its PostgreSQL schema). */
export async function adminTargetFor(
  dataDir: string,
): Promise<{ dataDir: string; postgresUrl?: string }> {
  const backend = await relayBackend(dataDir)
  return backend.kind === 'sqlite' ? { dataDir } : { dataDir, postgresUrl: backend.postgresUrl }
}

/** The relay flags that put `dataDir`'s relay on its backend (none for SQLite, or when set). */
async function backendArgs(dataDir: string, args: string[]): Promise<string[]> {
  if (args.includes('--redis-url')) return []
  const backend = await relayBackend(dataDir)
  if (backend.kind === 'sqlite') return []
  return ['--redis-url', backend.redisUrl, '--postgres-url', backend.postgresUrl]
}

async function startRelayOnce(opts: StartRelayOptions): Promise<RelayProcess> {
  const dataDir = opts.dataDir ?? tempDir('porte-voix-relay-')
  const backend = await backendArgs(dataDir, opts.args ?? [])
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env }
  // A secret leaking in from the developer's shell would make restarts with a different env fail.
  if (!opts.env?.PORTE_VOIX_RELAY_SECRET) delete env.PORTE_VOIX_RELAY_SECRET
  const args = [
    '--import',
    'tsx',
    join(ROOT, 'sync-server', 'main.ts'),
    '--host',
    '127.0.0.1',
    '--port',
    String(opts.port ?? 0),
    '--data-dir',
    dataDir,
    // Tests open many sockets with one member's token; the cap has its own test (admin.test.ts).
    // A test's own --max-connections-per-member comes later and wins.
    '--max-connections-per-member',
    '1000',
    ...backend,
    ...(opts.args ?? []),
  ]
  const started = await spawnUntilListening({
    name: 'relay',
    args,
    cwd: ROOT,
    env,
    listening: LISTENING,
    timeoutMs: opts.startTimeoutMs ?? 30_000,
  })
  const port = Number(started.match[2])
  const secret =
    opts.env?.PORTE_VOIX_RELAY_SECRET ?? readFileSync(join(dataDir, 'secret'), 'utf8').trim()
  const url = `ws://127.0.0.1:${port}`
  const adminEnv = { ...env, PORTE_VOIX_RELAY_SECRET: secret }
  // With --postgres-url the relay's members and workspaces are in PostgreSQL, not the data dir.
  const allArgs = [...backend, ...(opts.args ?? [])]
  const pgAt = allArgs.lastIndexOf('--postgres-url')
  const postgresUrl = pgAt >= 0 ? allArgs[pgAt + 1] : undefined
  const target = { dataDir, postgresUrl }
  const adminArgs = postgresUrl === undefined ? [] : ['--postgres-url', postgresUrl]

  // Registers the member and signs a token for them, as the admin CLI's invite does.
  const issue = (o: InviteOptions) =>
    invite(
      target,
      {
        workspaceId: o.workspaceId,
        name: o.name,
        role: o.role,
        memberId: o.memberId,
        ttlSeconds: o.ttlSeconds ?? 30 * 86_400,
        relayUrl: url,
      },
      adminEnv,
    )

  return {
    url,
    httpUrl: `http://127.0.0.1:${port}`,
    port,
    dataDir,
    secret,
    pid: started.pid,
    createWorkspace: async (name) => (await createWorkspace(target, { name })).id,
    invite: async (o) => (await issue(o)).link,
    issueToken: async (o) => {
      const { token, memberId } = await issue(o)
      return { token, memberId }
    },
    adminTarget: target,
    admin: (args) => runRelayCli('admin', [...args, '--data-dir', dataDir, ...adminArgs], adminEnv),
    stop: () => started.signal('SIGTERM'),
    kill: () => started.signal('SIGKILL'),
    logs: started.logs,
    exited: started.exited,
  }
}

/** Stops a test's relay and removes its data folder; nothing to do when it never started. */
export async function stopRelay(relay: RelayProcess | undefined): Promise<void> {
  if (!relay) return
  await relay.stop()
  removeTempDir(relay.dataDir)
}

/** A relay with one workspace (Acme) and two members' tokens, for tests about roles. */
export type RelayTeam = {
  relay: RelayProcess
  ws: string
  /** Chloé, champion. */
  championToken: string
  /** Émile, employee. */
  employeeToken: string
}

export async function startRelayTeam(opts: StartRelayOptions = {}): Promise<RelayTeam> {
  const relay = await startRelay(opts)
  const ws = await relay.createWorkspace('Acme')
  const champion = await relay.issueToken({ workspaceId: ws, name: 'Chloé', role: 'champion' })
  const employee = await relay.issueToken({ workspaceId: ws, name: 'Émile', role: 'employee' })
  return { relay, ws, championToken: champion.token, employeeToken: employee.token }
}
