/**
 * The busy-rooms scenario of relay-scale.ts (ROOMS busy rooms, a writer at 2 edits/s and an
 * observer each, ROOMS_SECONDS), with SEVERAL configurations of our relay and stock interleaved in
 * one run (order reversed every other round), so that two relay flags are compared under the
 * same load — e.g. the update journal on (the default) and off (issue 11.3, BENCHMARKS.md session 7):
 *
 *   BENCH_REF=tree ROUNDS=2 CONFIGS='default|--update-journal off|stock' npx tsx tests/bench/relay-scale-ab.ts
 *
 * CONFIGS: `|`-separated; `default` is the relay with no extra flag, `stock` the stock server, any
 * other entry the relay's flags; an entry starting `@<commit>` (or `@tree`) is the relay built from
 * that commit, with the flags after it — before and after a change in one run, with stock:
 *
 *   ROUNDS=3 CONFIGS='@1791841|@HEAD|stock' npx tsx tests/bench/relay-scale-ab.ts
 *
 * A word `node:<flag>` gives Node that flag for that server, ours or stock's (both alike: e.g.
 * CONFIGS='default|default node:--max-semi-space-size=32|stock|stock node:--max-semi-space-size=32').
 *
 * Prints CPU per edit (server CPU from /proc) and p99 per round.
 */
import { busyRooms, loadAverage, startPorteVoix, startStock } from './relay-scale-harness'

const ROOMS = Number(process.env.ROOMS ?? 500)
const SECONDS = Number(process.env.ROOMS_SECONDS ?? 20)
async function main() {
  const configs = (process.env.CONFIGS ?? 'default|--update-journal off|stock').split('|')
  const rounds = Number(process.env.ROUNDS ?? 2)
  const res = new Map<string, string[]>()
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? configs : [...configs].reverse()
    for (const c of order) {
      // `node:<flag>` words are Node's flags for that server (stock too); the rest the relay's.
      const words = c.split(' ').filter(Boolean)
      const nodeArgs = words.filter((w) => w.startsWith('node:')).map((w) => w.slice(5))
      const [first = '', ...flags] = words.filter((w) => !w.startsWith('node:'))
      const server =
        first === 'stock'
          ? await startStock(nodeArgs)
          : first.startsWith('@')
            ? await startPorteVoix(flags, first.slice(1), nodeArgs)
            : await startPorteVoix(
                first === 'default' ? flags : [first, ...flags],
                undefined,
                nodeArgs,
              )
      try {
        const x = await busyRooms(server, ROOMS, SECONDS)
        res.set(c, [...(res.get(c) ?? []), `${x.usPerEdit.toFixed(1)}µs p99 ${x.p99.toFixed(0)}`])
        console.log(
          new Date().toISOString().slice(11, 19),
          c,
          x.usPerEdit.toFixed(1),
          `p99 ${x.p99.toFixed(0)}`,
          loadAverage(),
          // BENCH_THREADS=1: user+sys µs per edit of each of the server's threads.
          process.env.BENCH_THREADS ? JSON.stringify(x.threads) : '',
        )
        // The server's log (BENCH_SERVER_LOG) and the edit window within it.
        if (process.env.BENCH_SERVER_LOG)
          console.log(
            `  log ${process.env.BENCH_SERVER_LOG}.${server.pid}.log`,
            x.window.from,
            x.window.to,
          )
      } finally {
        await server.stop()
      }
    }
  }
  for (const [c, v] of res) console.log(c.padEnd(24), v.join(' / '))
}
void main()
