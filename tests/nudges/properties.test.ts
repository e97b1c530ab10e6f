import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import type { Nudge } from '../../common/contract/api'
import type { Network } from '../../common/model/networks'
import { capOf, type NudgeSettings } from '../../common/nudges/settings'
import type { Click } from '../../main/core/nudges/model'
import { inQuietHours } from '../../main/core/nudges/plan'
import { NudgeSimulation, type Reaction, type SimItem } from '../../main/core/nudges/simulation'
import { localTime } from '../../main/core/nudges/time'
import { prng } from '../helpers/prng'

const DAY = 86_400_000
const ZONES = ['Europe/Paris', 'America/New_York', 'Asia/Tokyo', 'UTC'] as const
const NETS: Network[] = ['linkedin', 'x', 'facebook', 'bluesky']
// Around the 2026 daylight-saving changes of Europe (29 March, 25 October) and the US (8 March, 1 November).
const STARTS = ['2026-03-02T00:00:00Z', '2026-10-12T00:00:00Z', '2026-06-01T00:00:00Z']

const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 15, 30, 45))
  .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`)

const scenario = fc.record({
  zone: fc.constantFrom(...ZONES),
  movesTo: fc.option(fc.constantFrom(...ZONES), { nil: null }),
  start: fc.constantFrom(...STARTS),
  networks: fc.subarray(NETS, { minLength: 1 }),
  quiet: fc.option(fc.record({ start: clock, end: clock }), { nil: null }),
  workingDays: fc.subarray([0, 1, 2, 3, 4, 5, 6], { minLength: 1 }),
  caps: fc.record({ linkedin: fc.integer({ min: 0, max: 2 }), x: fc.integer({ min: 0, max: 3 }) }),
  minGapMinutes: fc.constantFrom(0, 30, 120, 240),
  clickHours: fc.array(fc.integer({ min: 0, max: 23 }), { maxLength: 4 }),
  clickCount: fc.integer({ min: 0, max: 80 }),
  itemsPerDay: fc.integer({ min: 0, max: 3 }),
  seed: fc.integer(),
  reactions: fc.array(
    fc.constantFrom<Reaction>(
      null,
      'opened',
      'shared',
      'dismissed',
      { later: 'hour' },
      { later: 'evening' },
      { later: 'tomorrow' },
    ),
    { minLength: 1, maxLength: 8 },
  ),
  sleepAtDay: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
  sleepHours: fc.integer({ min: 1, max: 60 }),
  pauseAtDay: fc.option(fc.integer({ min: 1, max: 30 }), { nil: null }),
})

/** Items of every kind: published or not, expiring, with campaign deadlines, some already stale. */
function makeItems(from: number, days: number, perDay: number, seed: number): SimItem[] {
  const rand = prng(seed)
  const items: SimItem[] = []
  for (let d = 0; d < days; d++) {
    for (let k = 0; k < perDay; k++) {
      const publishAt = from + d * DAY + Math.floor(rand() * DAY)
      const r = rand()
      items.push({
        id: `item_${d}_${k}`,
        publishAt: new Date(publishAt).toISOString(),
        status: r < 0.15 ? 'archived' : r < 0.25 ? 'draft' : 'published',
        expiresAt: rand() < 0.3 ? new Date(publishAt + rand() * 3 * DAY).toISOString() : null,
        deadline: rand() < 0.2 ? new Date(publishAt + rand() * 4 * DAY).toISOString() : null,
        priority: Math.floor(rand() * 100),
      })
    }
  }
  return items
}

function makeClicks(
  from: number,
  count: number,
  hours: number[],
  networks: Network[],
  seed: number,
): Click[] {
  const rand = prng(seed ^ 0x5bd1e995)
  const clicks: Click[] = []
  for (let i = 0; i < count; i++) {
    const day = Math.floor(rand() * 56) - 28
    const hour = hours.length > 0 ? (hours[i % hours.length] ?? 0) : Math.floor(rand() * 24)
    clicks.push({
      network: networks[i % networks.length] ?? 'linkedin',
      at: from + day * DAY + hour * 3_600_000 + Math.floor(rand() * 3_600_000),
    })
  }
  return clicks
}

type Shown = {
  nudge: Nudge
  zone: string
  at: number
  paused: boolean
  snoozedUntil: number | null
}

describe('the nudge scheduler over simulated months (fast-check)', () => {
  let totalShown = 0
  let runsWithNudges = 0
  it('never breaks quiet hours, working days, caps, gap, snooze, pause; never a shared, expired, unpublished or repeated item; no burst after sleep', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const days = 45
        const from = Date.parse(s.start)
        const nudges: NudgeSettings = {
          workingDays: s.workingDays,
          caps: s.caps,
          minGapMinutes: s.minGapMinutes,
        }
        const items = makeItems(from, days, s.itemsPerDay, s.seed)
        let reactionIndex = 0
        const shown: Shown[] = []
        let snoozedUntil: number | null = null
        let paused = false
        const sim: NudgeSimulation = new NudgeSimulation({
          clicks: makeClicks(from, s.clickCount, s.clickHours, s.networks, s.seed),
          zone: s.zone,
          from,
          days,
          items,
          memberId: `mem_${s.seed}`,
          settings: { networks: s.networks, quietHours: s.quiet, nudges },
          react: (nudge) => {
            const sharedBefore = sim.sharedItems().has(nudge.itemId)
            expect(sharedBefore, `${nudge.itemId} was already shared`).toBe(false)
            shown.push({
              nudge,
              zone: sim.timeZone,
              at: Date.parse(nudge.at),
              paused,
              snoozedUntil,
            })
            const reaction = s.reactions[reactionIndex++ % s.reactions.length] ?? null
            return reaction
          },
        })
        const original = sim.service.later.bind(sim.service)
        sim.service.later = (id, kind) => {
          const result = original(id, kind)
          snoozedUntil = Date.parse(result.snoozedUntil)
          return result
        }
        let wokeAt: number | null = null
        try {
          for (let day = 0; day < days; day++) {
            if (s.sleepAtDay === day) {
              sim.advance(10 * 3_600_000)
              sim.sleep(s.sleepHours * 3_600_000)
              wokeAt = sim.clock.now()
              sim.advance(14 * 3_600_000)
              continue
            }
            if (s.pauseAtDay === day) {
              paused = true
              sim.updateSettings({ nudgesPaused: true })
            }
            if (s.pauseAtDay !== null && day === s.pauseAtDay + 3) {
              paused = false
              sim.updateSettings({ nudgesPaused: false })
            }
            if (day === 20 && s.movesTo) sim.moveTo(s.movesTo)
            sim.advance(DAY)
          }
          totalShown += shown.length
          if (shown.length > 0) runsWithNudges++
          const byId = sim.itemsById()
          const seenItems = new Map<string, Shown[]>()
          const perDay = new Map<string, number>()
          let previous: Shown | null = null
          for (const entry of shown) {
            const { nudge, zone, at } = entry
            const local = localTime(at, zone)
            expect(entry.paused, 'nudged while paused').toBe(false)
            expect(
              inQuietHours(s.quiet, local.minute),
              `${nudge.at} in quiet hours ${JSON.stringify(s.quiet)} (${zone})`,
            ).toBe(false)
            expect(s.workingDays, `${nudge.at} is not a working day in ${zone}`).toContain(
              local.weekday,
            )
            if (entry.snoozedUntil !== null) expect(at).toBeGreaterThanOrEqual(entry.snoozedUntil)
            const item = byId.get(nudge.itemId)
            expect(item?.status).toBe('published')
            if (!item) continue
            expect(item.availableAt).toBeLessThanOrEqual(at)
            if (item.expiresAt !== null) expect(item.expiresAt).toBeGreaterThan(at)
            if (item.deadline !== null) expect(item.deadline).toBeGreaterThan(at)
            const key = `${nudge.network}\n${local.day}`
            perDay.set(key, (perDay.get(key) ?? 0) + 1)
            expect(perDay.get(key)).toBeLessThanOrEqual(capOf(nudges, nudge.network))
            const before = seenItems.get(nudge.itemId) ?? []
            // Only "Later" brings an item back, and only once.
            if (before.length > 0) {
              expect(before.length).toBe(1)
              expect(sim.service.store.get(before[0]?.nudge.id ?? '')?.outcome).toBe('snoozed')
            }
            seenItems.set(nudge.itemId, [...before, entry])
            if (previous) expect(at - previous.at).toBeGreaterThanOrEqual(s.minGapMinutes * 60_000)
            previous = entry
          }
          // After a sleep: recomputed, not replayed. What was due while asleep comes at most once.
          const woke = wokeAt as number | null
          if (woke !== null) {
            const burst = shown.filter((e) => e.at >= woke && e.at < woke + 60_000)
            expect(burst.length).toBeLessThanOrEqual(1)
          }
        } finally {
          sim.close()
        }
      }),
      { numRuns: 25, seed: 20_261_201 },
    )
    // The properties held over real schedules, not over silence.
    expect(runsWithNudges).toBeGreaterThanOrEqual(10)
    expect(totalShown).toBeGreaterThanOrEqual(200)
  })

  it('sends nothing when nothing is new', () => {
    const from = Date.parse('2026-03-02T00:00:00Z')
    const sim = new NudgeSimulation({ clicks: [], zone: 'Europe/Paris', from, items: [] })
    sim.advance(30 * DAY)
    expect(sim.shown).toEqual([])
    // Nothing to plan: no timer armed at all.
    expect(sim.clock.pending).toBe(0)
    sim.close()
  })

  it('after a long sleep, the missed plan is not replayed: one nudge on waking at most, the rest replanned', () => {
    const from = Date.parse('2026-03-02T00:00:00Z') // a Monday
    const items: SimItem[] = Array.from({ length: 6 }, (_, i) => ({
      id: `item_s${i}`,
      publishAt: new Date(from + i * 3_600_000).toISOString(),
    }))
    const sim = new NudgeSimulation({
      clicks: [],
      zone: 'Europe/Paris',
      from,
      items,
      settings: {
        networks: ['x'],
        nudges: { workingDays: [0, 1, 2, 3, 4], caps: { x: 3 }, minGapMinutes: 60 },
      },
    })
    sim.advance(5 * 3_600_000) // 06:00 Paris, before the morning window
    sim.sleep(12 * 3_600_000) // asleep through the morning and lunch windows
    const woke = sim.clock.now()
    sim.advance(0)
    sim.advance(12 * 3_600_000)
    const afterWake = sim.shown.filter((n) => Date.parse(n.at) >= woke)
    expect(afterWake.filter((n) => Date.parse(n.at) < woke + 60_000).length).toBeLessThanOrEqual(1)
    for (let i = 1; i < afterWake.length; i++) {
      expect(
        Date.parse(afterWake[i]?.at ?? '') - Date.parse(afterWake[i - 1]?.at ?? ''),
      ).toBeGreaterThanOrEqual(60 * 60_000)
    }
    sim.close()
  })
})
