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
 * 2. CPU per delivery per node: one writer and OBSERVERS observers on the single node, then
 *    OBSERVERS observers on each of the three cluster nodes (each node delivers per edit what
 *    the single node does); server CPU from /proc divided by each node's deliveries.
 *
 * REDIS_FSYNC=always|everysec (default everysec: the guarantee of SQLite's default
 * synchronous=normal, an acknowledged edit survives the process being killed, not a power cut).
 */
import { type ChildProcess, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { type AdminTarget, createWorkspace, invite } from '../../sync-server/admin/admin'
import { encodeSync, MESSAGE_SYNC, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { startPostgres, startRedis } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'
import { buildRelay, cpuMs, percentile } from './relay-scale-harness'

const EDITS = Number(process.env.EDITS ?? 500)
const OBSERVERS = Number(process.env.OBSERVERS ?? 300)
const FANOUT_EDITS = Number(process.env.FANOUT_EDITS ?? 200)
const REDIS_FSYNC = process.env.REDIS_FSYNC === 'always' ? 'always' : 'everysec'
const SECRET = 'bench-secret-bench-secret-bench-secret-0123'
const ENV = { ...process.env, PORTE_VOIX_RELAY_SECRET: SECRET }

type Node = { url: string; pid: number; target: AdminTarget; stop(): Promise<void> }

const fmt = (v: number) => v.toFixed(2)

function startNode(extraArgs: string[], target: (dataDir: string) => AdminTarget): Promise<Node> {
  const dataDir = mkdtempSync(join(tmpdir(), 'porte-voix-bench-node-'))
  const main = join(buildRelay(), 'out', 'main.js')
  const args = [main, '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir]
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

async function fanout(writerNode: Node, nodes: Node[], label: string) {
  const { ws, token } = await team(writerNode)
  const writer = await RawClient.connect(roomUrl(writerNode.url, ws, 'queue', token))
  await writer.sync()
  // OBSERVERS per node: each node makes as many deliveries per edit as the single node does.
  const total = OBSERVERS * nodes.length
  const observers: RawClient[] = []
  for (let i = 0; i < total; i++) {
    const node = nodes[i % nodes.length] as Node
    const c = await RawClient.connect(roomUrl(node.url, ws, 'queue', token), {
      sendLocalUpdates: false,
    })
    await c.sync()
    observers.push(c)
  }
  const counters = observers.map(counter)
  const cpuBefore = nodes.map((n) => cpuMs(n.pid))
  const doc = new Y.Doc()
  for (let i = 0; i < FANOUT_EDITS; i++) {
    const before = Y.encodeStateVector(doc)
    doc.getArray<number>('edits').push([i])
    writer.send(encodeSync(SYNC_UPDATE, Y.encodeStateAsUpdate(doc, before)))
    await waitFor('everyone', () => counters.every((c) => c.count() > i), {
      intervalMs: 1,
      timeoutMs: 120_000,
    })
  }
  const cpu = nodes.map((n, i) => cpuMs(n.pid) - (cpuBefore[i] ?? 0))
  const deliveries = total * FANOUT_EDITS
  const perNode = cpu.map((ms, i) => {
    const held = observers.filter((_, k) => k % nodes.length === i).length
    return `${((ms * 1000) / (held * FANOUT_EDITS)).toFixed(1)} µs`
  })
  console.log(
    `${label}: ${total} observers × ${FANOUT_EDITS} edits; server CPU ${cpu.map((c) => c.toFixed(0)).join(' + ')} ms = ${((cpu.reduce((a, b) => a + b, 0) * 1000) / deliveries).toFixed(1)} µs per delivery in all; per node per delivery it holds: ${perNode.join(', ')}`,
  )
  for (const c of [writer, ...observers]) c.ws.terminate()
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
    console.log(`redis appendfsync ${REDIS_FSYNC}; ${EDITS} hop edits, ${OBSERVERS} observers/node`)
    for (let round = 1; round <= 2; round++) {
      const first = round === 1
      const runSingle = async () => {
        await hop(single, single, `round ${round} SQLite, one node`)
        await fanout(single, [single], `round ${round} SQLite, one node`)
      }
      const runCluster = async () => {
        await hop(a, b, `round ${round} Redis+PG, A→B`)
        await fanout(a, [a, b, c], `round ${round} Redis+PG, three nodes`)
      }
      if (first) {
        await runSingle()
        await runCluster()
      } else {
        await runCluster()
        await runSingle()
      }
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
