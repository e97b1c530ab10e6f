import { afterEach, describe, expect, it } from 'vitest'
import { SimulatedClock } from '../../main/core/lifecycle'
import { languageOf, processLanguages } from '../../main/core/nudges/language'
import {
  isTimeZone,
  localTime,
  PROCESS_ZONE,
  slotsOfDay,
  systemTimeZone,
  weekSlot,
} from '../../main/core/nudges/time'
import { openNudgingCore } from '../helpers/nudge-core'

/**
 * Issue 7.8 (core memory at rest): a 'system' time-zone setting is planned in PROCESS_ZONE, read
 * with Date's local getters, not Intl — the first Intl.DateTimeFormat maps ~5 MiB of ICU's data
 * into the core for good. The wall times must be Intl's in the zone the process runs in.
 */

const savedTz = process.env.TZ
afterEach(() => {
  // Node re-reads the zone (Date's and Intl's) when TZ is assigned.
  if (savedTz === undefined) delete process.env.TZ
  else process.env.TZ = savedTz
})

/** Count the objects an Intl constructor builds from now on; returns the count and the undo. */
function counting(name: 'DateTimeFormat' | 'PluralRules'): { made(): number; restore(): void } {
  const original = Intl[name]
  let made = 0
  Object.defineProperty(Intl, name, {
    configurable: true,
    writable: true,
    value: new Proxy(original, {
      construct(target, args) {
        made++
        return Reflect.construct(target, args)
      },
      apply(target, self, args) {
        made++
        return Reflect.apply(target, self, args)
      },
    }),
  })
  return {
    made: () => made,
    restore: () =>
      Object.defineProperty(Intl, name, { configurable: true, writable: true, value: original }),
  }
}

/** Intl.PluralRules replaced by one whose default locale is `locale`; counts the objects made. */
function stubbedPluralRules(locale: string): { made(): number; restore(): void } {
  const original = Intl.PluralRules
  let made = 0
  const stub = function PluralRules() {
    made++
    return { resolvedOptions: () => ({ locale }) }
  }
  Object.defineProperty(Intl, 'PluralRules', { configurable: true, writable: true, value: stub })
  return {
    made: () => made,
    restore: () =>
      Object.defineProperty(Intl, 'PluralRules', {
        configurable: true,
        writable: true,
        value: original,
      }),
  }
}

describe("the process's own zone without Intl", () => {
  it("gives Intl's wall times in the zone the process runs in, across a year and its changes", () => {
    expect(isTimeZone(PROCESS_ZONE)).toBe(false)
    const zones = ['Europe/Paris', 'America/St_Johns', 'Australia/Lord_Howe', 'Asia/Tehran']
    for (const [index, zone] of zones.entries()) {
      process.env.TZ = zone
      expect(systemTimeZone()).toBe(zone)
      // Distinct instants per zone (once needed: PROCESS_ZONE answers were memoised); every 97 minutes
      // over 2026, so every daylight-saving change is crossed, plus negative and odd instants.
      const instants = [-86_400_001, 0, 59_999, 60_000]
      const start = Date.UTC(2026, 0, 1)
      for (let at = start; at < start + 366 * 86_400_000; at += 97 * 60_000) instants.push(at)
      for (const instant of instants) {
        const at = instant + index * 7_001
        expect({ zone, at, local: localTime(at, PROCESS_ZONE) }).toEqual({
          zone,
          at,
          local: localTime(at, zone),
        })
      }
    }
  })

  it('follows the process when its zone changes: no answer of the old zone comes back', () => {
    // Winter, 12:00 UTC: Paris 13:00 (UTC+1), Tokyo 21:00 (UTC+9); Tokyo has no DST.
    const at = Date.UTC(2026, 0, 14, 12, 0, 7)
    const day = '2026-01-14'
    process.env.TZ = 'Europe/Paris'
    expect(localTime(at, PROCESS_ZONE).minute).toBe(13 * 60)
    const parisSlot = weekSlot(at, PROCESS_ZONE)
    const parisSlots = slotsOfDay(day, PROCESS_ZONE)
    process.env.TZ = 'Asia/Tokyo'
    expect(localTime(at, PROCESS_ZONE)).toEqual(localTime(at, 'Asia/Tokyo'))
    expect(localTime(at, PROCESS_ZONE).minute).toBe(21 * 60)
    expect(weekSlot(at, PROCESS_ZONE)).toBe(weekSlot(at, 'Asia/Tokyo'))
    expect(weekSlot(at, PROCESS_ZONE)).toBe(parisSlot + (8 * 60) / 15)
    expect(slotsOfDay(day, PROCESS_ZONE)).toEqual(slotsOfDay(day, 'Asia/Tokyo'))
    expect(slotsOfDay(day, PROCESS_ZONE)[0]?.at).toBe((parisSlots[0]?.at ?? 0) - 8 * 3_600_000)
  })

  it("plans a 'system' setting with no Intl.DateTimeFormat", async () => {
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const { core, client } = await openNudgingCore(clock, null, { systemLanguages: ['en-US'] })
    try {
      const formats = counting('DateTimeFormat')
      try {
        clock.advance(3_600_000)
        expect((await client.call('nudge.preview', {})).next?.at).toBeDefined()
      } finally {
        formats.restore()
      }
      expect(formats.made()).toBe(0)
    } finally {
      await core.close()
    }
  })

  it("reads Intl's default language only when the locale variables name none of ours", () => {
    const formats = counting('DateTimeFormat')
    // Intl's default stubbed to French: with LANG=C only it can make the answer 'fr' (not 'en').
    const plurals = stubbedPluralRules('fr-CA')
    try {
      expect(languageOf(processLanguages({ LANG: 'en_GB.UTF-8' }))).toBe('en')
      expect(plurals.made()).toBe(0)
      expect(languageOf(processLanguages({ LANG: 'C.UTF-8' }))).toBe('fr')
      expect(plurals.made()).toBe(1)
      expect(formats.made()).toBe(0)
    } finally {
      plurals.restore()
      formats.restore()
    }
  })
})
