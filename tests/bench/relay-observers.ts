/**
 * 1 writer → OBSERVERS observers (default 5,000), Porte-voix vs the stock @y/websocket-server
 * 0.1.1, interleaved rounds (tests/bench/relay-scale-harness.ts): the observers live in CHILDREN
 * child processes (default 4; one process could not take 5,000 sockets' deliveries in time), the
 * writer in this one. Server CPU from /proc/<pid>/stat over the edits; latency from the writer's
 * send to each observer's arrival, both on the epoch clock (performance.timeOrigin + now()).
 *
 *   ROUNDS=2 OBSERVERS=5000 EDITS=100 npx tsx tests/bench/relay-observers.ts
 */
import { type ChildProcess, fork } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import {
  cpuMs,
  interleaved,
  median,
  type Observer,
  openObservers,
  percentile,
  type Server,
  sleep,
  Writer,
} from './relay-scale-harness'

const ROUNDS = Number(process.env.ROUNDS ?? 2)
const OBSERVERS = Number(process.env.OBSERVERS ?? 5000)
const EDITS = Number(process.env.EDITS ?? 100)
const CHILDREN = Number(process.env.CHILDREN ?? 4)
/** Edits per second of the writer (one frame each). */
const RATE = Number(process.env.RATE ?? 10)

const epoch = () => performance.timeOrigin + performance.now()

type ToChild = { kind: 'open'; urls: string[] } | { kind: 'report' } | { kind: 'close' }
type FromChild =
  | { kind: 'ready' }
  | { kind: 'count'; updates: number }
  | { kind: 'report'; arrivals: [number, number][] }

if (process.argv.includes('--child')) {
  // A child: open the observers it is given, note every update's arrival, report on request.
  let observers: Observer[] = []
  const arrivals: [number, number][] = []
  const reply = (message: FromChild) => process.send?.(message)
  process.on('message', async (message: ToChild) => {
    if (message.kind === 'open') {
      observers = await openObservers(message.urls, 50)
      for (const o of observers)
        o.onUpdate = (now, index) => arrivals.push([index, performance.timeOrigin + now])
      reply({ kind: 'ready' })
    } else if (message.kind === 'report') {
      reply({ kind: 'report', arrivals })
    } else {
      for (const o of observers) o.close()
      process.exit(0)
    }
  })
} else {
  const self = fileURLToPath(import.meta.url)

  function ask(child: ChildProcess, message: ToChild, want: FromChild['kind']): Promise<FromChild> {
    return new Promise((done) => {
      const onMessage = (reply: FromChild) => {
        if (reply.kind !== want) return
        child.off('message', onMessage)
        done(reply)
      }
      child.on('message', onMessage)
      child.send(message)
    })
  }

  async function observers(server: Server) {
    const room = `observers-${Date.now()}`
    const writer = new Writer(await server.url(room))
    await writer.ready
    // Our relay caps sockets per member at 1,000: a member per 1,000 observers.
    const urls: string[] = []
    for (let i = 0; i < OBSERVERS; i++)
      urls.push(await server.url(room, 1 + Math.floor(i / 1000), 'champion'))
    const children = Array.from({ length: CHILDREN }, () =>
      fork(self, ['--child'], { execArgv: ['--import', 'tsx'], stdio: 'ignore' }),
    )
    const share = Math.ceil(OBSERVERS / CHILDREN)
    // One child's batch at a time: a connection storm would measure the backlog.
    for (const [i, child] of children.entries())
      await ask(child, { kind: 'open', urls: urls.slice(i * share, (i + 1) * share) }, 'ready')
    await sleep(1000)
    const sentAt: number[] = []
    const cpu0 = cpuMs(server.pid)
    for (let i = 0; i < EDITS; i++) {
      sentAt.push(epoch())
      writer.edit()
      await sleep(1000 / RATE)
    }
    let arrivals: [number, number][] = []
    // Polled through the children until every delivery arrived (or 3 minutes: reported short).
    const deadline = Date.now() + 180_000
    for (;;) {
      const reports = await Promise.all(children.map((c) => ask(c, { kind: 'report' }, 'report')))
      arrivals = reports.flatMap((r) => (r.kind === 'report' ? r.arrivals : []))
      if (arrivals.length >= EDITS * OBSERVERS || Date.now() > deadline) break
      await sleep(500)
    }
    const cpu = cpuMs(server.pid) - cpu0
    for (const child of children) child.send({ kind: 'close' } satisfies ToChild)
    writer.close()
    const latencies = arrivals.map(([index, at]) => at - (sentAt[index] ?? at))
    return {
      delivered: arrivals.length / (EDITS * OBSERVERS),
      p50: percentile(latencies, 50),
      p95: percentile(latencies, 95),
      usPerDelivery: (cpu * 1000) / arrivals.length,
    }
  }

  const f = (n: number, d = 1) => n.toFixed(d)
  console.log(
    `relay-observers (node ${process.version}): 1 writer → ${OBSERVERS} observers in ${CHILDREN} processes, ${EDITS} edits at ${RATE}/s, ${ROUNDS} interleaved rounds`,
  )
  const r = await interleaved(ROUNDS, observers)
  const line = (name: string, xs: Awaited<ReturnType<typeof observers>>[]) =>
    `  ${name.padEnd(10)} p50 ${xs.map((x) => f(x.p50)).join('/')} ms  p95 ${xs.map((x) => f(x.p95)).join('/')} ms  CPU ${xs.map((x) => f(x.usPerDelivery, 2)).join('/')} µs per delivery  delivered ${xs.map((x) => f(100 * x.delivered, 1)).join('/')} %`
  console.log(line('porte-voix', r.ours))
  console.log(line('stock', r.stock))
  console.log(
    `  ratio CPU ${f(median(r.ours.map((x) => x.usPerDelivery)) / median(r.stock.map((x) => x.usPerDelivery)), 2)}×`,
  )
  process.exit(0)
}
