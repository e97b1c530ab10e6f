import { describe, expect, it } from 'vitest'
import { buildModel, type Click, MODEL } from '../../main/core/nudges/model'
import { priorCurve } from '../../main/core/nudges/priors'
import {
  instantOf,
  localTime,
  nextDay,
  SLOTS_PER_DAY,
  weekdayOf,
} from '../../main/core/nudges/time'

/**
 * The audience model's three dials, each on its own (issue 10.1): old clicks fade (decay), a few
 * clicks barely move the prior while many take over (shrinkage by evidence), and the best time to
 * post comes shortly before the audience's peak, not in it (the post→click lag).
 */
const ZONE = 'Europe/Paris'
const NOW = Date.parse('2026-06-01T04:00:00Z') // a Monday, before the day's slots
const DAY = 86_400_000

/** `count` weekday clicks at `minute` local, on the weekdays ending `daysAgo` days before NOW. */
function habit(minute: number, count: number, daysAgo: number): Click[] {
  const clicks: Click[] = []
  let day = localTime(NOW - daysAgo * DAY, ZONE).day
  while (clicks.length < count) {
    if (weekdayOf(day) < 5) clicks.push({ network: 'linkedin', at: instantOf(day, minute, ZONE) })
    day = nextDay(day, -1)
  }
  return clicks
}

/** The minute of the day with the highest weekday total of `values`. */
function peakMinute(values: Float64Array): number {
  const byDaySlot = new Float64Array(SLOTS_PER_DAY)
  for (let day = 0; day < 7; day++) {
    for (let s = 0; s < SLOTS_PER_DAY; s++) {
      byDaySlot[s] = (byDaySlot[s] ?? 0) + (values[day * SLOTS_PER_DAY + s] ?? 0)
    }
  }
  let best = 0
  for (let s = 1; s < SLOTS_PER_DAY; s++) if ((byDaySlot[s] ?? 0) > (byDaySlot[best] ?? 0)) best = s
  return (best * 24 * 60) / SLOTS_PER_DAY
}

function distance(a: Float64Array, b: Float64Array): number {
  let total = 0
  for (let i = 0; i < a.length; i++) total += Math.abs((a[i] ?? 0) - (b[i] ?? 0))
  return total / 2
}

describe('the audience model', () => {
  it('lets old clicks fade: a recent evening habit beats a larger one from half a year ago', () => {
    const old = habit(8 * 60, 60, 180) // 60 clicks at 08:00, six months ago
    const recent = habit(20 * 60, 20, 1) // 20 clicks at 20:00, the last four weeks
    const model = buildModel({
      network: 'linkedin',
      zone: ZONE,
      now: NOW,
      clicks: [...old, ...recent],
    })
    expect(peakMinute(model.curve)).toBeGreaterThanOrEqual(19 * 60)
    expect(peakMinute(model.curve)).toBeLessThanOrEqual(21 * 60)
    // Without decay the old habit would count three times as much: it is worth far less now.
    const oldWeight = 0.5 ** (180 / MODEL.halfLifeDays)
    expect(model.evidence).toBeLessThan(20 + 60 * oldWeight * 1.5)
    expect(model.evidence).toBeGreaterThan(20 * 0.5 ** (28 / MODEL.halfLifeDays))
  })

  it('shrinks by evidence: two clicks barely move the prior, eighty take over', () => {
    const prior = priorCurve('linkedin')
    const few = buildModel({
      network: 'linkedin',
      zone: ZONE,
      now: NOW,
      clicks: habit(21 * 60, 2, 1),
    })
    const many = buildModel({
      network: 'linkedin',
      zone: ZONE,
      now: NOW,
      clicks: habit(21 * 60, 80, 1),
    })
    expect(few.source).toBe('prior')
    expect(many.source).toBe('learned')
    expect(distance(few.curve, prior)).toBeLessThan(distance(many.curve, prior) / 3)
    expect(Math.abs(peakMinute(many.curve) - 21 * 60)).toBeLessThanOrEqual(30)
  })

  it('posts shortly before the peak, not in it', () => {
    const model = buildModel({
      network: 'linkedin',
      zone: ZONE,
      now: NOW,
      clicks: habit(12 * 60, 80, 1),
    })
    const clicksPeak = peakMinute(model.curve)
    const postAt = peakMinute(model.score)
    expect(postAt).toBeLessThan(clicksPeak)
    expect(clicksPeak - postAt).toBeLessThanOrEqual(90)
  })
})
