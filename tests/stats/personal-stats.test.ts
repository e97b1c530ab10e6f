import { describe, expect, it } from 'vitest'
import { computeStats, localDate, type ShareRecord } from '../../main/core/stats/personal-stats'

const share = (sharedAt: string, network: ShareRecord['network'] = 'linkedin'): ShareRecord => ({
  sharedAt,
  network,
  objective: 'awareness',
})

describe('personal stats', () => {
  // Wednesday 2026-11-25, 10:00 in Paris.
  const now = new Date('2026-11-25T09:00:00Z')
  const tz = 'Europe/Paris'

  it('counts today, this week (from Monday), this month and in total, in my time zone', () => {
    const stats = computeStats(
      [
        share('2026-11-25T08:00:00Z'),
        share('2026-11-24T23:30:00Z', 'x'), // 00:30 on the 25th in Paris: today
        share('2026-11-23T07:00:00Z'), // Monday: this week
        share('2026-11-22T07:00:00Z'), // Sunday: last week, this month
        share('2026-10-31T07:00:00Z'), // last month
      ],
      now,
      tz,
    )
    expect(stats.today).toBe(2)
    expect(stats.week).toBe(3)
    expect(stats.month).toBe(4)
    expect(stats.total).toBe(5)
    expect(stats.byNetwork).toEqual({ linkedin: 4, x: 1 })
    expect(stats.byObjective).toEqual({ awareness: 5 })
  })

  it('keeps a streak alive until a whole day passes without a share', () => {
    const days = ['2026-11-22', '2026-11-23', '2026-11-24'].map((d) => share(`${d}T10:00:00Z`))
    expect(computeStats(days, now, tz).currentStreak).toBe(3)
    expect(computeStats([...days, share('2026-11-25T08:00:00Z')], now, tz).currentStreak).toBe(4)
    const broken = [share('2026-11-20T10:00:00Z'), share('2026-11-21T10:00:00Z')]
    const stats = computeStats(broken, now, tz)
    expect(stats.currentStreak).toBe(0)
    expect(stats.longestStreak).toBe(2)
  })

  it('gives 30 days for the chart, oldest first, ending today', () => {
    const stats = computeStats([share('2026-11-25T08:00:00Z')], now, tz)
    expect(stats.daily).toHaveLength(30)
    expect(stats.daily.at(-1)).toEqual({ date: '2026-11-25', count: 1 })
    expect(stats.daily[0]?.date).toBe('2026-10-27')
  })

  it('uses local dates across time zones', () => {
    expect(localDate(new Date('2026-11-24T23:30:00Z'), 'Europe/Paris')).toBe('2026-11-25')
    expect(localDate(new Date('2026-11-24T23:30:00Z'), 'America/New_York')).toBe('2026-11-24')
  })
})
