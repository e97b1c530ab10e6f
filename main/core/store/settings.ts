import type { z } from 'zod'
import { Settings } from '../../../common/contract/api'
import { parseOrThrow } from '../../../common/model/validation'
import { DEFAULT_NUDGE_SETTINGS } from '../../../common/nudges/settings'
import type { Db } from './database'

export const DEFAULT_SETTINGS: Settings = {
  networks: ['linkedin', 'x'],
  nudgesPaused: false,
  mastodonInstance: null,
  timeZone: null,
  quietHours: null,
  language: 'system',
  theme: 'system',
  nudges: DEFAULT_NUDGE_SETTINGS,
  // My results: no audience entered, not on the leaderboard unless I opt in.
  audience: {},
  leaderboardOptIn: false,
}

const CLOCK = /^([01]\d|2[0-3]):[0-5]\d$/

function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value })
    return true
  } catch {
    return false
  }
}

/**
 * The contract's Settings, with the checks a stored value needs on top (the contract keeps its
 * shapes simple; the store refuses what would break the nudge scheduler later).
 */
const SettingsUpdate = Settings.partial()
  .strict()
  .superRefine((value, ctx) => {
    if (value.timeZone != null && !isTimeZone(value.timeZone)) {
      ctx.addIssue({
        code: 'custom',
        path: ['timeZone'],
        message: `"${value.timeZone}" is not a known time zone (e.g. Europe/Paris)`,
      })
    }
    if (value.quietHours) {
      for (const end of ['start', 'end'] as const) {
        if (!CLOCK.test(value.quietHours[end])) {
          ctx.addIssue({
            code: 'custom',
            path: ['quietHours', end],
            message: 'must be a time of day as HH:MM (00:00–23:59)',
          })
        }
      }
    }
    if (
      value.mastodonInstance != null &&
      !/^[a-z0-9.-]+\.[a-z]{2,}$/i.test(value.mastodonInstance)
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['mastodonInstance'],
        message: 'must be a host name such as mastodon.social',
      })
    }
    if (value.networks && new Set(value.networks).size !== value.networks.length) {
      ctx.addIssue({ code: 'custom', path: ['networks'], message: 'lists a network twice' })
    }
  })
export type SettingsUpdate = z.infer<typeof SettingsUpdate>

/** Settings as key/value rows (one JSON value per key), read over the defaults. */
export class SettingsStore {
  // Prepared once: settings are read on every share and stats request.
  private readonly selectAll
  private readonly put
  private readonly listeners = new Set<(settings: Settings) => void>()

  constructor(private readonly db: Db) {
    this.selectAll = db.prepare<[], { key: string; value: string }>(
      'SELECT key, value FROM settings',
    )
    this.put = db.prepare<[string, string]>(
      `INSERT INTO settings (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    )
  }

  get(): Settings {
    const rows = this.selectAll.all()
    const merged: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    for (const row of rows) {
      if (!(row.key in DEFAULT_SETTINGS)) continue
      try {
        merged[row.key] = JSON.parse(row.value)
      } catch {
        // A damaged value falls back to its default rather than breaking every read.
      }
    }
    const parsed = Settings.safeParse(merged)
    if (parsed.success) return parsed.data
    // Keep the valid stored values and default the rest.
    const result: Record<string, unknown> = { ...DEFAULT_SETTINGS }
    for (const key of Object.keys(DEFAULT_SETTINGS) as (keyof Settings)[]) {
      const field = Settings.shape[key].safeParse(merged[key])
      if (field.success) result[key] = field.data
    }
    return Settings.parse(result)
  }

  /** Validate and store a partial update; throws a ValidationError naming each bad field. */
  update(patch: unknown): Settings {
    const valid = parseOrThrow(SettingsUpdate, patch, 'settings')
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(valid)) {
        if (value !== undefined) this.put.run(key, JSON.stringify(value))
      }
    })()
    const settings = this.get()
    for (const listener of this.listeners) listener(settings)
    return settings
  }

  /** Called after every stored update (windows follow theme and language live); returns the unsubscribe. */
  onChange(listener: (settings: Settings) => void): () => void {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }
}
