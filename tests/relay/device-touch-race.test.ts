import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { tempDir } from '../helpers/process'
import { relationalStoresFor, seedWorkspace } from '../helpers/relational-stores'
import { onClusterBackend, relayBackend } from '../helpers/relay'

/**
 * PostgreSQL (relay-cluster): a device touch (node B's batch, auth/live-access.ts) that runs while
 * another node's or the admin's deleteMember transaction is open must not bring the erased
 * member's device record back once that transaction commits (issue 8.13 erasure; issue 11 review,
 * F3). Under READ COMMITTED the touch's EXISTS guard saw the member row the open transaction had
 * deleted, inserted a new device row without waiting, and committed after the delete. SQLite has
 * one writer: the sequential case is device-touch-deleted.test.ts.
 */
const dir = tempDir('porte-voix-device-race-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

describe.skipIf(!onClusterBackend())('a device touch racing a member deletion', () => {
  it('waits for the open deletion and then writes no device record', async () => {
    const now = new Date('2026-03-20T12:00:00Z')
    await seedWorkspace(s, 'ws_race', ['mem_gone'], now)
    await s.workspaces.touchDevice('mem_gone', 'dev-old', now, 1)
    const backend = await relayBackend(dir)
    if (backend.kind !== 'cluster') throw new Error('relay-cluster backend expected')
    // deleteMember's statements (storage/postgres/relational.ts), held open on a connection of
    // the test's own.
    const deleting = new pg.Client({ connectionString: backend.postgresUrl })
    await deleting.connect()
    try {
      await deleting.query('BEGIN')
      await deleting.query('DELETE FROM pv_member_devices WHERE member_id = $1', ['mem_gone'])
      await deleting.query('DELETE FROM pv_members WHERE id = $1', ['mem_gone'])
      let touched = false
      const touch = s.workspaces
        .touchDevices([{ member: 'mem_gone', device: 'dev-new', now, connected: 1 }])
        .then(() => {
          touched = true
        })
      await new Promise((resolve) => setTimeout(resolve, 1000))
      // It waits on the deleted member row's lock rather than read around it.
      expect(touched).toBe(false)
      await deleting.query('COMMIT')
      await touch
    } finally {
      await deleting.end()
    }
    expect(await s.workspaces.listDevices('mem_gone')).toEqual([])
  })
})
