/**
 * The typing scenario, shared by relay-scale.ts (one server: ours or stock) and relay-cluster.ts
 * (the employees spread over several relay nodes): a champion types `keys` keystrokes at 10/s to
 * `employees` read-only connections (ours merges their updates every --reader-fanout-ms). Done
 * once every employee holds every keystroke; server CPU from /proc, read once every server is
 * quiet, so every byte a server had to send is counted.
 */
import { readFileSync } from 'node:fs'
import * as decoding from 'lib0/decoding'
import * as Y from 'yjs'
import {
  cpuMs,
  eachThread,
  openObservers,
  type Server,
  sleep,
  until,
  Writer,
} from './relay-scale-harness'

export type TypingOptions = {
  keys: number
  employees: number
  /** The servers the employees are spread over, one in turn (default: the writer's alone). */
  spread?: Server[]
  /**
   * Measure each server's CPU for this long first, employees connected and nobody typing
   * (timers, a cluster node's stream reads): `netUsPerKey` is then net of it. Default 0.
   */
  idleMs?: number
}

/**
 * Server CPU of each process once all are quiet: sampled every 250 ms until a sample adds at most
 * one 10 ms tick per process (work a burst left queued, e.g. a backlog of sends or a merge timer,
 * is counted), at most 15 s.
 */
export async function cpuWhenQuiet(pids: number[]): Promise<number[]> {
  let last = pids.map(cpuMs)
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline) {
    await sleep(250)
    const now = pids.map(cpuMs)
    if (now.every((v, i) => v - (last[i] ?? 0) <= 10)) return now
    last = now
  }
  return last
}

/**
 * Run time of each thread of `pid` by name (threads of one name summed), ms, from schedstat:
 * nanoseconds, where /proc's utime and stime count 10 ms ticks (a typing window is ~200 ms).
 */
export function threadRunMs(pid: number): Map<string, number> {
  const out = new Map<string, number>()
  eachThread(pid, (name, dir) => {
    const ns = Number(readFileSync(`${dir}/schedstat`, 'utf8').split(' ')[0])
    out.set(name, (out.get(name) ?? 0) + ns / 1e6)
  })
  return out
}

export async function typing(writerServer: Server, o: TypingOptions) {
  const spread = o.spread ?? [writerServer]
  const room = `typing-${Date.now()}`
  const writer = new Writer(await writerServer.url(room))
  await writer.ready
  // A member per 1,000 connections (our relay caps sockets per member at 1,000).
  const urls: string[] = []
  for (let i = 0; i < o.employees; i++) {
    const server = spread[i % spread.length] as Server
    urls.push(await server.url(room, 1 + Math.floor(i / 1000), 'employee'))
  }
  const employees = await openObservers(urls)
  // Per employee: the writer's highest clock it received (read from each update's own header,
  // whether one keystroke or a merge), and the update bytes it received while typing.
  const writerId = writer.doc.clientID
  const seen = new Array<number>(employees.length).fill(0)
  const bytes = new Array<number>(employees.length).fill(0)
  let counting = false
  employees.forEach((e, i) => {
    e.ws.on('message', (data: Buffer) => {
      // sync (0), update (2): the update's payload follows.
      if (data[0] !== 0 || data[1] !== 2) return
      if (counting) bytes[i] = (bytes[i] ?? 0) + data.byteLength
      const d = decoding.createDecoder(new Uint8Array(data))
      decoding.readVarUint(d)
      decoding.readVarUint(d)
      const clock = Y.parseUpdateMeta(decoding.readVarUint8Array(d)).to.get(writerId) ?? 0
      if (clock > (seen[i] ?? 0)) seen[i] = clock
    })
  })
  await sleep(500)
  const pids = spread.map((s) => s.pid)
  const idleMs = o.idleMs ?? 0
  const idle0 = pids.map(cpuMs)
  if (idleMs > 0) await sleep(idleMs)
  const idlePerS = pids.map((pid, i) =>
    idleMs > 0 ? ((cpuMs(pid) - (idle0[i] ?? 0)) * 1000) / idleMs : 0,
  )
  const frames0 = employees.reduce((n, e) => n + e.updates, 0)
  counting = true
  const cpu0 = pids.map(cpuMs)
  const run0 = pids.map(threadRunMs)
  const t0 = performance.now()
  for (let i = 0; i < o.keys; i++) {
    writer.edit()
    await sleep(100)
  }
  const final = Y.getState(writer.doc.store, writerId)
  await until('every keystroke at every employee', () => seen.every((c) => c >= final))
  const deliveredMs = performance.now() - t0
  const cpu = (await cpuWhenQuiet(pids)).map((ms, i) => ms - (cpu0[i] ?? 0))
  // Main thread and the rest (V8's GC and compiler threads, libuv's pool), per keystroke.
  const threadUsPerKey = pids.map((pid, i) => {
    const before = run0[i] ?? new Map<string, number>()
    let main = 0
    let others = 0
    for (const [name, ms] of threadRunMs(pid)) {
      const us = ((ms - (before.get(name) ?? 0)) * 1000) / o.keys
      if (name === 'main') main += us
      else others += us
    }
    return { main, others }
  })
  const seconds = (performance.now() - t0) / 1000
  const frames = (employees.reduce((n, e) => n + e.updates, 0) - frames0) / employees.length
  for (const c of [writer, ...employees]) c.close()
  const total = cpu.reduce((a, b) => a + b, 0)
  return {
    /** In all (every server in `spread`). */
    usPerKey: (total * 1000) / o.keys,
    /** Per server of `spread`, in its order. */
    usPerKeyByServer: cpu.map((ms) => (ms * 1000) / o.keys),
    /** Per server, net of its idle CPU over the same time (= usPerKeyByServer without idleMs). */
    netUsPerKeyByServer: cpu.map((ms, i) => ((ms - (idlePerS[i] ?? 0) * seconds) * 1000) / o.keys),
    idleMsPerS: idlePerS,
    /** Per server: run time (schedstat) of its main thread and of its other threads, per key. */
    threadUsPerKey,
    framesPerEmployee: frames,
    kibPerEmployee: bytes.reduce((a, b) => a + b, 0) / employees.length / 1024,
    usPerFrame: (total * 1000) / (frames * employees.length),
    deliveredMs,
  }
}
