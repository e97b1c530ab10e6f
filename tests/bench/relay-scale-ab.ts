/**
 * The busy-rooms scenario of relay-scale.ts (ROOMS busy rooms, a writer at 2 edits/s and an
 * observer each, ROOMS_SECONDS), with SEVERAL configurations of our relay and stock interleaved in
 * one run (order reversed every other round), so that two relay flags are compared under the
 * same load — e.g. the update journal off and on (issue 11.3, BENCHMARKS.md session 7):
 *
 *   BENCH_REF=tree ROUNDS=2 CONFIGS='off|--update-journal on|stock' npx tsx tests/bench/relay-scale-ab.ts
 *
 * CONFIGS: `|`-separated; `off` is the relay with no extra flag, `stock` the stock server, any
 * other entry the relay's flags. Prints CPU per edit (server CPU from /proc) and p99 per round.
 */
import {
  cpuMs,
  Observer,
  percentile,
  type Server,
  sleep,
  startPorteVoix,
  startStock,
  until,
  Writer,
} from './relay-scale-harness'

const ROOMS = Number(process.env.ROOMS ?? 500)
const SECONDS = Number(process.env.ROOMS_SECONDS ?? 20)
async function rooms(server: Server) {
  const stamp = Date.now()
  const pairs: { writer: Writer; observer: Observer; sentAt: number[] }[] = []
  const latencies: number[] = []
  for (let i = 0; i < ROOMS; i += 50) {
    const group: (typeof pairs)[number][] = []
    for (let j = i; j < Math.min(ROOMS, i + 50); j++) {
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
  const cpu0 = cpuMs(server.pid)
  const ticks = SECONDS * 2
  const perSlot = Math.max(1, Math.ceil(ROOMS / 50))
  for (let tick = 0; tick < ticks; tick++)
    for (let slot = 0; slot < ROOMS; slot += perSlot) {
      for (const p of pairs.slice(slot, slot + perSlot)) {
        p.sentAt.push(performance.now())
        p.writer.edit()
      }
      await sleep(10)
    }
  await until('every edit at its observer', () => latencies.length >= ticks * ROOMS)
  const cpu = cpuMs(server.pid) - cpu0
  for (const p of pairs) {
    p.writer.close()
    p.observer.close()
  }
  return { p99: percentile(latencies, 99), us: (cpu * 1000) / (ticks * ROOMS) }
}
async function main() {
  const configs = (process.env.CONFIGS ?? 'off|--update-journal on|stock').split('|')
  const rounds = Number(process.env.ROUNDS ?? 2)
  const res = new Map<string, string[]>()
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? configs : [...configs].reverse()
    for (const c of order) {
      const server =
        c === 'stock' ? await startStock() : await startPorteVoix(c === 'off' ? [] : c.split(' '))
      try {
        const x = await rooms(server)
        res.set(c, [...(res.get(c) ?? []), `${x.us.toFixed(1)}µs p99 ${x.p99.toFixed(0)}`])
        console.log(new Date().toISOString().slice(11, 19), c, x.us.toFixed(1))
      } finally {
        await server.stop()
      }
    }
  }
  for (const [c, v] of res) console.log(c.padEnd(24), v.join(' / '))
}
void main()
