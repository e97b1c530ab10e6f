/**
 * Nudge timing on synthetic audiences: `npx tsx tests/bench/nudges.ts`
 *
 * Each audience has a known weekly click density (peaks of 30 min σ on its days, plus a 10 %
 * daytime floor). The employee's history is 40 clicks drawn from it over the 4 weeks before the
 * run; then 4 weeks of one new item a day at 06:00 local (the simulator's default), LinkedIn only.
 * Three policies place the same nudges:
 * - learned: the app's NudgeService with the history (nudges:simulate's code path);
 * - priors alone: the same code with no clicks;
 * - fixed 09:00: every working day at 09:00 (EveryoneSocial's habit).
 * "Captured": the share of a day's audience clicks that fall in the 3 hours after a nudge,
 * averaged over nudges. Also: timer wake-ups per day of the nudge scheduler, and of a whole
 * joined core at rest on a simulated clock.
 */
import { Core } from '../../main/core/core'
import { SimulatedClock } from '../../main/core/lifecycle'
import type { Click } from '../../main/core/nudges/model'
import { NudgeSimulation } from '../../main/core/nudges/simulation'
import { instantOf, localTime, nextDay, weekdayOf } from '../../main/core/nudges/time'
import { fakeInvitation } from '../helpers/core'
import { tempDir } from '../helpers/process'

const ZONE = 'Europe/Paris'
const FROM = Date.parse('2026-03-02T00:00:00Z')
const DAY = 86_400_000
const WEEKS = 4
const HISTORY = 40

type Audience = { name: string; days: number[]; peaks: number[] }
const AUDIENCES: Audience[] = [
  { name: 'weekday mornings 08:00', days: [0, 1, 2, 3, 4], peaks: [8 * 60] },
  { name: 'weekday lunch 12:30', days: [0, 1, 2, 3, 4], peaks: [12 * 60 + 30] },
  { name: 'weekday evenings 21:00 (unusual)', days: [0, 1, 2, 3, 4], peaks: [21 * 60] },
  { name: 'mid-afternoon 15:00, Tue–Thu', days: [1, 2, 3], peaks: [15 * 60] },
  { name: 'two peaks 07:30 and 18:30', days: [0, 1, 2, 3, 4], peaks: [7 * 60 + 30, 18 * 60 + 30] },
]

/** Density per minute of the week (weekday 0 = Monday), summing to 1. */
function density(a: Audience): Float64Array {
  const d = new Float64Array(7 * 1440)
  for (let day = 0; day < 7; day++) {
    for (let m = 0; m < 1440; m++) {
      let v = m >= 7 * 60 && m < 22 * 60 ? 0.1 / (15 * 60 * 7) : 0
      if (a.days.includes(day)) {
        for (const p of a.peaks)
          v +=
            Math.exp(-(((m - p) / 30) ** 2) / 2) /
            (a.days.length * a.peaks.length * 30 * Math.sqrt(2 * Math.PI))
      }
      d[day * 1440 + m] = v
    }
  }
  let sum = 0
  for (const v of d) sum += v
  return d.map((v) => v / sum)
}

function minuteOfWeek(at: number): number {
  const t = localTime(at, ZONE)
  return t.weekday * 1440 + t.minute
}

function history(d: Float64Array, seed: number): Click[] {
  let s = seed
  const rand = () => {
    s = (s * 1_103_515_245 + 12_345) % 2 ** 31
    return s / 2 ** 31
  }
  const cdf: number[] = []
  let acc = 0
  for (const v of d) {
    acc += v
    cdf.push(acc)
  }
  const clicks: Click[] = []
  for (let i = 0; i < HISTORY; i++) {
    const u = rand()
    let lo = 0
    let hi = cdf.length - 1
    while (lo < hi) {
      const mid = (lo + hi) >> 1
      if ((cdf[mid] ?? 0) < u) lo = mid + 1
      else hi = mid
    }
    const week = 1 + Math.floor(rand() * WEEKS)
    // FROM is a Monday 00:00 UTC, i.e. 01:00 in Paris: close enough for a synthetic history.
    const day = localTime(FROM - week * 7 * DAY, ZONE).day
    const at = instantOf(nextDay(day, Math.floor(lo / 1440)), lo % 1440, ZONE)
    clicks.push({ network: 'linkedin', at })
  }
  return clicks
}

/** Share of a day's clicks (of that weekday) in the 3 hours after `at`. */
function captured(d: Float64Array, at: number): number {
  const start = minuteOfWeek(at)
  const dayTotal = d
    .slice(Math.floor(start / 1440) * 1440, Math.floor(start / 1440) * 1440 + 1440)
    .reduce((a, b) => a + b, 0)
  let got = 0
  for (let m = 0; m < 180; m++) got += d[(start + m) % (7 * 1440)] ?? 0
  return dayTotal > 0 ? got / dayTotal : 0
}

function simulate(clicks: Click[]): { times: number[]; wakeups: number } {
  const sim = new NudgeSimulation({
    clicks,
    zone: ZONE,
    from: FROM,
    days: WEEKS * 7,
    settings: { networks: ['linkedin'] },
  })
  sim.advance(WEEKS * 7 * DAY)
  const times = sim.shown.map((n) => Date.parse(n.at))
  // The simulator arms one timer per item arrival (new content); the rest are the scheduler's.
  const wakeups = sim.clock.fired - WEEKS * 7
  sim.close()
  return { times, wakeups }
}

function fixedNine(): number[] {
  const times: number[] = []
  let day = localTime(FROM, ZONE).day
  for (let i = 0; i < WEEKS * 7; i++, day = nextDay(day))
    if (weekdayOf(day) < 5) times.push(instantOf(day, 9 * 60, ZONE))
  return times
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length)

async function coreAtRest(): Promise<{ perDay: number; pending: number }> {
  const clock = new SimulatedClock(FROM)
  const core = await Core.open({ dataDir: tempDir('pv-bench-nudge-'), clock, joinWaitMs: 1 })
  const joining = core.join(fakeInvitation({ role: 'employee' }))
  clock.advance(1)
  await joining
  const before = clock.fired
  clock.advance(DAY)
  const perDay = clock.fired - before
  const pending = clock.pending
  await core.close()
  return { perDay, pending }
}

async function main(): Promise<void> {
  const rows: string[] = []
  const ratiosFixed: number[] = []
  const ratiosPriors: number[] = []
  let wakeups = 0
  let nudges = 0
  for (const [index, audience] of AUDIENCES.entries()) {
    const d = density(audience)
    const learned = simulate(history(d, 7 + index))
    const priors = simulate([])
    const cLearned = mean(learned.times.map((t) => captured(d, t)))
    const cPriors = mean(priors.times.map((t) => captured(d, t)))
    const cFixed = mean(fixedNine().map((t) => captured(d, t)))
    ratiosFixed.push(cLearned / cFixed)
    ratiosPriors.push(cLearned / cPriors)
    wakeups += learned.wakeups
    nudges += learned.times.length
    rows.push(
      `| ${audience.name} | ${(cLearned * 100).toFixed(1)} % | ${(cPriors * 100).toFixed(1)} % | ${(cFixed * 100).toFixed(1)} % | ${(cLearned / cFixed).toFixed(2)}× | ${(cLearned / cPriors).toFixed(2)}× |`,
    )
  }
  const rest = await coreAtRest()
  console.log(
    '| audience | learned | priors alone | fixed 09:00 | learned / fixed | learned / priors |',
  )
  console.log('| --- | --- | --- | --- | --- | --- |')
  for (const row of rows) console.log(row)
  console.log(
    `\ngeometric mean: learned/fixed ${geo(ratiosFixed).toFixed(2)}×, learned/priors ${geo(ratiosPriors).toFixed(2)}×`,
  )
  console.log(
    `nudge scheduler: ${(wakeups / (AUDIENCES.length * WEEKS * 7)).toFixed(2)} wake-ups/day for ${(nudges / (AUDIENCES.length * WEEKS * 7)).toFixed(2)} nudges/day`,
  )
  console.log(
    `joined core at rest (employee, relay unreachable, no items): ${rest.perDay} clock wake-ups/day; ${rest.pending} timer(s) armed before close`,
  )
}

const geo = (xs: number[]) => Math.exp(mean(xs.map((x) => Math.log(x))))

void main()
