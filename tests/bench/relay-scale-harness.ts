/**
 * Shared harness of the side-by-side relay benchmarks (tests/bench/relay-scale*.ts): the
 * Porte-voix relay (built JavaScript from the committed sources, as `npm run relay` runs it,
 * durability on) and the stock `@y/websocket-server` 0.1.1 (tests/bench/stock-server.ts), each
 * in its own process on loopback, with light protocol clients in this process. Server CPU and
 * memory come from /proc/<pid>/stat and /proc/<pid>/status.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { appendFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import * as decoding from 'lib0/decoding'
import * as encoding from 'lib0/encoding'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { createWorkspace, invite } from '../../sync-server/admin/admin'

const ROOT = resolve(import.meta.dirname, '..', '..')
const MESSAGE_SYNC = 0
const SYNC_STEP1 = 0
const SYNC_STEP2 = 1
const SYNC_UPDATE = 2

export function syncFrame(type: number, payload: Uint8Array): Uint8Array {
  const e = encoding.createEncoder()
  encoding.writeVarUint(e, MESSAGE_SYNC)
  encoding.writeVarUint(e, type)
  encoding.writeVarUint8Array(e, payload)
  return encoding.toUint8Array(e)
}

/** utime + stime of a process, ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

/**
 * Each live thread of a process: its name ('main' for the main thread; threads may share a name)
 * and the path of its /proc folder. A thread that ends meanwhile is skipped by `read` throwing.
 */
export function eachThread(pid: number, read: (name: string, dir: string, stat: string) => void) {
  let tasks: string[]
  try {
    tasks = readdirSync(`/proc/${pid}/task`)
  } catch {
    return
  }
  for (const tid of tasks) {
    const dir = `/proc/${pid}/task/${tid}`
    try {
      const stat = readFileSync(`${dir}/stat`, 'utf8')
      const name =
        tid === String(pid) ? 'main' : stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      read(name, dir, stat)
    } catch {
      // the thread ended meanwhile
    }
  }
}

/**
 * Per thread of a process (by name, threads of one name summed): user and system CPU, ms. Where
 * a server's CPU goes beside its main thread (libuv's pool, V8's GC helpers, a worker).
 */
export function threadCpuMs(pid: number): Map<string, { user: number; sys: number }> {
  const out = new Map<string, { user: number; sys: number }>()
  eachThread(pid, (name, _dir, stat) => {
    const fields = stat.slice(stat.lastIndexOf(') ') + 2).split(' ')
    const row = out.get(name) ?? { user: 0, sys: 0 }
    row.user += (Number(fields[11]) * 1000) / 100
    row.sys += (Number(fields[12]) * 1000) / 100
    out.set(name, row)
  })
  return out
}

/** The load averages over 1, 5 and 15 minutes, as /proc gives them: quoted with every figure. */
export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')
}

/** Resident set size of a process, KiB. */
export function rssKiB(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))
  return Number(line?.replace(/\D+/g, '') ?? Number.NaN)
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}

export type Server = {
  name: 'porte-voix' | 'stock'
  pid: number
  /** A URL for one connection to `room` as a fresh member (our relay issues a token). */
  url(room: string, member?: number, role?: 'champion' | 'employee'): Promise<string>
  stop(): Promise<void>
}

/**
 * BENCH_SERVER_LOG=<prefix>: each server's output after it listens goes to `<prefix>.<pid>.log`,
 * every line prefixed with the bench's Date.now() on arrival — e.g. with `--trace-gc` in
 * RELAY_NODE_ARGS and STOCK_NODE_ARGS, the collections within a scenario's window (busyRooms
 * returns it) can be counted for both servers (issue 11.3, session 8).
 */
function keepLog(child: ChildProcess): void {
  const prefix = process.env.BENCH_SERVER_LOG
  if (!prefix) return
  const file = `${prefix}.${child.pid}.log`
  let rest = ''
  const write = (chunk: Buffer) => {
    const lines = (rest + chunk.toString('utf8')).split('\n')
    rest = lines.pop() ?? ''
    const now = Date.now()
    if (lines.length > 0) appendFileSync(file, lines.map((l) => `${now} ${l}\n`).join(''))
  }
  child.stdout?.on('data', write)
  child.stderr?.on('data', write)
}

function spawnListening(
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((done, fail) => {
    // Both servers can be told to collect garbage (SIGUSR2, see gcAndWait).
    const gcHook = ['--expose-gc', '--require', join(ROOT, 'tests', 'bench', 'gc-on-signal.cjs')]
    const child = spawn(process.execPath, [...gcHook, ...args], {
      cwd: ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const m = /listening on ws:\/\/[^\s:]+:(\d+)/.exec(out)
      if (m) {
        child.stdout?.off('data', onData)
        // Keep draining output so the child never blocks on a full pipe.
        child.stdout?.resume()
        keepLog(child)
        children.set(child.pid as number, child)
        done({ child, port: Number(m[1]) })
      }
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      if (out.length < 4000) out += chunk.toString('utf8')
    })
    child.once('exit', (code) =>
      fail(new Error(`server exited (${code}) before listening: ${out}`)),
    )
  })
}

/** A full GC in the server (SIGUSR2 → gc-on-signal.cjs), resolved once it answered. */
export function gcAndWait(server: Server): Promise<void> {
  const child = children.get(server.pid)
  if (!child?.stderr) return Promise.resolve()
  const stderr = child.stderr
  return new Promise((done) => {
    const onData = (chunk: Buffer) => {
      if (!chunk.toString('utf8').includes('gc done')) return
      stderr.off('data', onData)
      done()
    }
    stderr.on('data', onData)
    child.kill('SIGUSR2')
  })
}
const children = new Map<number, ChildProcess>()

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((done) => {
    child.once('exit', () => done())
    child.kill('SIGTERM')
  })
}

/** Built relays by ref (relay-scale-ab.ts can compare two commits in one run). */
const builtDirs = new Map<string, string>()
/**
 * The commit whose relay is measured (BENCH_REF=<commit>, or `tree`; default the last commit); RELAY_ARGS
 * adds flags to it (e.g. `--reader-fanout-ms 500`).
 */
const REF = process.env.BENCH_REF ?? 'HEAD'
/**
 * Bundle the relay from the last commit (not the working tree, which other people may be
 * editing), or from `ref`, with package.json's build:relay flags, into out/ (so node_modules
 * resolve).
 */
export function buildRelay(ref: string = REF): string {
  const built = builtDirs.get(ref)
  if (built) return built
  mkdirSync(join(ROOT, 'out', 'test-hosts'), { recursive: true })
  const dir = mkdtempSync(join(ROOT, 'out', 'test-hosts', 'bench-relay-'))
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }))
  // BENCH_REF=tree: the working tree as it is (one's own uncommitted change, measured before
  // committing it; others' edits in progress come along too).
  const copy =
    ref === 'tree'
      ? `tar -c sync-server common | tar -x -C ${dir}`
      : `git archive ${ref} sync-server common | tar -x -C ${dir}`
  execFileSync('sh', ['-c', copy], { cwd: ROOT })
  const script =
    (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>
    )['build:relay'] ?? ''
  const args = script
    .split(/\s+/)
    .slice(1)
    .map((a) => (a.startsWith('--outdir=') ? `--outdir=${join(dir, 'out')}` : a))
  execFileSync(join(ROOT, 'node_modules', '.bin', 'esbuild'), args, { cwd: dir })
  builtDirs.set(ref, dir)
  return dir
}

/**
 * `ref`: the commit (or `tree`) to build the relay from; default BENCH_REF. `nodeArgs`: Node's
 * own flags for this server, after RELAY_NODE_ARGS (e.g. `--max-semi-space-size=32`).
 */
export async function startPorteVoix(
  extraArgs: string[] = [],
  ref: string = REF,
  nodeArgs: string[] = [],
): Promise<Server> {
  const dir = buildRelay(ref)
  const dataDir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-'))
  const secret = 'bench-secret-bench-secret-bench-secret-0123'
  const env = { ...process.env, PORTE_VOIX_RELAY_SECRET: secret }
  const { child, port } = await spawnListening(
    [
      // e.g. RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (written when it stops).
      ...(process.env.RELAY_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ...nodeArgs,
      join(dir, 'out', 'main.js'),
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--max-connections-per-member',
      '1000',
      ...extraArgs,
    ],
    env,
  )
  // A room of the other server is one of our workspaces' queue: a workspace per room name.
  const workspaces = new Map<string, string>()
  const workspaceOf = async (room: string) => {
    let id = workspaces.get(room)
    if (!id) {
      id = (await createWorkspace(dataDir, { name: 'Bench' })).id
      workspaces.set(room, id)
    }
    return id
  }
  const tokens = new Map<string, string>()
  const base = `ws://127.0.0.1:${port}`
  return {
    name: 'porte-voix',
    pid: child.pid as number,
    async url(room, member = 0, role = 'champion') {
      const workspaceId = await workspaceOf(room)
      const key = `${workspaceId}-${role}-${member}`
      let token = tokens.get(key)
      if (!token) {
        token = (
          await invite(
            dataDir,
            {
              workspaceId,
              name: `${role[0]}${member}`,
              role,
              ttlSeconds: 86_400,
              relayUrl: base,
            },
            env,
          )
        ).token
        tokens.set(key, token)
      }
      return `${base}/${workspaceId}/queue?token=${encodeURIComponent(token)}`
    },
    async stop() {
      await stopChild(child)
      rmSync(dataDir, { recursive: true, force: true })
    },
  }
}

/** `nodeArgs`: Node's own flags for this server, after STOCK_NODE_ARGS. */
export async function startStock(nodeArgs: string[] = []): Promise<Server> {
  const { child, port } = await spawnListening(
    [
      // e.g. STOCK_NODE_ARGS="--cpu-prof --cpu-prof-dir=…", to profile both servers alike.
      ...(process.env.STOCK_NODE_ARGS ?? '').split(' ').filter(Boolean),
      ...nodeArgs,
      '--import',
      'tsx',
      join(ROOT, 'tests', 'bench', 'stock-server.ts'),
    ],
    process.env,
  )
  return {
    name: 'stock',
    pid: child.pid as number,
    async url(room) {
      return `ws://127.0.0.1:${port}/${room}`
    },
    stop: () => stopChild(child),
  }
}

/**
 * A light observer: sends sync step 1 with an empty state vector, counts the update frames it
 * receives (timestamped on arrival) and applies none of them, so that thousands fit in this
 * process.
 */
export class Observer {
  readonly ws: WebSocket
  updates = 0
  synced = false
  onUpdate: ((now: number, index: number) => void) | null = null
  readonly ready: Promise<void>

  constructor(url: string) {
    this.ws = new WebSocket(url, { perMessageDeflate: false })
    this.ready = new Promise((done, fail) => {
      this.ws.once('open', () => this.ws.send(syncFrame(SYNC_STEP1, new Uint8Array([0]))))
      this.ws.on('message', (data: Buffer) => {
        const now = performance.now()
        const d = decoding.createDecoder(new Uint8Array(data))
        if (decoding.readVarUint(d) !== MESSAGE_SYNC) return
        const type = decoding.readVarUint(d)
        // Servers hold a client's updates until its sync step 2 arrives: answer their step 1.
        if (type === SYNC_STEP1)
          this.ws.send(syncFrame(SYNC_STEP2, this.stateFor(decoding.readVarUint8Array(d))))
        else if (type === SYNC_STEP2 && !this.synced) {
          this.synced = true
          done()
        } else if (type === SYNC_UPDATE) {
          this.onUpdate?.(now, this.updates)
          this.updates++
        }
      })
      this.ws.once('error', fail)
      this.ws.once('close', (code) => fail(new Error(`closed ${code} before sync`)))
    })
  }

  /** The update a server's sync step 1 asks for: an observer holds nothing. */
  protected stateFor(_stateVector: Uint8Array): Uint8Array {
    return EMPTY_UPDATE
  }

  close(): void {
    this.ws.terminate()
  }
}

const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc())

/** A writer with its own Y.Doc; each `edit()` is one small update frame. */
export class Writer extends Observer {
  readonly doc = new Y.Doc()
  #n = 0
  constructor(url: string) {
    super(url)
    this.doc.on('update', (update: Uint8Array) => {
      if (this.ws.readyState === this.ws.OPEN) this.ws.send(syncFrame(SYNC_UPDATE, update))
    })
  }
  protected override stateFor(stateVector: Uint8Array): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc, stateVector)
  }
  edit(): void {
    this.doc.getArray<number>('bench').push([this.#n++])
  }
}

/** Open `count` observers `batch` at a time (a connection storm would measure the backlog). */
export async function openObservers(urls: string[], batch = 100): Promise<Observer[]> {
  const all: Observer[] = []
  for (let i = 0; i < urls.length; i += batch) {
    const group = urls.slice(i, i + batch).map((u) => new Observer(u))
    await Promise.all(group.map((o) => o.ready))
    all.push(...group)
  }
  return all
}

export async function until(
  what: string,
  check: () => boolean,
  timeoutMs = 120_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 5))
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** Run `run` against a fresh server of each kind per round, in alternating order. */
export async function interleaved<T>(
  rounds: number,
  run: (server: Server, round: number) => Promise<T>,
): Promise<{ ours: T[]; stock: T[] }> {
  const ours: T[] = []
  const stock: T[] = []
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? ['porte-voix', 'stock'] : ['stock', 'porte-voix']
    for (const name of order) {
      const server =
        name === 'stock'
          ? await startStock()
          : await startPorteVoix((process.env.RELAY_ARGS ?? '').split(' ').filter(Boolean))
      try {
        const result = await run(server, round)
        ;(name === 'stock' ? stock : ours).push(result)
      } finally {
        await server.stop()
      }
    }
  }
  return { ours, stock }
}

export const median = (values: number[]) => percentile(values, 50)

/**
 * The busy-rooms scenario: `rooms` rooms, a writer at 2 edits/s and an observer each, for
 * `seconds`, the writers spread evenly over each 500 ms. p50/p99 writer → observer and the
 * server's CPU per edit (relay-scale.ts `rooms`, relay-scale-ab.ts).
 */
export async function busyRooms(server: Server, rooms: number, seconds: number) {
  const stamp = Date.now()
  const pairs: { writer: Writer; observer: Observer; sentAt: number[] }[] = []
  const latencies: number[] = []
  for (let i = 0; i < rooms; i += 50) {
    const group: (typeof pairs)[number][] = []
    for (let j = i; j < Math.min(rooms, i + 50); j++) {
      const url = await server.url(`busy-${stamp}-${j}`)
      group.push({ writer: new Writer(url), observer: new Observer(url), sentAt: [] })
    }
    await Promise.all(group.flatMap((p) => [p.writer.ready, p.observer.ready]))
    pairs.push(...group)
  }
  for (const p of pairs)
    p.observer.onUpdate = (now, i) => {
      const t = p.sentAt[i]
      if (t !== undefined) latencies.push(now - t)
    }
  await sleep(1000)
  const threads0 = threadCpuMs(server.pid)
  const cpu0 = cpuMs(server.pid)
  const from = Date.now()
  const ticks = seconds * 2
  const perSlot = Math.max(1, Math.ceil(rooms / 50))
  for (let tick = 0; tick < ticks; tick++) {
    for (let slot = 0; slot < rooms; slot += perSlot) {
      for (const p of pairs.slice(slot, slot + perSlot)) {
        p.sentAt.push(performance.now())
        p.writer.edit()
      }
      await sleep(10)
    }
  }
  await until('every edit at its observer', () => latencies.length >= ticks * rooms)
  const cpu = cpuMs(server.pid) - cpu0
  const to = Date.now()
  // Per thread, µs per edit (user+sys): threads that ended in the window are missed.
  const threads: Record<string, string> = {}
  const edits = ticks * rooms
  for (const [name, t] of threadCpuMs(server.pid)) {
    const t0 = threads0.get(name) ?? { user: 0, sys: 0 }
    const user = ((t.user - t0.user) * 1000) / edits
    const sys = ((t.sys - t0.sys) * 1000) / edits
    if (user + sys > 0) threads[name] = `${user.toFixed(1)}+${sys.toFixed(1)}`
  }
  for (const p of pairs) {
    p.writer.close()
    p.observer.close()
  }
  return {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    usPerEdit: (cpu * 1000) / (ticks * rooms),
    /** Per thread name, user+sys µs per edit in the window. */
    threads,
    /** The edit window (Date.now()), e.g. for BENCH_SERVER_LOG's lines. */
    window: { from, to },
  }
}
