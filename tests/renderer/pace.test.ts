import { describe, expect, it } from 'vitest'
import { dailyClicks, paceSeries } from '../../renderer/src/studio/pace'

const day = (d: string) => Date.parse(`${d}T00:00:00Z`) / 1000

describe('campaign pace chart series', () => {
  it('fills the days without activity, stops the actual line today and draws the line to the target', () => {
    const series = paceSeries(
      [
        { day: '2026-12-01', shares: 1, clicks: 5, conversions: 2 },
        { day: '2026-12-03', shares: 0, clicks: 1, conversions: 1 },
      ],
      'conversions',
      3,
      10,
      '2026-12-06T17:00:00Z',
      new Date('2026-12-03T12:00:00Z'),
    )
    expect(series.x).toEqual(
      ['2026-12-01', '2026-12-02', '2026-12-03', '2026-12-04', '2026-12-05', '2026-12-06'].map(day),
    )
    expect(series.actual).toEqual([2, 2, 3, null, null, null])
    expect(series.pace[0]).toBe(0)
    expect(series.pace[5]).toBe(10)
    expect(series.pace[1]).toBe(2)
  })

  it('starts from the level reached before the board’s days and counts the chosen kind', () => {
    const series = paceSeries(
      [{ day: '2026-12-02', shares: 4, clicks: 9, conversions: 0 }],
      'clicks',
      20,
      40,
      '2026-12-03T00:00:00Z',
      new Date('2026-12-02T08:00:00Z'),
    )
    expect(series.actual).toEqual([20, null])
    expect(series.pace).toEqual([11, 40])
  })

  it('runs to today when the deadline has passed, and keeps a far deadline to a bounded length', () => {
    const passed = paceSeries(
      [],
      'shares',
      0,
      5,
      '2026-11-28T00:00:00Z',
      new Date('2026-12-01T00:00:00Z'),
    )
    expect(passed.x.length).toBe(4)
    expect(passed.actual.at(-1)).toBe(0)
    expect(passed.pace.at(-1)).toBe(5)
    const far = paceSeries(
      [],
      'shares',
      0,
      5,
      '2036-12-01T00:00:00Z',
      new Date('2026-12-01T00:00:00Z'),
    )
    expect(far.x.length).toBe(401)
  })
})

describe('an item’s trend', () => {
  it('lists the last days’ clicks oldest first, zero on days without activity', () => {
    const daily = [
      { day: '2026-11-01', shares: 1, clicks: 9, conversions: 0 },
      { day: '2026-11-29', shares: 1, clicks: 4, conversions: 0 },
      { day: '2026-12-01', shares: 0, clicks: 2, conversions: 1 },
    ]
    expect(dailyClicks(daily, new Date('2026-12-01T23:00:00Z'), 4)).toEqual([0, 4, 0, 2])
  })
})
