/**
 * Relay nodes on Redis + PostgreSQL: `npx tsx tests/bench/relay-cluster.ts`
 *
 * 1. The Redis hop. One writer on node A, one observer on A and one on B (all in this process,
 *    one clock). The writer sends one small update at a time and waits until both observers
 *    have it. Same-node latency is write → Redis ack → broadcast; cross-node adds B's XREAD.
 *    Also the same on a single SQLite relay, for reference. Prints p50/p95 of each and of the
 *    per-edit difference (the hop).
 * 2. CPU per delivery per node: one writer and OBSERVERS observers on one SQLite node, then
 *    OBSERVERS observers on each of three cluster nodes (so each node delivers as much per
 *    edit as the single node); server CPU from /proc divided by each node's deliveries.
 * Not part of `npm test` (timing).
 */
import { readFileSync } from 'node:fs'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import { encodeSync, MESSAGE_SYNC, SYNC_UPDATE } from '../../sync-server/protocol/messages'
import { startCluster } from '../cluster/support'
import { removeTempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { startPostgres, startRedis } from '../helpers/servers'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from '../relay/support'

const EDITS = Number(process.env.EDITS ?? 500)
const OBSERVERS = Number(process.env.OBSERVERS ?? 300)
const FANOUT_EDITS = Number(process.env.FANOUT_EDITS ?? 200)

function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? []
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN
}
const fmt = (v: number) => v.toFixed(2)

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

async function team(node: RelayProcess) {
  const ws = await node.createWorkspace('Bench')
  const { token } = await node.issueToken({ workspaceId: ws, name: 'Bench', role: 'champion' })
  return { ws, token }
}

async function hop(writerNode: RelayProcess, otherNode: RelayProcess, label: string) {
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
  console.log(
    `${label}: same node p50 ${fmt(pct(sameLat, 50))} p95 ${fmt(pct(sameLat, 95))} ms; other node p50 ${fmt(pct(otherLat, 50))} p95 ${fmt(pct(otherLat, 95))} ms; hop p50 ${fmt(pct(diff, 50))} p95 ${fmt(pct(diff, 95))} ms`,
  )
  for (const c of [writer, same, other]) c.ws.terminate()
}

async function fanout(writerNode: RelayProcess, nodes: RelayProcess[], label: string) {
  const { ws, token } = await team(writerNode)
  const writer = await RawClient.connect(roomUrl(writerNode.url, ws, 'queue', token))
  await writer.sync()
  // OBSERVERS per node: each node makes as many deliveries per edit as the single node does.
  const total = OBSERVERS * nodes.length
  const observers: RawClient[] = []
  for (let i = 0; i < total; i++) {
    const node = nodes[i % nodes.length] as RelayProcess
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
  const [redis, postgres] = await Promise.all([startRedis(), startPostgres()])
  const single = await startRelay()
  const cluster = await startCluster(3, redis, postgres)
  try {
    const [a, b, c] = cluster.nodes as [RelayProcess, RelayProcess, RelayProcess]
    for (let round = 1; round <= 2; round++) {
      await hop(single, single, `round ${round} SQLite, one node`)
      await hop(a, b, `round ${round} Redis+PG, A→B`)
      await fanout(single, [single], `round ${round} SQLite, one node`)
      await fanout(a, [a, b, c], `round ${round} Redis+PG, three nodes`)
    }
  } finally {
    await cluster.stop()
    await single.stop()
    removeTempDir(single.dataDir)
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
