import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { readTokenClaims } from '../../common/model/invitation'
import { Core } from '../../main/core/core'
import { clientOf, publishItem } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

/**
 * Device tokens and refusals as a real core meets them: renewal before expiry, a role change
 * reaching the device, removal, and why a join was refused — against a relay process.
 */
let relay: RelayProcess
let acme: string
const cores: { core: Core; dir: string }[] = []

beforeAll(async () => {
  // Short device tokens and a fast keepalive, which closes connections whose token expired.
  relay = await startRelay({ args: ['--device-token-seconds', '12', '--ping-interval-ms', '300'] })
  acme = await relay.createWorkspace('Acme')
})
afterAll(async () => {
  for (const { core, dir } of cores) {
    await core.close()
    removeTempDir(dir)
  }
  await relay?.stop()
  if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
})

async function openCore(): Promise<{ core: Core; client: CoreClient }> {
  const dir = tempDir('porte-voix-renewal-')
  const core = await Core.open({ dataDir: dir, maxBackoffMs: 300 })
  cores.push({ core, dir })
  return { core, client: clientOf(core) }
}

async function joined(invitation: string) {
  const opened = await openCore()
  await opened.client.call('workspace.join', { invitation })
  await waitFor(
    'synced',
    async () => (await opened.client.call('status.get', {})).sync === 'synced',
  )
  return opened
}

describe('device token renewal', () => {
  it('renews before the invitation expires and keeps syncing past its expiry', async () => {
    const champion = await joined(
      await relay.invite({ workspaceId: acme, name: 'Chloé', role: 'champion' }),
    )
    const link = await relay.invite({
      workspaceId: acme,
      name: 'Eric',
      role: 'employee',
      ttlSeconds: 6,
    })
    const original = readTokenClaims(new URL(link).searchParams.get('token') ?? '')
    const employee = await joined(link)
    // Past the invitation's expiry, with the keepalive having had time to drop expired sockets.
    await waitFor('the invitation expired', () => Date.now() > original.exp * 1000 + 1500, {
      timeoutMs: 30_000,
      intervalMs: 100,
    })
    const stored = employee.core.store.session.get()
    expect(stored?.claims.exp).toBeGreaterThan(original.exp)
    expect(stored?.token).not.toBe(new URL(link).searchParams.get('token'))
    const item = await publishItem(champion.client, 'After expiry')
    await waitFor('the item reaches the employee', async () =>
      (await employee.client.call('queue.forMe', {})).some((e) => e.item.id === item.id),
    )
    const status = await employee.client.call('status.get', {})
    expect(status).toMatchObject({ sync: 'synced', problem: null })
    expect(relay.logs()).not.toMatch(/token renewal refused/)
  })

  it('a role change reaches the device: it renews into the new role and syncs again', async () => {
    const { token, memberId } = await relay.issueToken({
      workspaceId: acme,
      name: 'Bob',
      role: 'champion',
    })
    const bob = await joined(
      `porte-voix://join?relay=${encodeURIComponent(relay.url)}&token=${token}`,
    )
    const out = await relay.admin(['set-role', '--member', memberId, '--role', 'employee'])
    expect(out.code, out.stderr).toBe(0)
    const status = await waitFor('Bob an employee, synced', async () => {
      const s = await bob.client.call('status.get', {})
      return s.session?.role === 'employee' && s.sync === 'synced' ? s : null
    })
    expect(status.problem).toBeNull()
    expect(bob.core.store.session.get()?.claims.role).toBe('employee')
  })

  it('a removed member is told so, and their device stops syncing', async () => {
    const { token, memberId } = await relay.issueToken({
      workspaceId: acme,
      name: 'Rita',
      role: 'champion',
    })
    const rita = await joined(
      `porte-voix://join?relay=${encodeURIComponent(relay.url)}&token=${token}`,
    )
    await relay.admin(['remove-member', '--member', memberId])
    const status = await waitFor('Rita told she was removed', async () => {
      const s = await rita.client.call('status.get', {})
      return s.problem?.code === 'memberRemoved' ? s : null
    })
    expect(status.sync).toBe('offline')
  })
})

describe('why a join was refused', () => {
  it('revoked: an invitation replaced by a newer one', async () => {
    const first = await relay.issueToken({ workspaceId: acme, name: 'Vic', role: 'employee' })
    await relay.invite({
      workspaceId: acme,
      name: 'Vic',
      role: 'employee',
      memberId: first.memberId,
    })
    const { client } = await openCore()
    await expect(
      client.call('workspace.join', {
        invitation: `porte-voix://join?relay=${encodeURIComponent(relay.url)}&token=${first.token}`,
      }),
    ).rejects.toMatchObject({ code: 'forbidden' })
    const status = await client.call('status.get', {})
    expect(status).toMatchObject({ session: null, problem: { code: 'invitationRevoked' } })
  })

  it('wrong relay: an invitation signed by another relay', async () => {
    const other = await startRelay()
    try {
      const ws = await other.createWorkspace('Elsewhere')
      const { token } = await other.issueToken({ workspaceId: ws, name: 'Olga', role: 'employee' })
      const { client } = await openCore()
      await expect(
        client.call('workspace.join', {
          invitation: `porte-voix://join?relay=${encodeURIComponent(relay.url)}&token=${token}`,
        }),
      ).rejects.toMatchObject({ code: 'forbidden' })
      expect((await client.call('status.get', {})).problem).toEqual({ code: 'wrongRelay' })
    } finally {
      await other.stop()
      rmSync(other.dataDir, { recursive: true, force: true })
    }
  })

  it('unreachable: the join stands and says so plainly', async () => {
    const { token } = await relay.issueToken({ workspaceId: acme, name: 'Uma', role: 'employee' })
    const { client } = await openCore()
    // A port nothing listens on (the relay's port + nothing: use a closed one).
    const result = await client.call('workspace.join', {
      invitation: `porte-voix://join?relay=${encodeURIComponent('ws://127.0.0.1:9')}&token=${token}`,
    })
    expect(result.problem).toEqual({ code: 'relayUnreachable', vars: { relay: '127.0.0.1:9' } })
    const status = await client.call('status.get', {})
    expect(status).toMatchObject({ sync: 'offline', problem: { code: 'relayUnreachable' } })
  })
})
