/**
 * Side-by-side relay benchmarks, Porte-voix vs the stock @y/websocket-server 0.1.1, interleaved
 * (fresh servers per round, alternating order), server CPU from /proc:
 *
 *   npx tsx tests/bench/relay-scale.ts [fanout|edits|idle|connect ...]
 *
 * fanout   1 writer → FANOUT observers (default 1000): p50/p95 latency, CPU per update per observer
 * edits    single-writer edits per second (EDITS as fast as the server takes them, one observer)
 * idle     IDLE idle connections (default 3000): marginal RSS per connection, read after a full GC
 * connect  CONNECT distinct members (default 1000) connecting, 100 at a time: connections/s
 * reconnect the same CONNECT members connecting a second time (tokens known, directory as it was)
 * connect-core CONNECT distinct employees each opening queue, directory and board (as a core does)
 * connect-warm CONNECT distinct members connecting after CONNECT others connected to another room
 *          (another workspace: its own directory) and left: the same as connect on warmed-up code
 * connect-doc CONNECT distinct members connecting to a room holding a real queue (DOC_ITEMS items,
 *          default 200, each with a why and two captions: ~240 KB), 100 at a time: each gets the whole document
 * rooms    ROOMS busy rooms (default 500), a writer and an observer each, every writer at 2 edits/s
 *          for ROOMS_SECONDS (default 20): p50/p99 writer → observer, CPU per edit
 * typing   a champion typing KEYS keystrokes (default 100) at 10/s to TYPING employees (default
 *          1000, read-only; ours merges their updates every --reader-fanout-ms): CPU per keystroke
 *
 * Loopback only; clients share this process (latencies are upper bounds); each scenario stops by
 * itself. This machine has 2 cores shared with other work: compare ratios within a run.
 */

import * as decoding from 'lib0/decoding'
import { WebSocket } from 'ws'
import * as Y from 'yjs'
import { captionText, insertItem, whyText } from '../../common/doc/queue-doc'
import { makeItem } from '../helpers/items'
import {
  busyRooms,
  cpuMs,
  gcAndWait,
  interleaved,
  median,
  Observer,
  openObservers,
  percentile,
  rssKiB,
  type Server,
  sleep,
  syncFrame,
  threadCpuMs,
  until,
  Writer,
} from './relay-scale-harness'
import { typing } from './relay-typing'

const ROUNDS = Number(process.env.ROUNDS ?? 2)
const FANOUT = Number(process.env.FANOUT ?? 1000)
const FANOUT_EDITS = Number(process.env.FANOUT_EDITS ?? 200)
const EDITS = Number(process.env.EDITS ?? 5000)
const IDLE = Number(process.env.IDLE ?? 3000)
const CONNECT = Number(process.env.CONNECT ?? 1000)
const TYPING = Number(process.env.TYPING ?? 1000)
const ROOMS = Number(process.env.ROOMS ?? 500)
const ROOMS_SECONDS = Number(process.env.ROOMS_SECONDS ?? 20)
const KEYS = Number(process.env.KEYS ?? 100)
const DOC_ITEMS = Number(process.env.DOC_ITEMS ?? 200)

const f = (n: number, d = 1) => n.toFixed(d)

/** One URL per connection; our relay caps sockets per member at 1,000, so a member per 1,000. */
async function urlsFor(
  server: Server,
  room: string,
  count: number,
  role: 'champion' | 'employee' = 'champion',
): Promise<string[]> {
  const urls: string[] = []
  for (let i = 0; i < count; i++) urls.push(await server.url(room, 1 + Math.floor(i / 1000), role))
  return urls
}

const rooms = (server: Server) => busyRooms(server, ROOMS, ROOMS_SECONDS)

/**
 * Server CPU once it has gone quiet: sampled every 250 ms until a sample adds at most one 10 ms
 * tick (work a burst left queued, e.g. a backlog of sends or a merge timer, is counted), at most
 * 15 s.
 */
async function cpuWhenIdle(server: Server): Promise<number> {
  let last = cpuMs(server.pid)
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    await sleep(250)
    const now = cpuMs(server.pid)
    if (now - last <= 10) return now
    last = now
  }
  return last
}

async function fanout(server: Server) {
  const room = `fanout-${Date.now()}`
  const url = await server.url(room)
  const writer = new Writer(url)
  await writer.ready
  const observers = await openObservers(await urlsFor(server, room, FANOUT))
  const sentAt: number[] = []
  const latencies: number[] = []
  for (const o of observers)
    o.onUpdate = (now, i) => {
      const t = sentAt[i]
      if (t !== undefined) latencies.push(now - t)
    }
  await sleep(500)
  const cpu0 = cpuMs(server.pid)
  for (let i = 0; i < FANOUT_EDITS; i++) {
    sentAt.push(performance.now())
    writer.edit()
    await sleep(20)
  }
  await until('every delivery', () => latencies.length >= FANOUT_EDITS * FANOUT)
  const cpu = cpuMs(server.pid) - cpu0
  for (const o of [writer, ...observers]) o.close()
  return {
    p50: percentile(latencies, 50),
    p95: percentile(latencies, 95),
    usPerDelivery: (cpu * 1000) / (FANOUT_EDITS * FANOUT),
  }
}

async function edits(server: Server) {
  const url = await server.url(`edits-${Date.now()}`)
  const writer = new Writer(url)
  const observer = new Observer(url)
  await Promise.all([writer.ready, observer.ready])
  await sleep(300)
  const cpu0 = cpuMs(server.pid)
  const t0 = performance.now()
  let sent = 0
  while (sent < EDITS) {
    // Stay at most 100 edits ahead of the observer: the rate is what the server sustains.
    while (sent < EDITS && sent - observer.updates < 100) {
      writer.edit()
      sent++
    }
    await new Promise((r) => setImmediate(r))
  }
  await until('every edit at the observer', () => observer.updates >= EDITS)
  const wall = performance.now() - t0
  const cpu = cpuMs(server.pid) - cpu0
  writer.close()
  observer.close()
  return { perSecond: (EDITS / wall) * 1000, usPerEdit: (cpu * 1000) / EDITS }
}

async function idle(server: Server) {
  const room = `idle-${Date.now()}`
  const urls = await urlsFor(server, room, IDLE + 1)
  // Warm up: the room loaded and one connection's code paths run before the baseline.
  const first = await openObservers(urls.slice(0, 1))
  await sleep(1000)
  await gcAndWait(server)
  const before = rssKiB(server.pid)
  const rest = await openObservers(urls.slice(1))
  await sleep(2000)
  await gcAndWait(server)
  await sleep(200)
  const after = rssKiB(server.pid)
  for (const o of [...first, ...rest]) o.close()
  return { kibPerConnection: (after - before) / IDLE }
}

/** CONNECT distinct members' URLs for `room`. Tokens are issued before any clock starts: the
 * admin tool's cost is not the relay's. */
async function memberUrls(server: Server, room: string): Promise<string[]> {
  const urls: string[] = []
  for (let m = 0; m < CONNECT; m++) urls.push(await server.url(room, m + 1))
  return urls
}

/**
 * CONNECT members connecting, 100 at a time: their rate, and the server's CPU per connect. With
 * `sockets` per member (their URLs in a row), a member's sockets open together and the figures
 * are per member.
 */
async function timedConnects(server: Server, urls: string[], sockets = 1) {
  const threads0 = threadCpuMs(server.pid)
  const cpu0 = cpuMs(server.pid)
  const t0 = performance.now()
  const observers = await openObservers(urls, 100 * sockets)
  const wall = performance.now() - t0
  const cpu = cpuMs(server.pid) - cpu0
  const threads = process.env.BENCH_THREADS ? threadsPerConnect(server.pid, threads0) : ''
  for (const o of observers) o.close()
  return {
    perSecond: (CONNECT / wall) * 1000,
    cpuMsPerConnect: cpu / CONNECT,
    wallMs: wall,
    threads,
  }
}

/**
 * BENCH_THREADS=1: each server thread's user+sys µs per connect since `threads0` (main, V8's GC
 * helpers, libuv's pool, workers), to tell the main thread's work from the rest.
 */
function threadsPerConnect(pid: number, threads0: ReturnType<typeof threadCpuMs>): string {
  const parts: string[] = []
  for (const [name, t] of threadCpuMs(pid)) {
    const t0 = threads0.get(name) ?? { user: 0, sys: 0 }
    const user = ((t.user - t0.user) * 1000) / CONNECT
    const sys = ((t.sys - t0.sys) * 1000) / CONNECT
    if (user + sys > 0) parts.push(`${name} ${user.toFixed(0)}+${sys.toFixed(0)}`)
  }
  return parts.join(', ')
}

async function connect(server: Server) {
  return timedConnects(server, await memberUrls(server, `connect-${Date.now()}`))
}

/** The URL of the same member's `doc` (ours: the token's workspace; stock: one room per doc). */
function docUrl(server: Server, queueUrl: string, doc: 'directory' | 'board'): string {
  return server.name === 'stock'
    ? `${queueUrl}-${doc}`
    : queueUrl.replace('/queue?token=', `/${doc}?token=`)
}

/**
 * CONNECT distinct employees connecting as their cores do: the three documents an employee syncs
 * (queue, directory, board) with one token, 100 employees at a time. On ours every directory
 * write of the burst then goes to the directory's readers, and a directory connect after a write
 * is sent the directory encoded again.
 */
async function connectCore(server: Server) {
  const room = `connect-core-${Date.now()}`
  const urls: string[] = []
  for (let m = 0; m < CONNECT; m++) {
    const queue = await server.url(room, m + 1, 'employee')
    urls.push(queue, docUrl(server, queue, 'directory'), docUrl(server, queue, 'board'))
  }
  return timedConnects(server, urls, 3)
}

/**
 * connect on a server whose connect path already ran CONNECT times (another room and, on ours,
 * another workspace and directory): each round's fresh server otherwise runs every connect on
 * cold code (interpreted, then baseline-compiled), which a relay that has been up for a while
 * does not.
 */
async function connectWarm(server: Server) {
  const stamp = Date.now()
  for (const o of await openObservers(await memberUrls(server, `warm-up-${stamp}`), 100)) o.close()
  const urls = await memberUrls(server, `connect-warm-${stamp}`)
  await cpuWhenIdle(server)
  return timedConnects(server, urls)
}

/**
 * The same CONNECT members twice: connected, closed, then measured connecting again with the same
 * tokens (a core reconnecting after a network drop or a relay restart behind a load balancer).
 */
async function reconnect(server: Server) {
  const urls = await memberUrls(server, `reconnect-${Date.now()}`)
  for (const o of await openObservers(urls, 100)) o.close()
  // The closes handled and the first connects' deferred writes done before the clock starts.
  await cpuWhenIdle(server)
  return timedConnects(server, urls)
}

/**
 * A champion fills `room` with DOC_ITEMS published queue items (what the core writes: insertItem,
 * a why and two captions of ~90 characters each), 25 per update, then leaves.
 */
async function fillQueue(server: Server, room: string): Promise<number> {
  const writer = new Writer(await server.url(room, 0))
  await writer.ready
  const body = 'Our teams shipped something customers asked for; here is what changed and why. '
  for (let i = 0; i < DOC_ITEMS; i += 25) {
    writer.doc.transact(() => {
      for (let n = i; n < Math.min(DOC_ITEMS, i + 25); n++) {
        const id = `item_${String(n).padStart(6, '0')}`
        insertItem(
          writer.doc,
          makeItem(id, { status: 'published', title: `Item ${n}: ${body.slice(0, 60)}` }),
        )
        whyText(writer.doc, id).insert(0, body)
        for (const network of ['linkedin', 'x'] as const)
          captionText(writer.doc, id, network).insert(0, `${network}: ${body}`)
      }
    })
    await sleep(5)
  }
  const bytes = Y.encodeStateAsUpdate(writer.doc).byteLength
  // Stored and quiet before anyone connects; then the document a fresh client is sent must be
  // the whole of it (a relay that refused part of it would measure a smaller room).
  await cpuWhenIdle(server)
  writer.close()
  const served = await fullSyncBytes(await server.url(room, 0))
  if (served < bytes * 0.9) throw new Error(`room holds ${served} B of the ${bytes} B written`)
  return served
}

/** The size of the sync step 2 a client holding nothing is sent. */
function fullSyncBytes(url: string): Promise<number> {
  return new Promise((done, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false })
    ws.once('open', () => ws.send(syncFrame(0, new Uint8Array([0]))))
    ws.on('message', (data: Buffer) => {
      const d = decoding.createDecoder(new Uint8Array(data))
      if (decoding.readVarUint(d) !== 0 || decoding.readVarUint(d) !== 1) return
      done(decoding.readVarUint8Array(d).byteLength)
      ws.terminate()
    })
    ws.once('error', fail)
  })
}

async function connectDoc(server: Server) {
  const room = `connect-doc-${Date.now()}`
  const docBytes = await fillQueue(server, room)
  const urls = await memberUrls(server, room)
  return { ...(await timedConnects(server, urls)), docKiB: docBytes / 1024 }
}

const scenarios = process.argv.slice(2)
const want = (name: string) => scenarios.length === 0 || scenarios.includes(name)
console.log(
  `relay-scale (node ${process.version}), ${ROUNDS} interleaved rounds, Porte-voix vs stock`,
)

if (want('fanout')) {
  const r = await interleaved(ROUNDS, fanout)
  const line = (name: string, xs: Awaited<ReturnType<typeof fanout>>[]) =>
    `  ${name.padEnd(10)} p50 ${xs.map((x) => f(x.p50)).join('/')} ms  p95 ${xs.map((x) => f(x.p95)).join('/')} ms  CPU ${xs.map((x) => f(x.usPerDelivery, 2)).join('/')} µs per update per observer`
  console.log(`fanout: 1 writer → ${FANOUT} observers, ${FANOUT_EDITS} edits at 50/s`)
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
  console.log(
    `  ratio CPU ${f(median(r.ours.map((x) => x.usPerDelivery)) / median(r.stock.map((x) => x.usPerDelivery)), 2)}×`,
  )
}
if (want('edits')) {
  const r = await interleaved(ROUNDS, edits)
  const line = (name: string, xs: Awaited<ReturnType<typeof edits>>[]) =>
    `  ${name.padEnd(10)} ${xs.map((x) => f(x.perSecond, 0)).join('/')} edits/s  CPU ${xs.map((x) => f(x.usPerEdit)).join('/')} µs per edit`
  console.log(`edits: one writer, ${EDITS} edits, one observer`)
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
  console.log(
    `  ratio CPU per edit ${f(median(r.ours.map((x) => x.usPerEdit)) / median(r.stock.map((x) => x.usPerEdit)), 2)}×`,
  )
}
if (want('idle')) {
  const r = await interleaved(ROUNDS, idle)
  const line = (name: string, xs: Awaited<ReturnType<typeof idle>>[]) =>
    `  ${name.padEnd(10)} ${xs.map((x) => f(x.kibPerConnection)).join('/')} KiB per idle connection`
  console.log(`idle: ${IDLE} idle connections on one room, RSS delta`)
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
}
const connectLine = (name: string, xs: Awaited<ReturnType<typeof timedConnects>>[]) =>
  `  ${name.padEnd(10)} ${xs.map((x) => f(x.perSecond, 0)).join('/')} connects/s (${xs.map((x) => f(x.wallMs, 0)).join('/')} ms)  CPU ${xs.map((x) => f(x.cpuMsPerConnect, 2)).join('/')} ms per connect${xs.some((x) => x.threads) ? `\n    µs per connect by thread (user+sys): ${xs.map((x) => x.threads).join(' | ')}` : ''}`
if (want('connect')) {
  const r = await interleaved(ROUNDS, connect)
  console.log(`connect: ${CONNECT} distinct members, 100 at a time, to sync step 2`)
  console.log(connectLine('porte-voix', r.ours))
  console.log(connectLine('stock', r.stock))
}
if (want('connect-core')) {
  const r = await interleaved(ROUNDS, connectCore)
  console.log(
    `connect-core: ${CONNECT} distinct employees, queue + directory + board each, 100 at a time (per employee)`,
  )
  console.log(connectLine('porte-voix', r.ours))
  console.log(connectLine('stock', r.stock))
}
if (want('connect-warm')) {
  const r = await interleaved(ROUNDS, connectWarm)
  console.log(`connect-warm: ${CONNECT} distinct members after ${CONNECT} others, 100 at a time`)
  console.log(connectLine('porte-voix', r.ours))
  console.log(connectLine('stock', r.stock))
}
if (want('reconnect')) {
  const r = await interleaved(ROUNDS, reconnect)
  console.log(`reconnect: the same ${CONNECT} members again, 100 at a time, to sync step 2`)
  console.log(connectLine('porte-voix', r.ours))
  console.log(connectLine('stock', r.stock))
}
if (want('connect-doc')) {
  const r = await interleaved(ROUNDS, connectDoc)
  console.log(
    `connect-doc: ${CONNECT} distinct members, 100 at a time, to a queue of ${DOC_ITEMS} items (${r.ours.map((x) => f(x.docKiB, 0)).join('/')} KiB ours, ${r.stock.map((x) => f(x.docKiB, 0)).join('/')} KiB stock)`,
  )
  console.log(connectLine('porte-voix', r.ours))
  console.log(connectLine('stock', r.stock))
}
if (want('rooms')) {
  const r = await interleaved(ROUNDS, rooms)
  const line = (name: string, xs: Awaited<ReturnType<typeof rooms>>[]) =>
    `  ${name.padEnd(10)} p50 ${xs.map((x) => f(x.p50)).join('/')} ms  p99 ${xs.map((x) => f(x.p99)).join('/')} ms  CPU ${xs.map((x) => f(x.usPerEdit)).join('/')} µs per edit`
  console.log(
    `rooms: ${ROOMS} rooms, a writer at 2 edits/s and an observer each, ${ROOMS_SECONDS} s`,
  )
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
  console.log(
    `  ratio p99 ${f(median(r.ours.map((x) => x.p99)) / median(r.stock.map((x) => x.p99)), 2)}×  CPU ${f(median(r.ours.map((x) => x.usPerEdit)) / median(r.stock.map((x) => x.usPerEdit)), 2)}×`,
  )
}
if (want('typing')) {
  const r = await interleaved(ROUNDS, (server) => typing(server, { keys: KEYS, employees: TYPING }))
  const line = (name: string, xs: Awaited<ReturnType<typeof typing>>[]) =>
    `  ${name.padEnd(10)} CPU ${xs.map((x) => f(x.usPerKey, 0)).join('/')} µs per keystroke  ${xs.map((x) => f(x.framesPerEmployee, 0)).join('/')} frames, ${xs.map((x) => f(x.kibPerEmployee, 2)).join('/')} KiB per employee  ${xs.map((x) => f(x.usPerFrame)).join('/')} µs per frame sent  all delivered in ${xs.map((x) => f(x.deliveredMs / 1000, 1)).join('/')} s`
  console.log(
    `typing: one champion, ${KEYS} keystrokes at 10/s, ${TYPING} employees (until each holds all, CPU once quiet)`,
  )
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
  console.log(
    `  ratio CPU per keystroke ${f(median(r.ours.map((x) => x.usPerKey)) / median(r.stock.map((x) => x.usPerKey)), 2)}×`,
  )
}
process.exit(0)
