import { rmSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { SimulatedClock } from '../../main/core/lifecycle'
import { languageOf, processLanguages } from '../../main/core/nudges/language'
import { isTimeZone, localTime, PROCESS_ZONE, systemTimeZone } from '../../main/core/nudges/time'
import { clientOf, fakeInvitation } from '../helpers/core'
import { tempDir } from '../helpers/process'

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

const tick = () => new Promise<void>((resolve) => setImmediate(resolve))

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

describe("the process's own zone without Intl", () => {
  it("gives Intl's wall times in the zone the process runs in, across a year and its changes", () => {
    expect(isTimeZone(PROCESS_ZONE)).toBe(false)
    const zones = ['Europe/Paris', 'America/St_Johns', 'Australia/Lord_Howe', 'Asia/Tehran']
    for (const [index, zone] of zones.entries()) {
      process.env.TZ = zone
      expect(systemTimeZone()).toBe(zone)
      // Distinct instants per zone (localTime memoises by zone and instant); every 97 minutes
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

  it("plans a 'system' setting with no Intl.DateTimeFormat", async () => {
    const dataDir = tempDir('porte-voix-process-zone-')
    const clock = new SimulatedClock('2026-03-02T04:00:00Z')
    const core = await Core.open({
      log: () => {},
      dataDir,
      clock,
      joinWaitMs: 1,
      opener: { open: async () => {} },
      systemLanguages: ['en-US'],
    })
    try {
      const client = clientOf(core)
      const joining = client.call('workspace.join', {
        invitation: fakeInvitation({ role: 'champion' }),
      })
      await tick()
      clock.advance(1)
      await joining
      await client.call('settings.update', { timeZone: null, networks: ['linkedin'] })
      await client.call('item.create', {
        title: 'News',
        url: 'https://example.com/news',
        objective: 'awareness',
        status: 'published',
      })
      await tick()
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
      rmSync(dataDir, { recursive: true, force: true })
    }
  })

  it("reads Intl's default language only when the locale variables name none of ours", () => {
    const plurals = counting('PluralRules')
    const formats = counting('DateTimeFormat')
    try {
      expect(languageOf(processLanguages({ LANG: 'fr_FR.UTF-8' }))).toBe('fr')
      expect(plurals.made()).toBe(0)
      expect(['en', 'fr']).toContain(languageOf(processLanguages({ LANG: 'C.UTF-8' })))
      expect(plurals.made()).toBe(1)
      expect(formats.made()).toBe(0)
    } finally {
      plurals.restore()
      formats.restore()
    }
  })
})
