import { expect, it } from 'vitest'
import { LiveAccess, type LiveConnection } from '../../sync-server/auth/live-access'
import { silentLogger } from '../../sync-server/log'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import type { DeviceTouch } from '../../sync-server/persistence/workspace-store'
import { tempDir } from '../helpers/process'
import { relationalStoresFor, seedWorkspace } from '../helpers/relational-stores'

/**
 * LiveAccess.close() (issue 11 review, S5): it writes what is queued and leaves no timer behind;
 * touches that come after it (the drain's disconnects) are written by the next close() — the
 * relay's drain calls it again once its connections are gone, before the stores close — never
 * by a timer, which could fire once the store is closed ("device record failed").
 */
const dir = tempDir('porte-voix-live-close-')
let s: RelationalStores
relationalStoresFor(dir, (stores) => {
  s = stores
})

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

it('close() writes the queued touches, and later ones only at the next close()', async () => {
  const now = new Date('2026-03-20T12:00:00Z')
  await seedWorkspace(s, 'ws_close', ['mem_a'], now)
  const writes: DeviceTouch[][] = []
  const touchDevices = s.workspaces.touchDevices.bind(s.workspaces)
  s.workspaces.touchDevices = (touches) => {
    writes.push([...touches])
    return touchDevices(touches)
  }
  const access = new LiveAccess(s.workspaces, () => () => {}, silentLogger, { maxPerMember: 8 })
  const connection: LiveConnection = {
    id: 1,
    claims: { sub: 'mem_a', ws: 'ws_close', role: 'employee', name: 'A', iat: 0, exp: 0 },
    close() {},
  }
  access.add(connection, 1, 'dev-a')
  await access.close()
  expect(writes.map((w) => w.map((t) => t.connected))).toEqual([[1]])
  // The drain closes the connection after close(): queued, not written by a timer.
  access.remove(connection)
  await wait(100)
  expect(writes).toHaveLength(1)
  // The drain's second close(), before the stores close, writes it.
  await access.close()
  expect(writes.map((w) => w.map((t) => t.connected))).toEqual([[1], [0]])
  const devices = await s.workspaces.listDevices('mem_a')
  expect(devices.map((d) => [d.device, d.connections])).toEqual([['dev-a', 1]])
})
