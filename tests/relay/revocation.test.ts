import { describe, expect, it } from 'vitest'
import { removeMember, setRole } from '../../sync-server/admin/admin'
import { relayWithAcme } from '../helpers/relay-acme'
import { RawClient, roomUrl } from './support'

/**
 * Access taken back from live sockets (issue 8.5): the membership change is committed by another
 * SQLite connection, as the admin tool does, and the relay process notices it by itself.
 * The delay is printed (it is bounded by --membership-poll-ms, 500 ms by default), not asserted.
 */
const fx = relayWithAcme()

async function live(role: 'champion' | 'employee') {
  const { token, memberId } = await fx.relay.issueToken({ workspaceId: fx.acme, name: 'Zoé', role })
  const clients = await Promise.all(
    (['queue', 'directory'] as const).map((doc) =>
      RawClient.connect(roomUrl(fx.relay.url, fx.acme, doc, token)),
    ),
  )
  for (const client of clients) await client.sync()
  return { memberId, clients }
}

describe('revocation on live sockets', () => {
  it('a removed member’s sockets are closed (4403) without any request from them', async () => {
    const { memberId, clients } = await live('champion')
    const started = Date.now()
    await removeMember(fx.relay.adminTarget, memberId)
    const events = await Promise.all(clients.map((c) => c.closed))
    const ms = Date.now() - started
    expect(events).toEqual([
      { code: 4403, reason: 'member removed' },
      { code: 4403, reason: 'member removed' },
    ])
    console.info(`revocation: live sockets closed ${ms} ms after the commit`)
    expect(fx.relay.logs()).toMatch(/access taken back .*why=removed code=4403/)
  })

  it('a role change closes the sockets with 4000 so the device reconnects and renews', async () => {
    const { memberId, clients } = await live('champion')
    const started = Date.now()
    await setRole(fx.relay.adminTarget, memberId, 'employee')
    const events = await Promise.all(clients.map((c) => c.closed))
    console.info(`role change: live sockets closed ${Date.now() - started} ms after the commit`)
    for (const event of events) expect(event.code).toBe(4000)
  })

  it('other members’ sockets stay open', async () => {
    const keep = await live('employee')
    const gone = await live('employee')
    await removeMember(fx.relay.adminTarget, gone.memberId)
    await Promise.all(gone.clients.map((c) => c.closed))
    for (const client of keep.clients) {
      await client.sync()
      expect(client.closeEvent).toBeNull()
      await client.close()
    }
  })
})
