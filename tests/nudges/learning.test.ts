import { describe, expect, it } from 'vitest'
import type { Network } from '../../common/model/networks'
import type { Click } from '../../main/core/nudges/model'
import { NudgeSimulation, type Reaction } from '../../main/core/nudges/simulation'
import { instantOf, localTime, nextDay, weekdayOf } from '../../main/core/nudges/time'

const ZONE = 'Europe/Paris'
const FROM = Date.parse('2026-03-02T00:00:00Z') // Monday
const DAY = 86_400_000

/** `count` clicks on weekdays before FROM, around `minute` local (± 20 min), newest first. */
function audience(network: Network, minute: number, count: number): Click[] {
  const clicks: Click[] = []
  let day = localTime(FROM - DAY, ZONE).day
  let i = 0
  while (clicks.length < count) {
    if (weekdayOf(day) < 5) {
      const jitter = ((i * 17) % 41) - 20
      clicks.push({ network, at: instantOf(day, minute + jitter, ZONE) })
      if (clicks.length < count) {
        clicks.push({ network, at: instantOf(day, minute + ((i * 7) % 21) - 10, ZONE) })
      }
      i++
    }
    day = nextDay(day, -1)
  }
  return clicks
}

function run(o: {
  network: Network
  clicks: Click[]
  days?: number
  react?: (n: unknown) => Reaction
  memberId?: string
}) {
  const sim = new NudgeSimulation({
    clicks: o.clicks,
    zone: ZONE,
    from: FROM,
    days: o.days ?? 14,
    settings: { networks: [o.network] },
    ...(o.memberId ? { memberId: o.memberId } : {}),
    ...(o.react ? { react: o.react } : {}),
  })
  sim.advance((o.days ?? 14) * DAY)
  const minutes = sim.shown.map((n) => localTime(Date.parse(n.at), ZONE).minute)
  const shown = [...sim.shown]
  sim.close()
  return { minutes, shown }
}

const within = (minutes: number[], from: number, to: number) =>
  minutes.filter((m) => m >= from && m <= to).length / Math.max(1, minutes.length)

describe('learning when the audience is there', () => {
  for (const peak of [
    { network: 'linkedin' as const, minute: 21 * 60, label: 'LinkedIn, weekdays 21:00 (unusual)' },
    { network: 'x' as const, minute: 15 * 60, label: 'X, weekdays 15:00' },
  ]) {
    it(`${peak.label}: the chosen times move into the peak within a bounded number of clicks`, () => {
      // Shortly before the peak (clicks come after the post), never long after it.
      const inPeak = (minutes: number[]) => within(minutes, peak.minute - 120, peak.minute + 15)
      const before = run({ network: peak.network, clicks: [] })
      expect(before.minutes.length).toBeGreaterThan(5)
      expect(inPeak(before.minutes)).toBeLessThan(0.5)
      let needed: number | null = null
      for (const count of [5, 10, 20, 30, 40, 60]) {
        const after = run({
          network: peak.network,
          clicks: audience(peak.network, peak.minute, count),
        })
        if (after.minutes.length > 5 && inPeak(after.minutes) >= 0.8) {
          needed = count
          break
        }
      }
      expect(needed, 'clicks needed before the nudges follow the audience').not.toBeNull()
      expect(needed).toBeLessThanOrEqual(40)
    })
  }

  it('with no clicks, the priors decide (the B2B rhythm and published ranges)', () => {
    const { minutes, shown } = run({ network: 'linkedin', clicks: [] })
    expect(shown.length).toBeGreaterThan(5)
    // Before office hours, late morning, lunch or early evening: the prior's windows.
    const inPriors = minutes.filter(
      (m) => (m >= 6 * 60 + 30 && m < 13 * 60 + 30) || (m >= 16 * 60 + 30 && m < 20 * 60),
    )
    expect(inPriors.length).toBe(minutes.length)
    expect(shown.every((n) => n.why.code === 'prior')).toBe(true)
  })

  it('nudges dismissed at an hour stop coming at that hour', () => {
    const first = run({ network: 'linkedin', clicks: [], days: 7 })
    const hour = (m: number) => Math.floor(m / 60)
    const usual = hour(first.minutes[0] ?? 0)
    const later = run({ network: 'linkedin', clicks: [], days: 35, react: () => 'dismissed' })
    const lastWeeks = later.minutes.slice(-8).map(hour)
    expect(lastWeeks.filter((h) => h === usual).length).toBeLessThan(lastWeeks.length / 2)
  })

  it('staggers 100 colleagues over their good window instead of one minute', () => {
    const clicks = audience('linkedin', 21 * 60, 40)
    const firstNudges = Array.from({ length: 100 }, (_, i) => {
      const { shown } = run({ network: 'linkedin', clicks, days: 1, memberId: `mem_colleague${i}` })
      return shown[0] ? Date.parse(shown[0].at) : null
    }).filter((at): at is number => at !== null)
    expect(firstNudges.length).toBe(100)
    const distinctMinutes = new Set(firstNudges.map((at) => Math.floor(at / 60_000)))
    const span = Math.max(...firstNudges) - Math.min(...firstNudges)
    expect(distinctMinutes.size).toBeGreaterThanOrEqual(25)
    expect(span).toBeGreaterThanOrEqual(30 * 60_000)
    // Still within the good window before the 21:00 peak.
    for (const at of firstNudges) {
      const m = localTime(at, ZONE).minute
      expect(m).toBeGreaterThanOrEqual(21 * 60 - 150)
      expect(m).toBeLessThanOrEqual(21 * 60 + 15)
    }
    // No single minute holds more than a tenth of the colleagues.
    const perMinute = new Map<number, number>()
    for (const at of firstNudges)
      perMinute.set(Math.floor(at / 60_000), (perMinute.get(Math.floor(at / 60_000)) ?? 0) + 1)
    expect(Math.max(...perMinute.values())).toBeLessThanOrEqual(10)
  })
})
