import { expect, it } from 'vitest'
import { ACCESS_CLOSE, LiveAccess, type LiveConnection } from '../../sync-server/auth/live-access'
import { silentLogger } from '../../sync-server/log'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { tempDir } from '../helpers/process'
import { relationalStoresFor, seedWorkspace } from '../helpers/relational-stores'
import { waitFor } from '../helpers/wait'

/**
 * An upgrade whose member read (PostgreSQL, a cache miss) ran before a removal's commit and
 * answered after the removal's notification had been re-checked: the recheck ran before the
 * connection was added, so nothing closed it until its token expired (review 2, L1). LiveAccess
 * now re-checks that member when add() is told its `changes` moved since the read began. The
 * interleaving is played here on the store directly: the read, the removal, the notification's
 * recheck, then add().
 */
const dir = tempDir('porte-voix-live-late-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

it('a connection whose member read predates a change already re-checked is re-checked at add()', async () => {
  const now = new Date()
  await seedWorkspace(s, 'ws_late', ['mem_late'], now)
  let notify = () => {}
  const access = new LiveAccess(
    s.workspaces,
    (onChange) => {
      notify = onChange
      return () => {}
    },
    silentLogger,
    { maxPerMember: 8 },
  )
  try {
    // The upgrade: `changes` recorded, then its member read answers with the member still in.
    const changesBefore = access.changes
    const read = await s.workspaces.getMemberRecord('mem_late')
    if (!read) throw new Error('seeded member expected')
    // Meanwhile the admin removes the member and the node hears of it: the recheck finds no live
    // socket of that member.
    await s.workspaces.removeMember('mem_late')
    notify()
    await access.recheck()
    // The upgrade goes on with its earlier read and is accepted.
    const closed: number[] = []
    const connection: LiveConnection = {
      id: 1,
      claims: { sub: 'mem_late', ws: 'ws_late', role: 'employee', name: 'Late', iat: 0, exp: 0 },
      close: (code) => closed.push(code),
    }
    access.add(connection, read.generation, 'dev-late', changesBefore)
    // Before: never closed (the change had been re-checked without it).
    await waitFor('the late connection closed', () => closed.length > 0, { timeoutMs: 5_000 })
    expect(closed).toEqual([ACCESS_CLOSE.removed])
    expect(access.size).toBe(0)

    // No change since the read: no extra read of the member at add().
    await seedWorkspace(s, 'ws_quiet', ['mem_quiet'], now)
    const quiet = await s.workspaces.getMemberRecord('mem_quiet')
    if (!quiet) throw new Error('seeded member expected')
    let reads = 0
    const getMemberRecord = s.workspaces.getMemberRecord.bind(s.workspaces)
    s.workspaces.getMemberRecord = (id) => {
      reads++
      return getMemberRecord(id)
    }
    access.add(
      { ...connection, id: 2, claims: { ...connection.claims, sub: 'mem_quiet', ws: 'ws_quiet' } },
      quiet.generation,
      'dev-quiet',
      access.changes,
    )
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(reads).toBe(0)
    expect(access.size).toBe(1)
  } finally {
    await access.close()
  }
})
