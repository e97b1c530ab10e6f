import { expect, it } from 'vitest'
import { LiveAccess, type LiveConnection } from '../../sync-server/auth/live-access'
import { silentLogger } from '../../sync-server/log'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { tempDir } from '../helpers/process'
import { relationalStoresFor } from '../helpers/relational-stores'

/**
 * A device touch is written TOUCH_BATCH_MS after it is queued (auth/live-access.ts): a member
 * deleted in between (admin `delete-member`, `DELETE /members/me`) must not get a device record
 * back from it, on SQLite and (relay-cluster) PostgreSQL.
 */
const dir = tempDir('porte-voix-device-touch-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

it('a touch queued before a member is deleted writes no device record', async () => {
  const now = new Date('2026-03-20T12:00:00Z')
  await s.workspaces.createWorkspace({ id: 'ws_touch', name: 'Touch' })
  for (const id of ['mem_gone', 'mem_kept'])
    await s.workspaces.upsertMember(
      { id, workspaceId: 'ws_touch', displayName: `Name ${id}`, role: 'employee' },
      now,
      new Date(now.getTime() + 86_400_000),
    )
  const access = new LiveAccess(s.workspaces, () => () => {}, silentLogger, { maxPerMember: 8 })
  const connection = (id: number, sub: string): LiveConnection => ({
    id,
    claims: { sub, ws: 'ws_touch', role: 'employee', name: 'N', iat: 0, exp: 0 },
    close() {},
  })
  const gone = connection(1, 'mem_gone')
  const kept = connection(2, 'mem_kept')
  // Queued (connect and disconnect), not yet written.
  access.add(gone, 1, 'dev-gone')
  access.add(kept, 1, 'dev-kept')
  access.remove(gone)
  expect(await s.workspaces.deleteMember('mem_gone')).toBe(true)
  await access.close()
  expect(await s.workspaces.listDevices('mem_gone')).toEqual([])
  // The same batch still records the member who exists.
  expect((await s.workspaces.listDevices('mem_kept')).map((d) => d.device)).toEqual(['dev-kept'])
  // Written directly as well (the store's own guard, not only the queue's).
  await s.workspaces.touchDevice('mem_gone', 'dev-late', now, 1)
  expect(await s.workspaces.listDevices('mem_gone')).toEqual([])
})
