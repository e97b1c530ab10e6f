import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { ValidationError } from '../../common/model/validation'
import { migrate, openDatabase } from '../../main/core/store/database'
import { MIGRATIONS } from '../../main/core/store/migrations'
import { SessionStore } from '../../main/core/store/session'
import { DEFAULT_SETTINGS, SettingsStore } from '../../main/core/store/settings'
import { tempDir } from '../helpers/process'

describe('database', () => {
  it('runs in WAL mode with foreign keys on', () => {
    const dir = tempDir('pv-db-')
    const db = openDatabase({ file: path.join(dir, 'x.sqlite') })
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1)
    db.close()
  })

  it('migrations are idempotent and recorded once each', () => {
    const dir = tempDir('pv-db-')
    const file = path.join(dir, 'x.sqlite')
    openDatabase({ file }).close()
    const db = openDatabase({ file })
    expect(migrate(db)).toEqual([])
    const rows = db.prepare('SELECT version FROM schema_migrations ORDER BY version').all()
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version })))
    db.close()
  })

  it('a failing migration is rolled back entirely', () => {
    const db = openDatabase({ file: ':memory:' })
    const broken = [
      ...MIGRATIONS,
      { version: 999, name: 'broken', sql: 'CREATE TABLE half (x); SELECT nope FROM nowhere;' },
    ]
    expect(() => migrate(db, broken)).toThrow()
    const half = db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()
    expect(half).toBeUndefined()
    expect(
      db.prepare('SELECT version FROM schema_migrations WHERE version = 999').get(),
    ).toBeUndefined()
  })
})

describe('settings', () => {
  it('starts from the defaults and stores partial updates', () => {
    const settings = new SettingsStore(openDatabase({ file: ':memory:' }))
    expect(settings.get()).toEqual(DEFAULT_SETTINGS)
    const next = settings.update({ theme: 'dark', quietHours: { start: '22:00', end: '07:30' } })
    expect(next.theme).toBe('dark')
    expect(settings.get().quietHours).toEqual({ start: '22:00', end: '07:30' })
    expect(settings.get().language).toBe('system')
  })

  it('explains each invalid field by name', () => {
    const settings = new SettingsStore(openDatabase({ file: ':memory:' }))
    let error: unknown
    try {
      settings.update({
        theme: 'purple',
        timeZone: 'Mars/Olympus',
        quietHours: { start: '25:00', end: '07:00' },
        bogus: 1,
      })
    } catch (caught) {
      error = caught
    }
    expect(error).toBeInstanceOf(ValidationError)
    const message = (error as ValidationError).message
    expect(message).toContain('theme:')
    expect(message).toContain('bogus')
    // Nothing was stored from a rejected update.
    expect(settings.get()).toEqual(DEFAULT_SETTINGS)
    expect(() => settings.update({ timeZone: 'Mars/Olympus' })).toThrow(
      /timeZone: .*not a known time zone/,
    )
    expect(() => settings.update({ quietHours: { start: '25:00', end: '07:00' } })).toThrow(
      /quietHours\.start: must be a time of day as HH:MM/,
    )
  })
})

describe('session', () => {
  it('round-trips and clears', () => {
    const store = new SessionStore(openDatabase({ file: ':memory:' }))
    expect(store.get()).toBeNull()
    const session = {
      relayUrl: 'ws://127.0.0.1:1234',
      token: 'aaaa.bbbb.cccc',
      claims: { sub: 'mem_1', ws: 'ws_1', role: 'employee' as const, name: 'Ann', iat: 1, exp: 2 },
      joinedAt: new Date().toISOString(),
    }
    store.set(session)
    expect(store.get()).toEqual(session)
    store.clear()
    expect(store.get()).toBeNull()
  })
})
