/**
 * Relay nodes on Redis + PostgreSQL against one SQLite node:
 *   `npx tsx tests/bench/relay-cluster.ts` (not part of `npm test`: timing)
 *
 * Every relay is built JavaScript as `npm run relay` runs it (relay-scale-harness.ts buildRelay:
 * BENCH_REF, default the last commit), on plain Node, each with its OWN data dir: the cluster
 * nodes share nothing but the signing secret and the two URLs, as on separate machines.
 * Rounds are interleaved (single, cluster, then cluster, single); server CPU from /proc.
 *
 * 1. The Redis hop. One writer on node A, one observer on A and one on B (all in this process,
 *    one clock). The writer sends one small update at a time and waits until both observers
 *    have it. Same-node latency is write → store ack → broadcast; cross-node adds B's read of
 *    the stream. The same on the single SQLite relay for reference. p50/p95 of each and of the
 *    per-edit difference (the hop).
 * 2. CPU per delivery per node: one writer and OBSERVERS (default 1,000) observers on the single
 *    node, then OBSERVERS observers on each of the three cluster nodes (each node delivers per
 *    edit what the single node does); SPREAD=1 adds OBSERVERS in all spread over the three (a
 *    third each). Server CPU from /proc (read once every node is quiet) divided by each node's
 *    deliveries. Observers are the harness's light ones (count frames, apply nothing).
 * 3. Typing (relay-typing.ts, relay-scale's scenario): a champion types KEYS (100) keystrokes at
 *    10/s to TYPING (1,000) read-only employees (merged every --reader-fanout-ms), on the stock
 *    server (fresh each round), the single node, and spread over the three nodes (the champion
 *    on A), in an order that turns each round; CPU per keystroke per node and in all, also net of
 *    each server's idle CPU (IDLE_MS with the employees connected, nobody typing).
 * PARTS=hop,fanout,typing picks what each of ROUNDS (2) rounds runs; `uptime`'s load is printed
 * per round. `control`: the single node with 3 × OBSERVERS (the three nodes' deliveries in one
 * process); `solo`: OBSERVERS on each cluster node in turn (A the writer's, then B, then C) while
 * the other two hold the room with one observer each (all three live, reading the stream), each
 * paired with a run of the single node: each node's own cost per delivery, as separate machines
 * would give it, without three fan-outs sharing the cores. Each fan-out line also gives the
 * nodes' context switches per edit (preempted: cut off by another process; waits: blocked).
 *
 * REDIS_FSYNC=always|everysec (default everysec: the guarantee of SQLite's default
 * synchronous=normal, an acknowledged edit survives the process being killed, not a power cut).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { type AdminTarget, createWorkspace, invite } from '../../sync-server/admin/admin'
import { encodeSync, MESSAGE_SYNC, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { startPostgres, startRedis } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'
import {
  buildRelay,
  cpuMs,
  loadAverage,
  openObservers,
  percentile,
  type Server,
  sleep,
  startStock,
  until,
  Writer,
} from './relay-scale-harness'
import { typing } from './relay-typing'

const EDITS = Number(process.env.EDITS ?? 500)
const OBSERVERS = Number(process.env.OBSERVERS ?? 1000)
const FANOUT_EDITS = Number(process.env.FANOUT_EDITS ?? 200)
/** `edit`: edits with one observer per node, the per-edit cost that a fan-out shares. */
const EDIT_EDITS = Number(process.env.EDIT_EDITS ?? 2000)
const TYPING = Number(process.env.TYPING ?? 1000)
const KEYS = Number(process.env.KEYS ?? 100)
const ROUNDS = Number(process.env.ROUNDS ?? 2)
const IDLE_MS = Number(process.env.IDLE_MS ?? 5000)
/** PARTS=hop,fanout,control,solo,edit,typing: what each round runs (default hop,fanout,typing). */
const PARTS = new Set((process.env.PARTS ?? 'hop,fanout,typing').split(','))
/** SPREAD=1: also OBSERVERS in all spread over the three nodes (a third each). */
const SPREAD = process.env.SPREAD === '1'
const REDIS_FSYNC = process.env.REDIS_FSYNC === 'always' ? 'always' : 'everysec'
const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const ENV = { ...process.env, PORTE_VOIX_RELAY_SECRET: SECRET }

type Node = { url: string; pid: number; target: AdminTarget; stop(): Promise<void> }

const fmt = (v: number) => v.toFixed(2)

function startNode(extraArgs: string[], target: (dataDir: string) => AdminTarget): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-node-'))
  const main = join(buildRelay(), 'out', 'main.js')
  // e.g. RELAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" (written when it stops).
  const nodeArgs = (process.env.RELAY_NODE_ARGS ?? '').split(' ').filter(Boolean)
  const args = [...nodeArgs, main, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]
  args.push('--max-connections-per-member', '1000', ...extraArgs)
  const child: ChildProcess = spawn(process.execPath, args, {
    env: ENV,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      await new Promise<void>((done) => {
        child.once('exit', () => done())
        child.kill('SIGTERM')
      })
    }
    rmSync(dataDir, { recursive: true, force: true })
  }
  return new Promise((done, fail) => {
    let out = ''
    const onData = (chunk: Buffer) => {
      out += chunk.toString('utf8')
      const m = /listening on (ws:\/\/[^\s:]+:\d+)/.exec(out)
      if (!m) return
      child.stdout?.off('data', onData)
      child.stdout?.resume()
      done({ url: m[1] as string, pid: child.pid as number, target: target(dataDir), stop })
    }
    child.stdout?.on('data', onData)
    child.stderr?.on('data', (chunk: Buffer) => {
      if (out.length < 4000) out += chunk.toString('utf8')
    })
    child.once('exit', (code) => {
      rmSync(dataDir, { recursive: true, force: true })
      fail(new Error(`relay exited (${code}) before listening: ${out}`))
    })
  })
}

/** Counts update frames on arrival of the raw frame (before any Yjs work). */
function counter(client: RawClient): { count: () => number; at: number[] } {
  const at: number[] = []
  client.ws.on('message', (data: Buffer) => {
    const now = performance.now()
    const d = decoding.createDecoder(new Uint8Array(data))
    if (decoding.readVarUint(d) !== MESSAGE_SYNC || decoding.readVarUint(d) !== SYNC_UPDATE) return
    at.push(now)
  })
  return { count: () => at.length, at }
}

async function team(node: Node) {
  const ws = (await createWorkspace(node.target, { name: 'Bench' })).id
  const { token } = await invite(
    node.target,
    { workspaceId: ws, name: 'Bench', role: 'champion', ttlSeconds: 86_400, relayUrl: node.url },
    ENV,
  )
  return { ws, token }
}

async function hop(writerNode: Node, otherNode: Node, label: string) {
  const { ws, token } = await team(writerNode)
  const writer = await RawClient.connect(roomUrl(writerNode.url, ws, 'queue', token))
  await writer.sync()
  const same = await RawClient.connect(roomUrl(writerNode.url, ws, 'queue', token), {
    sendLocalUpdates: false,
  })
  const other = await RawClient.connect(roomUrl(otherNode.url, ws, 'queue', token), {
    sendLocalUpdates: false,
  })
  await Promise.all([same.sync(), other.sync()])
  const [s, o] = [counter(same), counter(other)]
  const doc = new Y.Doc()
  const sent: number[] = []
  for (let i = 0; i < EDITS; i++) {
    const before = Y.encodeStateVector(doc)
    doc.getArray<number>('edits').push([i])
    const update = Y.encodeStateAsUpdate(doc, before)
    sent.push(performance.now())
    writer.send(encodeSync(SYNC_UPDATE, update))
    await waitFor('both observers', () => s.count() > i && o.count() > i, { intervalMs: 0 })
  }
  const sameLat = sent.map((t, i) => (s.at[i] ?? Number.NaN) - t)
  const otherLat = sent.map((t, i) => (o.at[i] ?? Number.NaN) - t)
  const diff = otherLat.map((v, i) => v - (sameLat[i] ?? 0))
  const p = (values: number[], q: number) => fmt(percentile(values, q))
  console.log(
    `${label}: same node p50 ${p(sameLat, 50)} p95 ${p(sameLat, 95)} ms; other node p50 ${p(otherLat, 50)} p95 ${p(otherLat, 95)} ms; hop p50 ${p(diff, 50)} p95 ${p(diff, 95)} ms`,
  )
  for (const c of [writer, same, other]) c.ws.terminate()
}

/** Tokens for `count` connections of one role, a member per 500 (the per-member socket cap). */
async function members(node: Node, ws: string, role: 'champion' | 'employee', count: number) {
  const tokens: string[] = []
  for (let i = 0; i < Math.ceil(count / 500); i++) {
    const name = `Bench ${role} ${i}`
    const invited = await invite(
      node.target,
      { workspaceId: ws, name, role, ttlSeconds: 86_400, relayUrl: node.url },
      ENV,
    )
    tokens.push(invited.token)
  }
  return tokens
}

/** `count` light observers (harness Observer: counts frames, applies nothing) spread over nodes. */
async function observersOn(nodes: Node[], ws: string, tokens: string[], count: number) {
  const urls: string[] = []
  for (let i = 0; i < count; i++) {
    const node = nodes[i % nodes.length] as Node
    urls.push(roomUrl(node.url, ws, 'queue', tokens[Math.floor(i / 500)] as string))
  }
  return openObservers(urls)
}

/** Server CPU of each node once all are quiet (a sample adds at most one 10 ms tick), ≤ 15 s. */
async function cpuWhenIdle(nodes: Node[]): Promise<number[]> {
  let last = nodes.map((n) => cpuMs(n.pid))
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    await sleep(250)
    const now = nodes.map((n) => cpuMs(n.pid))
    if (now.every((v, i) => v - (last[i] ?? 0) <= 10)) return now
    last = now
  }
  return last
}

/**
 * `perNode` champion observers on every node in `nodes`, one writer on `writerNode`, FANOUT_EDITS
 * edits one at a time (each waits until every observer has it). Per node: server CPU divided by
 * the deliveries that node made.
 */
async function fanout(
  writerNode: Node,
  nodes: Node[],
  perNode: number,
  label: string,
  holders: Node[] = [],
  edits = FANOUT_EDITS,
) {
  const { ws, token } = await team(writerNode)
  const writer = new Writer(roomUrl(writerNode.url, ws, 'queue', token))
  await writer.ready
  const total = perNode * nodes.length
  const tokens = await members(writerNode, ws, 'champion', total)
  const observers = await observersOn(nodes, ws, tokens, total)
  // One observer on each holder node: it holds the room and reads the stream (a node live in the
  // cluster) with one delivery per edit, so the measured nodes' figures are not the only fan-out.
  const held = await observersOn(holders, ws, tokens, holders.length)
  await sleep(500)
  // Each node's CPU with the observers connected and nobody writing (timers, Redis reads): what
  // a node costs per second, not per delivery (`net of idle` below).
  const idle0 = nodes.map((n) => cpuMs(n.pid))
  await sleep(IDLE_MS)
  const idlePerS = nodes.map((n, i) => ((cpuMs(n.pid) - (idle0[i] ?? 0)) * 1000) / IDLE_MS)
  const t0 = performance.now()
  const cpuBefore = nodes.map((n) => cpuMs(n.pid))
  const sysBefore = nodes.map((n) => sysMs(n.pid))
  const switchesBefore = nodes.map((n) => switches(n.pid))
  const holderCpu0 = holders.map((n) => cpuMs(n.pid))
  for (let i = 0; i < edits; i++) {
    writer.edit()
    await until(
      'everyone',
      () => observers.every((o) => o.updates > i) && held.every((o) => o.updates > i),
    )
  }
  const cpu = (await cpuWhenIdle([...nodes, ...holders]))
    .slice(0, nodes.length)
    .map((ms, i) => ms - (cpuBefore[i] ?? 0))
  const seconds = (performance.now() - t0) / 1000
  const netPerDelivery = cpu.map(
    (ms, i) => ((ms - (idlePerS[i] ?? 0) * seconds) * 1000) / (perNode * edits),
  )
  const sys = nodes.map((n, i) => sysMs(n.pid) - (sysBefore[i] ?? 0))
  // Preemptions (nonvoluntary) per edit: a node's fan-out cut off by another process on its core.
  const preempted = nodes.map(
    (n, i) => (switches(n.pid).nonvoluntary - (switchesBefore[i]?.nonvoluntary ?? 0)) / edits,
  )
  const slept = nodes.map(
    (n, i) => (switches(n.pid).voluntary - (switchesBefore[i]?.voluntary ?? 0)) / edits,
  )
  const perDelivery = cpu.map((ms) => (ms * 1000) / (perNode * edits))
  // The kernel's part (system time): a loopback write runs the receiving socket's path too.
  const sysPerDelivery = sys.map((ms) => (ms * 1000) / (perNode * edits))
  const all = (cpu.reduce((a, b) => a + b, 0) * 1000) / (total * edits)
  console.log(
    `${label}: ${perNode}/node × ${nodes.length} = ${total} observers × ${edits} edits; server CPU ${cpu.map((c) => c.toFixed(0)).join(' + ')} ms; per delivery ${perDelivery.map((v) => `${fmt(v)} µs`).join(' / ')} (${fmt(all)} µs over all), net of idle ${netPerDelivery.map((v) => `${fmt(v)} µs`).join(' / ')} (idle ${idlePerS.map((v) => v.toFixed(1)).join(' / ')} ms/s over ${seconds.toFixed(1)} s), of which system ${sysPerDelivery.map((v) => `${fmt(v)} µs`).join(' / ')}; switches per edit ${preempted.map((v, i) => `${v.toFixed(1)} preempted + ${(slept[i] ?? 0).toFixed(1)} waits`).join(' / ')}`,
  )
  if (holders.length > 0) {
    // From the first edit until quiet: what reading the stream (and one delivery) costs a node
    // per edit, its idle CPU over the same time included.
    const perEdit = holders.map((n, i) => ((cpuMs(n.pid) - (holderCpu0[i] ?? 0)) * 1000) / edits)
    console.log(
      `${label}: holders (one observer each) ${perEdit.map((v) => `${v.toFixed(0)} µs`).join(' / ')} of CPU per edit, idle included (${seconds.toFixed(1)} s)`,
    )
  }
  for (const o of [writer, ...observers, ...held]) o.close()
  return { perDelivery, all }
}

/**
 * `nodes` as the harness's Server (what relay-typing's scenario takes): one room maps to the same
 * workspace on every node (created through the first node's admin target; a cluster's
 * workspaces and members are in PostgreSQL), a member's token is valid on every node.
 */
function asServers(nodes: Node[]): Server[] {
  const first = nodes[0] as Node
  const workspaces = new Map<string, Promise<string>>()
  const tokens = new Map<string, Promise<string>>()
  return nodes.map((node) => ({
    name: 'porte-voix',
    pid: node.pid,
    async url(room, member = 0, role = 'champion') {
      let workspace = workspaces.get(room)
      if (!workspace) {
        workspace = createWorkspace(first.target, { name: 'Bench' }).then((w) => w.id)
        workspaces.set(room, workspace)
      }
      const workspaceId = await workspace
      const key = `${workspaceId}-${role}-${member}`
      let token = tokens.get(key)
      if (!token) {
        const name = `${role[0]}${member}`
        token = invite(
          first.target,
          { workspaceId, name, role, ttlSeconds: 86_400, relayUrl: first.url },
          ENV,
        ).then((i) => i.token)
        tokens.set(key, token)
      }
      return roomUrl(node.url, workspaceId, 'queue', await token)
    },
    stop: () => node.stop(),
  }))
}

/**
 * Typing (relay-typing.ts, relay-scale's scenario): the champion on the first server, TYPING
 * employees spread over `servers`; CPU per keystroke per server and in all, also net of each
 * server's idle CPU (IDLE_MS, employees connected, nobody typing).
 */
async function typingOn(servers: Server[], label: string) {
  const r = await typing(servers[0] as Server, {
    keys: KEYS,
    employees: TYPING,
    spread: servers,
    idleMs: IDLE_MS,
  })
  const us = (xs: number[]) => xs.map((v) => `${v.toFixed(0)} µs`).join(' / ')
  const net = r.netUsPerKeyByServer.reduce((a, b) => a + b, 0)
  console.log(
    `${label}: ${TYPING} employees over ${servers.length} server(s), ${KEYS} keys at 10/s; CPU per keystroke ${us(r.usPerKeyByServer)} (${r.usPerKey.toFixed(0)} µs in all); idle ${r.idleMsPerS.map((v) => v.toFixed(1)).join(' / ')} ms/s; net of idle ${us(r.netUsPerKeyByServer)} (${net.toFixed(0)} µs in all); ${r.framesPerEmployee.toFixed(1)} frames, ${r.kibPerEmployee.toFixed(2)} KiB per employee; ${r.usPerFrame.toFixed(1)} µs per frame sent; all delivered in ${(r.deliveredMs / 1000).toFixed(1)} s`,
  )
  return { ...r, net }
}

/** Context switches of a process so far (all its threads: the main one and libuv's). */
function switches(pid: number): { voluntary: number; nonvoluntary: number } {
  let voluntary = 0
  let nonvoluntary = 0
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    const status = readFileSync(`/proc/${pid}/task/${task}/status`, 'utf8')
    voluntary += Number(/^voluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
    nonvoluntary += Number(/^nonvoluntary_ctxt_switches:\s+(\d+)/m.exec(status)?.[1] ?? 0)
  }
  return { voluntary, nonvoluntary }
}

/** stime of a process, ms (cpuMs is utime + stime). */
function sysMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return (Number(fields[12]) * 1000) / 100
}

async function main() {
  const [redis, postgres] = await Promise.all([
    startRedis({ appendfsync: REDIS_FSYNC }),
    startPostgres(),
  ])
  const nodes: Node[] = []
  try {
    const single = await startNode([], (dataDir) => dataDir)
    nodes.push(single)
    const urls = ['--redis-url', redis.url, '--postgres-url', postgres.url]
    const pg = (dataDir: string): AdminTarget => ({ dataDir, postgresUrl: postgres.url })
    // One after another: the first migrates PostgreSQL's tables.
    for (let i = 0; i < 3; i++) nodes.push(await startNode(urls, pg))
    const [a, b, c] = nodes.slice(1) as [Node, Node, Node]
    console.log(
      `redis appendfsync ${REDIS_FSYNC}; ${EDITS} hop edits, ${OBSERVERS} observers/node; pids: single ${single.pid}, A ${a.pid}, B ${b.pid}, C ${c.pid}`,
    )
    for (let round = 1; round <= ROUNDS; round++) {
      console.log(`round ${round}: load average ${loadAverage()}`)
      const runSingle = async () => {
        if (PARTS.has('hop')) await hop(single, single, `round ${round} SQLite, one node`)
        if (PARTS.has('fanout'))
          await fanout(single, [single], OBSERVERS, `round ${round} SQLite, one node`)
        // Control: the single node with as many observers as the three nodes hold (the same
        // deliveries per edit on this machine, the same client load), one process.
        if (PARTS.has('control'))
          await fanout(single, [single], OBSERVERS * 3, `round ${round} SQLite, one node, control`)
      }
      const runCluster = async () => {
        if (PARTS.has('hop')) await hop(a, b, `round ${round} Redis+PG, A→B`)
        if (PARTS.has('fanout'))
          await fanout(a, [a, b, c], OBSERVERS, `round ${round} Redis+PG, three nodes`)
        if (SPREAD && PARTS.has('fanout'))
          await fanout(a, [a, b, c], Math.round(OBSERVERS / 3), `round ${round} Redis+PG, spread`)
      }
      // Solo: OBSERVERS on one cluster node at a time (A the writer's, B, C readers), the other
      // two holding the room (one observer each, reading the stream): each node's own cost per
      // delivery as on separate machines, without three fan-outs sharing the cores. Each is
      // paired with the single node (order alternating) and given as a ratio to it.
      const runSolo = async () => {
        const order = (['A', 'B', 'C'] as const).map((name, i) => ({ name, i }))
        if (round % 2 === 0) order.reverse()
        for (const { name, i } of order) {
          const target = [a, b, c][i] as Node
          const others = [a, b, c].filter((n) => n !== target)
          const solo = () =>
            fanout(a, [target], OBSERVERS, `round ${round} Redis+PG, ${name} alone`, others)
          const one = () => fanout(single, [single], OBSERVERS, `round ${round} SQLite, one node`)
          let mine: Awaited<ReturnType<typeof fanout>>
          let theirs: Awaited<ReturnType<typeof fanout>>
          if ((round + i) % 2 === 1) {
            theirs = await one()
            mine = await solo()
          } else {
            mine = await solo()
            theirs = await one()
          }
          const ratio = (mine.perDelivery[0] ?? 0) / (theirs.perDelivery[0] ?? 1)
          console.log(`round ${round} ${name} alone / one node: ${ratio.toFixed(2)}×`)
        }
      }
      if (round % 2 === 1) {
        await runSingle()
        await runCluster()
      } else {
        await runCluster()
        await runSingle()
      }
      if (PARTS.has('solo')) await runSolo()
      // Typing: stock (fresh each round), the single node and the three nodes, in an order
      // that turns each round; ratios within the round.
      if (PARTS.has('typing')) {
        const configs = ['stock', 'single', 'cluster'] as const
        const order = [...configs.slice(round % 3), ...configs.slice(0, round % 3)]
        if (round % 2 === 0) order.reverse()
        const got: Partial<Record<(typeof configs)[number], { usPerKey: number; net: number }>> = {}
        for (const config of order) {
          if (config === 'stock') {
            const stock = await startStock()
            try {
              got.stock = await typingOn([stock], `round ${round} typing stock`)
            } finally {
              await stock.stop()
            }
          } else if (config === 'single')
            got.single = await typingOn(
              asServers([single]),
              `round ${round} typing SQLite, one node`,
            )
          else
            got.cluster = await typingOn(
              asServers([a, b, c]),
              `round ${round} typing Redis+PG, A / B / C`,
            )
        }
        const ratio = (x?: { usPerKey: number }, y?: { usPerKey: number }) =>
          x && y ? (x.usPerKey / y.usPerKey).toFixed(2) : '?'
        console.log(
          `round ${round} typing ratios in all: three nodes / one ${ratio(got.cluster, got.single)}×, three nodes / stock ${ratio(got.cluster, got.stock)}×, one node / stock ${ratio(got.single, got.stock)}×`,
        )
      }
      // Edit: one observer per node, EDIT_EDITS edits: what a node pays per edit whatever its
      // fan-out (the single node: validate, store, broadcast; A: the same with Redis's append and
      // its own entries read back; B, C: reading the stream and applying), CPU per edit below.
      if (PARTS.has('edit')) {
        const one = () =>
          fanout(single, [single], 1, `round ${round} per edit, SQLite one node`, [], EDIT_EDITS)
        const three = () =>
          fanout(a, [a], 1, `round ${round} per edit, Redis+PG A (B, C hold)`, [b, c], EDIT_EDITS)
        if (round % 2 === 1) {
          await one()
          await three()
        } else {
          await three()
          await one()
        }
      }
      console.log(`round ${round} done: load average ${loadAverage()}`)
    }
  } finally {
    await Promise.all(nodes.map((n) => n.stop()))
    await Promise.all([redis.stop(), postgres.stop()])
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error)
    process.exit(1)
  },
)
