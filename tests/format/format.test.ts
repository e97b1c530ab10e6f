import { describe, expect, it } from 'vitest'
import {
  campaignDaysLeft,
  formatDateTime,
  formatNumber,
  frenchTypography,
  NARROW_NBSP,
  NBSP,
  typeset,
} from '../../common/format'
import { audienceOf, reachesEmployees } from '../../common/model/audience'

describe('French typography', () => {
  it('puts a no-break space before a colon and a narrow one before ; ! ? and inside « »', () => {
    expect(frenchTypography('Non enregistré : corrigez')).toBe(`Non enregistré${NBSP}: corrigez`)
    expect(frenchTypography('Vraiment ? Oui ; enfin !')).toBe(
      `Vraiment${NARROW_NBSP}? Oui${NARROW_NBSP}; enfin${NARROW_NBSP}!`,
    )
    expect(frenchTypography('Aussi ici:')).toBe(`Aussi ici${NBSP}:`)
    expect(frenchTypography('le rôle « employé »')).toBe(
      `le rôle «${NARROW_NBSP}employé${NARROW_NBSP}»`,
    )
  })

  it('leaves links, times and English alone', () => {
    expect(frenchTypography('https://exemple.fr/flux.xml à 14:30')).toBe(
      'https://exemple.fr/flux.xml à 14:30',
    )
    expect(typeset('Also here: now', 'en')).toBe('Also here: now')
  })

  it('writes thousands with the language separator', () => {
    expect(formatNumber(12345, 'fr')).toBe(`12${NARROW_NBSP}345`)
    expect(formatNumber(12345, 'en')).toBe('12,345')
  })
})

describe('dates', () => {
  it('shows French times on a 24-hour clock', () => {
    const text = formatDateTime('2026-03-12T14:30:00Z', 'fr', { timeZone: 'UTC' })
    expect(text).toContain('14:30')
    expect(text).not.toMatch(/PM|AM/)
    expect(formatDateTime('2026-03-12T14:30:00Z', 'en', { timeZone: 'UTC' })).toContain('2:30')
    expect(formatDateTime('not a date', 'en')).toBe('')
  })

  it('counts calendar days left in the viewer’s zone, one function for every window', () => {
    const now = new Date('2026-11-24T20:00:00Z')
    expect(campaignDaysLeft('2026-11-24T23:30:00Z', now, 'UTC').days).toBe(0)
    expect(campaignDaysLeft('2026-11-25T08:00:00Z', now, 'UTC').days).toBe(1)
    expect(campaignDaysLeft('2026-11-24T19:00:00Z', now, 'UTC').days).toBe(-1)
  })

  it('counts days left in the system’s zone as in that zone named (no formatter: issue 7.8)', () => {
    const before = process.env.TZ
    try {
      // Node follows a TZ change at once, for Date and for Intl's default zone alike.
      for (const zone of ['America/St_Johns', 'Pacific/Chatham', 'Asia/Kolkata', 'Europe/Paris']) {
        process.env.TZ = zone
        for (let hour = 0; hour < 24 * 40; hour += 7) {
          // Across a DST change in both hemispheres (late March / early April 2026).
          const now = new Date(Date.UTC(2026, 2, 20) + hour * 3_600_000)
          for (const deadline of [
            '2026-03-29T01:30:00Z',
            '2026-04-05T13:59:00Z',
            '2026-04-30T23:00:00Z',
          ]) {
            expect(campaignDaysLeft(deadline, now).days).toBe(
              campaignDaysLeft(deadline, now, zone).days,
            )
          }
        }
      }
    } finally {
      if (before === undefined) delete process.env.TZ
      else process.env.TZ = before
    }
  })
})

describe('audience', () => {
  const now = new Date('2026-06-01T12:00:00Z')
  const base = { publishAt: null, expiresAt: null }
  it('says who sees an item now, by the rule employees’ queues apply', () => {
    expect(audienceOf({ ...base, status: 'published' }, now)).toEqual({
      kind: 'everyone',
      until: null,
    })
    expect(audienceOf({ ...base, status: 'approved' }, now)).toEqual({
      kind: 'curators',
      status: 'approved',
    })
    expect(
      audienceOf({ status: 'published', publishAt: '2026-06-02T08:00:00Z', expiresAt: null }, now),
    ).toEqual({ kind: 'scheduled', from: '2026-06-02T08:00:00Z' })
    expect(
      audienceOf({ status: 'published', publishAt: null, expiresAt: '2026-06-01T11:00:00Z' }, now),
    ).toEqual({ kind: 'expired', at: '2026-06-01T11:00:00Z' })
    expect(reachesEmployees({ ...base, status: 'approved' }, now)).toBe(false)
    expect(reachesEmployees({ ...base, status: 'published' }, now)).toBe(true)
  })
})
