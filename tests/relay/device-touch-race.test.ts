import pg from 'pg'
import { describe, expect, it } from 'vitest'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { DELETE_MEMBER_STATEMENTS } from '../../sync-server/storage/postgres/relational'
import { tempDir } from '../helpers/process'
import { relationalStoresFor, seedWorkspace } from '../helpers/relational-stores'
import { onClusterBackend, relayBackend } from '../helpers/relay'

/**
 * PostgreSQL (relay-cluster): a device touch (node B's batch, auth/live-access.ts) that runs while
 * another node's or the admin's deleteMember transaction is open must not bring the erased
 * member's device record back once that transaction commits (issue 8.13 erasure; issue 11 review,
 * F3), nor deadlock with it and lose its batch (review 2, B1). Under READ COMMITTED the touch's
 * EXISTS guard saw the member row the open transaction had deleted, inserted a new device row
 * without waiting, and committed after the delete; with the devices deleted before the member row
 * was locked, a touch between the two statements re-inserted a new device or deadlocked on a
 * recorded one. SQLite has one writer: the sequential case is device-touch-deleted.test.ts.
 */
const dir = tempDir('porte-voix-device-race-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

/** A connection of the test's own, for a transaction it holds open between statements. */
async function openClient(): Promise<pg.Client> {
  const backend = await relayBackend(dir)
  if (backend.kind !== 'cluster') throw new Error('relay-cluster backend expected')
  const client = new pg.Client({ connectionString: backend.postgresUrl })
  await client.connect()
  return client
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe.skipIf(!onClusterBackend())('a device touch racing a member deletion', () => {
  const now = new Date('2026-03-20T12:00:00Z')
  // After each of deleteMember's statements (the last: both deletes done, commit pending), for a
  // device already recorded (the usual reconnect) and for a new one.
  const cases = DELETE_MEMBER_STATEMENTS.flatMap((_, i) =>
    (['dev-old', 'dev-new'] as const).map((device) => ({ after: i + 1, device })),
  )
  it.each(cases)(
    'after statement $after of deleteMember, a touch of $device waits and then writes nothing',
    async ({ after, device }) => {
      const member = `mem_gone_${after}_${device}`
      await seedWorkspace(s, `ws_race_${after}_${device}`, [member], now)
      await s.workspaces.touchDevice(member, 'dev-old', now, 1)
      const deleting = await openClient()
      try {
        await deleting.query('BEGIN')
        for (const sql of DELETE_MEMBER_STATEMENTS.slice(0, after))
          await deleting.query(sql, [member])
        let touched = false
        const touch = s.workspaces
          .touchDevices([{ member, device, now, connected: 1 }])
          .then(() => {
            touched = true
          })
        // Caught here, thrown by `await touch` below: not an unhandled rejection meanwhile.
        touch.catch(() => {})
        await pause(300)
        // It waits on the member row's lock rather than read around it.
        expect(touched).toBe(false)
        for (const sql of DELETE_MEMBER_STATEMENTS.slice(after)) await deleting.query(sql, [member])
        await deleting.query('COMMIT')
        // Not a deadlock victim: a batch holds other members' touches too.
        await touch
      } finally {
        await deleting.end()
      }
      expect(await s.workspaces.listDevices(member)).toEqual([])
    },
  )
})

describe.skipIf(!onClusterBackend())('concurrent device touch batches', () => {
  it('lock their rows in one order, so batches listing them in opposite orders do not deadlock', async () => {
    const now = new Date('2026-03-20T12:00:00Z')
    await seedWorkspace(s, 'ws_order', ['mem_a', 'mem_b'], now)
    await s.workspaces.touchDevice('mem_a', 'dev', now, 1)
    await s.workspaces.touchDevice('mem_b', 'dev', now, 1)
    // Another node's batch, held open after locking its first row in (member, device) order.
    const other = await openClient()
    try {
      await other.query('BEGIN')
      const bump = `UPDATE pv_member_devices SET connections = connections + 1
                    WHERE member_id = $1 AND device = 'dev'`
      await other.query(bump, ['mem_a'])
      // This node's batch lists the rows the other way round.
      const touch = s.workspaces.touchDevices([
        { member: 'mem_b', device: 'dev', now, connected: 1 },
        { member: 'mem_a', device: 'dev', now, connected: 1 },
      ])
      touch.catch(() => {})
      await pause(300)
      // Had the batch locked mem_b's row before waiting on mem_a's, this would deadlock.
      await other.query(bump, ['mem_b'])
      await other.query('COMMIT')
      await touch
    } finally {
      await other.end()
    }
    const connections = async (member: string) =>
      (await s.workspaces.listDevices(member)).map((d) => d.connections)
    expect(await connections('mem_a')).toEqual([3])
    expect(await connections('mem_b')).toEqual([3])
  })
})
