import { afterEach, describe, expect, it, vi } from 'vitest'
import { listMembers, removeMember } from '../../sync-server/admin/admin'
import { signToken, verifyToken } from '../../sync-server/auth/tokens'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { relayWithAcme } from '../helpers/relay-acme'
import { readStoredDoc } from '../helpers/relay-storage'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl, tryConnect } from './support'

/**
 * Connects made cheaper (issue 11.3): tokens verified once per process and remembered for their
 * lifetime, device records and directory entries written once per burst. None of it may let a
 * removed member in, lose an entry, or accept a token the signature check would refuse.
 */
const SECRET = 'connect-burst-secret-connect-burst-secret-01'
const OTHER_SECRET = 'connect-burst-other-secret-connect-burst-02'

const claims = (memberId: string, ttlSeconds = 3600) => ({
  memberId,
  workspaceId: 'ws-burst',
  role: 'champion' as const,
  name: 'Ana',
  ttlSeconds,
})

describe('the verified-token cache', () => {
  afterEach(() => {
    vi.useRealTimers()
  })

  it('gives the same claims again, and refuses the token once it expired', async () => {
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(new Date('2026-12-02T05:00:00Z'))
    const token = await signToken(SECRET, claims('mem-cache-1', 60))
    const first = await verifyToken(SECRET, token)
    const again = await verifyToken(SECRET, token)
    expect(first.ok && again.ok).toBe(true)
    expect(again).toEqual(first)
    vi.setSystemTime(new Date('2026-12-02T05:02:00Z'))
    const late = await verifyToken(SECRET, token)
    expect(late).toMatchObject({ ok: false, reason: 'expired' })
  })

  it('is keyed by the whole token and the secret: altered claims or another secret are refused', async () => {
    const token = await signToken(SECRET, claims('mem-cache-2'))
    expect((await verifyToken(SECRET, token)).ok).toBe(true)
    const [header, payload, signature] = token.split('.')
    const forged = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as Record<
      string,
      unknown
    >
    forged.role = 'admin'
    forged.sub = 'mem-someone-else'
    const altered = `${header}.${Buffer.from(JSON.stringify(forged)).toString('base64url')}.${signature}`
    expect(await verifyToken(SECRET, altered)).toMatchObject({ ok: false })
    expect(await verifyToken(OTHER_SECRET, token)).toMatchObject({
      ok: false,
      reason: 'bad-signature',
    })
  })
})

describe('connects in a burst (relay)', () => {
  const fx = relayWithAcme()

  it('a removed member’s token is refused at once though the relay verified it just before', async () => {
    const { memberId, token } = await fx.relay.issueToken({
      workspaceId: fx.acme,
      name: 'Remy',
      role: 'employee',
    })
    // Two documents with one token: the second upgrade finds the token already verified.
    const clients = await Promise.all(
      (['queue', 'directory'] as const).map((doc) =>
        RawClient.connect(roomUrl(fx.relay.url, fx.acme, doc, token)),
      ),
    )
    for (const client of clients) await client.sync()
    await removeMember(fx.relay.adminTarget, memberId)
    await Promise.all(clients.map((c) => c.closed))
    const again = await tryConnect(roomUrl(fx.relay.url, fx.acme, 'queue', token))
    if ('ws' in again) {
      again.ws.close()
      throw new Error('the removed member was let in')
    }
    expect(again.refused.status).toBe(403)
    expect(JSON.parse(again.refused.body)).toMatchObject({ error: { problem: 'memberRemoved' } })
  })
})

describe('a burst of members connecting, then a restart', () => {
  it('every member is in the stored directory and has a device record, after restart too', async () => {
    const count = 30
    const first = await startRelay()
    let second: RelayProcess | undefined
    try {
      const ws = await first.createWorkspace('Burst')
      const members = await Promise.all(
        Array.from({ length: count }, (_, i) =>
          first.issueToken({ workspaceId: ws, name: `Member ${i}`, role: 'employee' }),
        ),
      )
      const clients = await Promise.all(
        members.map(({ token }) => RawClient.connect(roomUrl(first.url, ws, 'queue', token))),
      )
      await Promise.all(clients.map((c) => c.sync()))
      // Stopped at once: entries and device records still waiting for their batch are written
      // before the stores close.
      await first.stop()
      expect(first.logs()).not.toMatch(/directory update failed|device record failed/)
      const ids = members.map((m) => m.memberId).sort()
      const stored = (await readStoredDoc(first.dataDir, `${ws}/directory`)).doc
      expect([...stored.getMap('members').keys()].sort()).toEqual(ids)
      const rows = await listMembers(first.adminTarget, ws)
      expect(
        rows
          .filter((r) => r.devices === 1)
          .map((r) => r.id)
          .sort(),
      ).toEqual(ids)

      second = await startRelay({ dataDir: first.dataDir })
      const watcher = await RawClient.connect(
        roomUrl(second.url, ws, 'directory', members[0]?.token ?? ''),
      )
      await watcher.sync()
      await waitFor('the directory served after the restart', () =>
        ids.every((id) => watcher.doc.getMap('members').has(id)),
      )
      await watcher.close()
    } finally {
      await second?.stop()
      await stopRelay(first)
    }
  })
})
