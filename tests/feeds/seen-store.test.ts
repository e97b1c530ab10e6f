import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { MemorySeenStore, SqliteSeenStore } from '../../main/core/feeds/seen-store'

const dirs: string[] = []
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

describe('seen stores', () => {
  it('SqliteSeenStore remembers guids per source across reopening the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'pv-seen-'))
    dirs.push(dir)
    const file = path.join(dir, 'core.sqlite')

    const db = new Database(file)
    const store = new SqliteSeenStore(db)
    expect(store.has('src_a', 'g1')).toBe(false)
    store.add('src_a', 'g1')
    store.add('src_a', 'g1') // idempotent
    expect(store.has('src_a', 'g1')).toBe(true)
    expect(store.has('src_b', 'g1')).toBe(false)
    db.close()

    const reopened = new Database(file)
    const again = new SqliteSeenStore(reopened)
    expect(again.has('src_a', 'g1')).toBe(true)
    expect(reopened.prepare('SELECT COUNT(*) AS n FROM feed_seen').get()).toEqual({ n: 1 })
    again.forgetSource('src_a')
    expect(again.has('src_a', 'g1')).toBe(false)
    reopened.close()
  })

  it('MemorySeenStore behaves the same', () => {
    const store = new MemorySeenStore()
    store.add('s', 'g')
    expect(store.has('s', 'g')).toBe(true)
    expect(store.has('s', 'h')).toBe(false)
    expect(store.has('t', 'g')).toBe(false)
  })
})
