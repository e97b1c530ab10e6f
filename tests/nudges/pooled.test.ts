/**
 * The pooled middle layer (issue 10): the team's click curve from the board, shifted from UTC to
 * the employee's zone, between the priors and the employee's own clicks, shrunk by evidence.
 */
import { describe, expect, it } from 'vitest'
import { CLICK_CURVE_ALL } from '../../common/model/board'
import { whyText } from '../../common/nudges/why'
import { pooledCurves, shiftCurve } from '../../main/core/nudges/context'
import { buildModel, type Click, explain, MODEL } from '../../main/core/nudges/model'
import {
  instantOf,
  localTime,
  nextDay,
  SLOT_MINUTES,
  SLOTS_PER_DAY,
} from '../../main/core/nudges/time'

const NOW = Date.parse('2026-03-04T12:00:00Z') // a Wednesday, Paris on winter time (+1)
const SUMMER = Date.parse('2026-07-08T12:00:00Z') // Paris +2, New York -4

/** A board curve with `count` clicks in one UTC hour of the week (getUTCDay × 24 + hour). */
function utcCurve(weekday: number, hour: number, count: number): number[] {
  const curve = new Array<number>(168).fill(0)
  curve[weekday * 24 + hour] = count
  return curve
}

/** Local weekday (0 = Monday) and hour of the local slots holding mass. */
function peaks(local: ArrayLike<number>): string[] {
  const out = new Set<string>()
  for (let s = 0; s < local.length; s++) {
    if ((local[s] ?? 0) <= 0) continue
    const weekday = Math.floor(s / SLOTS_PER_DAY)
    const minute = (s % SLOTS_PER_DAY) * SLOT_MINUTES
    out.add(
      `${weekday} ${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`,
    )
  }
  return [...out]
}

describe('the team curve in my time zone', () => {
  it('shifts UTC hours to local slots, daylight saving and half-hour zones included', () => {
    // Tuesday 07:00 UTC.
    const tuesday7 = utcCurve(2, 7, 8)
    expect(peaks(shiftCurve(tuesday7, 'Europe/Paris', NOW))).toEqual([
      '1 08:00',
      '1 08:15',
      '1 08:30',
      '1 08:45',
    ])
    expect(peaks(shiftCurve(tuesday7, 'Europe/Paris', SUMMER))[0]).toBe('1 09:00')
    expect(peaks(shiftCurve(tuesday7, 'America/New_York', SUMMER))[0]).toBe('1 03:00')
    expect(peaks(shiftCurve(tuesday7, 'Asia/Kolkata', NOW))[0]).toBe('1 12:30')
    // Sunday 23:00 UTC is Monday morning in Paris (the week wraps).
    expect(peaks(shiftCurve(utcCurve(0, 23, 1), 'Europe/Paris', NOW))[0]).toBe('0 00:00')
    // Mass is kept: 8 clicks over the 4 slots of the hour.
    expect(shiftCurve(tuesday7, 'Europe/Paris', NOW).reduce((a, b) => a + b, 0)).toBeCloseTo(8)
  })

  it('leaves my own clicks out of the team curve and lends the all-networks curve at half weight', () => {
    const linkedin = utcCurve(2, 7, 10)
    const board = { clickCurves: { linkedin, [CLICK_CURVE_ALL]: linkedin } }
    // Two of those ten clicks were on my links (Tuesday 07:xx UTC).
    const mine: Click[] = [
      { network: 'linkedin', at: Date.parse('2026-03-03T07:10:00Z') },
      { network: 'linkedin', at: Date.parse('2026-03-03T07:40:00Z') },
    ]
    const curves = pooledCurves(board, 'Europe/Paris', NOW, mine)
    expect(curves.find((c) => c.network === 'linkedin')?.clicks).toBe(8)
    // X has no team clicks of its own: the all-networks curve, at half its clicks.
    expect(curves.find((c) => c.network === 'x')?.clicks).toBe(4)
    expect(pooledCurves({ clickCurves: {} }, 'Europe/Paris', NOW)).toEqual([])
  })
})

describe('the model with a pooled layer', () => {
  // The team's LinkedIn audience clicks on weekdays at 20:00 UTC (21:00 in Paris in winter),
  // an hour no prior favours.
  const evening = new Array<number>(168).fill(0)
  for (const day of [1, 2, 3, 4, 5]) evening[day * 24 + 20] = 40

  it('with no clicks of my own and many team clicks, the team curve decides and the why says so', () => {
    const [pooled] = pooledCurves({ clickCurves: { linkedin: evening } }, 'Europe/Paris', NOW)
    expect(pooled?.clicks).toBe(200)
    const model = buildModel({
      network: 'linkedin',
      zone: 'Europe/Paris',
      now: NOW,
      clicks: [],
      pooled,
    })
    expect(model.source).toBe('pooled')
    const why = explain(model)
    expect(why.code).toBe('pooled')
    expect(why.from.slice(0, 2)).toMatch(/^2[01]$/)
    expect(whyText(why, 'en')).toMatch(/^Your colleagues' LinkedIn audiences click most on/)
    expect(whyText(why, 'fr')).toMatch(/^Les audiences LinkedIn de vos collègues/)
  })

  it('shrinks by evidence: a few team clicks barely move the priors', () => {
    const few = evening.map((n) => (n > 0 ? 1 : 0))
    const [pooled] = pooledCurves({ clickCurves: { linkedin: few } }, 'Europe/Paris', NOW)
    const prior = buildModel({ network: 'linkedin', zone: 'Europe/Paris', now: NOW, clicks: [] })
    const model = buildModel({
      network: 'linkedin',
      zone: 'Europe/Paris',
      now: NOW,
      clicks: [],
      pooled,
    })
    expect(model.source).toBe('prior')
    expect(explain(model).from).toBe(explain(prior).from)
    // The weight grows with the team's clicks and stays under the cap.
    const w = (n: number) => Math.min(MODEL.pooledMax, n / (n + MODEL.pooledStrength))
    expect(w(5)).toBeLessThan(0.1)
    expect(w(100_000)).toBe(MODEL.pooledMax)
  })

  it("my own clicks override the team's curve once there are enough of them", () => {
    const [pooled] = pooledCurves({ clickCurves: { linkedin: evening } }, 'Europe/Paris', NOW)
    // Mine click at 07:30 Paris on weekdays, 30 of them over the last weeks.
    const clicks: Click[] = []
    let day = localTime(NOW, 'Europe/Paris').day
    while (clicks.length < 30) {
      day = nextDay(day, -1)
      const weekday = new Date(`${day}T12:00:00Z`).getUTCDay()
      if (weekday === 0 || weekday === 6) continue
      clicks.push({ network: 'linkedin', at: instantOf(day, 7 * 60 + 30, 'Europe/Paris') })
    }
    const model = buildModel({
      network: 'linkedin',
      zone: 'Europe/Paris',
      now: NOW,
      clicks,
      pooled,
    })
    expect(model.source).toBe('learned')
    expect(explain(model).from.slice(0, 2)).toMatch(/^0[67]$/)
  })
})
