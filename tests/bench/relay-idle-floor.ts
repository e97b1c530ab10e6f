/**
 * The floor under issue 11.3's "idle connection ≤ 4 KiB": what Node's own stack keeps per idle
 * connection, with no relay and no Yjs. Three servers, each in its own child process (plain
 * `node -e`, no TypeScript loader), each holding IDLE (default 3000) idle connections:
 *   net   a bare net.Server that accepts and holds sockets;
 *   http  an http.Server whose 'upgrade' handler answers 101 itself and holds the raw socket;
 *   ws    the same with ws's WebSocketServer({ noServer: true }) holding WebSocket objects.
 * RSS from /proc/<pid>/status and heapUsed (reported over IPC) after a forced GC, before and
 * after the connects: marginal KiB per connection. Two interleaved rounds, each with and without
 * MALLOC_ARENA_MAX=1. Also V8's young generation (new space, committed): it grows while the
 * connects' objects survive scavenges and is given back only when the process has been quiet
 * a while (V8's memory reducer), so the RSS read just after a burst carries it; "RSS outside
 * the young generation" is what stays per connection (issue 11.3, session 10).
 *
 *   npx tsx tests/bench/relay-idle-floor.ts        (IDLE=…, ROUNDS=…, KINDS=net,ws, ARENAS=0|1|both)
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { connect, type Socket } from 'node:net'
import { resolve } from 'node:path'
import { WebSocket } from 'ws'
import { loadAverage, rssKiB, sleep } from './relay-scale-harness'

const ROOT = resolve(import.meta.dirname, '..', '..')
const IDLE = Number(process.env.IDLE ?? 3000)
const ROUNDS = Number(process.env.ROUNDS ?? 2)
const BATCH = 100
const ALL_KINDS = ['net', 'http', 'ws'] as const
type Kind = (typeof ALL_KINDS)[number]
const KINDS = (process.env.KINDS?.split(',') ?? [...ALL_KINDS]).filter((k): k is Kind =>
  (ALL_KINDS as readonly string[]).includes(k),
)
const ARENAS = process.env.ARENAS ?? 'both'
const ARENA_SETTINGS = ARENAS === '0' ? [false] : ARENAS === '1' ? [true] : [false, true]

// One server program for the three kinds (argv[1]); 'measure' over IPC collects garbage and
// answers with the heap and how many connections it holds, so a figure is never read mid-connect.
const SERVER = String.raw`
const kind = process.argv[1]
const held = new Set()
const hold = (c) => { held.add(c); c.on('error', () => {}); c.on('close', () => held.delete(c)) }
let server
if (kind === 'net') {
  server = require('node:net').createServer(hold)
} else {
  server = require('node:http').createServer((_req, res) => res.writeHead(404).end())
  if (kind === 'http') {
    const { createHash } = require('node:crypto')
    server.on('upgrade', (req, socket) => {
      const accept = createHash('sha1')
        .update(req.headers['sec-websocket-key'] + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
        .digest('base64')
      socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n' +
        'Connection: Upgrade\r\nSec-WebSocket-Accept: ' + accept + '\r\n\r\n')
      // Read (and drop) what comes, as any server would, and close on the client's FIN (http
      // sockets are half-open capable): otherwise a closed client is never let go.
      socket.resume()
      socket.on('end', () => socket.destroy())
      hold(socket)
    })
  } else {
    const { WebSocketServer } = require('ws')
    const wss = new WebSocketServer({ noServer: true, clientTracking: false })
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, hold))
  }
}
process.on('message', async (m) => {
  if (m !== 'measure') return
  global.gc(); await new Promise((r) => setTimeout(r, 100)); global.gc()
  const young = require('node:v8').getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')
  process.send({ held: held.size, heapUsed: process.memoryUsage().heapUsed, young: young ? young.physical_space_size : 0 })
})
process.on('disconnect', () => process.exit(0))
server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }))
`

/** young: V8's new space, committed bytes. */
type Report = { held: number; heapUsed: number; young: number }
type Child = { proc: ChildProcess; port: number; measure(): Promise<Report & { rss: number }> }

const live = new Set<ChildProcess>()

function startServer(kind: Kind, arenas: boolean): Promise<Child> {
  const env = { ...process.env }
  if (arenas) env.MALLOC_ARENA_MAX = '1'
  else delete env.MALLOC_ARENA_MAX
  const proc = spawn(process.execPath, ['--expose-gc', '-e', SERVER, kind], {
    cwd: ROOT, // so that require('ws') finds the project's ws
    env,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  live.add(proc)
  proc.once('exit', () => live.delete(proc))
  return new Promise((done, fail) => {
    proc.once('exit', (code) => fail(new Error(`${kind} server exited (${code})`)))
    proc.once('message', (m: { port: number }) => {
      const measure = () =>
        new Promise<Report & { rss: number }>((answer) => {
          proc.once('message', (r: Report) => answer({ ...r, rss: rssKiB(proc.pid as number) }))
          proc.send('measure')
        })
      done({ proc, port: m.port, measure })
    })
  })
}

type Client = { close(): void }

function open(kind: Kind, port: number): Promise<Client> {
  return new Promise((done, fail) => {
    if (kind === 'net') {
      const s: Socket = connect(port, '127.0.0.1', () => done({ close: () => s.destroy() }))
      s.once('error', fail)
    } else {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, { perMessageDeflate: false })
      ws.once('open', () => done({ close: () => ws.terminate() }))
      ws.once('error', fail)
    }
  })
}

async function openMany(kind: Kind, port: number, count: number): Promise<Client[]> {
  const all: Client[] = []
  for (let i = 0; i < count; i += BATCH) {
    const n = Math.min(BATCH, count - i)
    all.push(...(await Promise.all(Array.from({ length: n }, () => open(kind, port)))))
  }
  return all
}

/** Wait until the server holds `count` connections (a net accept lands after the client's connect). */
async function settled(child: Child, count: number): Promise<Report & { rss: number }> {
  for (let i = 0; i < 200; i++) {
    const r = await child.measure()
    if (r.held === count) return r
    await sleep(50)
  }
  throw new Error(`server never held ${count} connections (${(await child.measure()).held})`)
}

type Result = { rssKiB: number; heapB: number; youngKiB: number; outsideKiB: number }

async function measureOne(kind: Kind, arenas: boolean): Promise<Result> {
  const child = await startServer(kind, arenas)
  const clients: Client[] = []
  try {
    // Warm up: the first connects load and compile the server's code paths, not per-connection state.
    const warm = await openMany(kind, child.port, 20)
    for (const c of warm) c.close()
    const before = await settled(child, 0)
    clients.push(...(await openMany(kind, child.port, IDLE)))
    await sleep(500)
    const after = await settled(child, IDLE)
    const youngKiB = (after.young - before.young) / 1024 / IDLE
    return {
      rssKiB: (after.rss - before.rss) / IDLE,
      heapB: (after.heapUsed - before.heapUsed) / IDLE,
      youngKiB,
      outsideKiB: (after.rss - before.rss) / IDLE - youngKiB,
    }
  } finally {
    for (const c of clients) c.close()
    await new Promise<void>((done) => {
      if (child.proc.exitCode !== null) return done()
      child.proc.once('exit', () => done())
      child.proc.kill('SIGTERM')
    })
  }
}

const range = (v: number[], digits: number) =>
  `${Math.min(...v).toFixed(digits)}–${Math.max(...v).toFixed(digits)}`

async function main(): Promise<void> {
  const results = new Map<string, Result[]>()
  const loads: string[] = [loadAverage()]
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate the order of kinds and of the allocator setting from round to round.
    const kinds = round % 2 === 0 ? [...KINDS] : [...KINDS].reverse()
    const settings = round % 2 === 0 ? ARENA_SETTINGS : [...ARENA_SETTINGS].reverse()
    for (const arenas of settings)
      for (const kind of kinds) {
        const key = `${kind}${arenas ? ' MALLOC_ARENA_MAX=1' : ''}`
        const r = await measureOne(kind, arenas)
        results.set(key, [...(results.get(key) ?? []), r])
        console.error(
          `round ${round + 1} ${key}: ${r.rssKiB.toFixed(2)} KiB RSS (young generation ${r.youngKiB.toFixed(2)}, outside it ${r.outsideKiB.toFixed(2)}), ${r.heapB.toFixed(0)} B heap`,
        )
      }
    loads.push(loadAverage())
  }
  console.log(
    `\n${IDLE} idle connections, ${ROUNDS} rounds, node ${process.version}; load ${loads.join(' → ')}\n`,
  )
  console.log(
    '| server | RSS KiB/conn (each round) | range | young gen. KiB/conn | RSS outside it KiB/conn | heapUsed B/conn (each round) | range |',
  )
  console.log('|---|---|---|---|---|---|---|')
  for (const [key, rs] of results) {
    const rss = rs.map((r) => r.rssKiB)
    const heap = rs.map((r) => r.heapB)
    const list = (v: number[], digits: number) => v.map((x) => x.toFixed(digits)).join(', ')
    console.log(
      `| ${key} | ${list(rss, 2)} | ${range(rss, 2)} | ${list(
        rs.map((r) => r.youngKiB),
        2,
      )} | ${list(
        rs.map((r) => r.outsideKiB),
        2,
      )} | ${list(heap, 0)} | ${range(heap, 0)} |`,
    )
  }
}

main()
  .catch((e: unknown) => {
    console.error(e)
    process.exitCode = 1
  })
  .finally(() => {
    for (const p of live) p.kill('SIGKILL')
  })
