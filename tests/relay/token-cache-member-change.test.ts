import { describe, expect, it } from 'vitest'
import { insertItem, itemsMap } from '../../common/doc/queue-doc'
import type { Role } from '../../common/model/member'
import { deleteMember, removeMember, setRole } from '../../sync-server/admin/admin'
import { signToken } from '../../sync-server/auth/tokens'
import { makeItem } from '../helpers/items'
import { onClusterBackend, type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { relayWithAcme } from '../helpers/relay-acme'
import { waitFor } from '../helpers/wait'
import { RawClient, type Refusal, roomUrl, tryConnect } from './support'

/**
 * A token the relay already verified is remembered (sync-server/auth/tokens.ts, issue 11.3) —
 * its signature, expiry and claims, not its member. The member changes below are made while a
 * device's token sits in that cache (its core is connected with it); the same token presented
 * again must be judged on the member as it is now: demoted, re-invited (every older token of
 * the member revoked: the relay has no per-device revocation), removed, forgotten. And a new
 * signing secret refuses every old token.
 */
const fx = relayWithAcme()

/** The queue document holds published items only (the relay refuses other statuses). */
const published = (id: string) => makeItem(id, { status: 'published' })

type Renewal = { status: number; problem: string | null; token?: string; role?: string }

async function renew(httpUrl: string, token: string): Promise<Renewal> {
  const res = await fetch(`${httpUrl}/api/v1/token/renew`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
  })
  const body = (await res.json()) as { token?: string; role?: string }
  return { status: res.status, problem: res.headers.get('x-porte-voix-problem'), ...body }
}

/** The upgrade's refusal; an upgrade let in fails the test (after closing the socket). */
async function refusal(url: string): Promise<Refusal> {
  const result = await tryConnect(url)
  if ('ws' in result) {
    result.ws.close()
    throw new Error(`let in: ${url.replace(/token=.*/, 'token=…')}`)
  }
  return result.refused
}

/**
 * A member whose core is connected with its device token (renewed from the invitation, as a core
 * does): the queue and directory upgrades with one token, so the token is in the relay's cache
 * (verified at the first, answered from the cache at the second and at every one after).
 */
async function connectedDevice(name: string, role: Role) {
  const invited = await fx.relay.issueToken({ workspaceId: fx.acme, name, role })
  const renewed = await renew(fx.relay.httpUrl, invited.token)
  expect(renewed).toMatchObject({ status: 200, role })
  const token = renewed.token ?? ''
  const clients = await Promise.all(
    (['queue', 'directory'] as const).map((doc) =>
      RawClient.connect(roomUrl(fx.relay.url, fx.acme, doc, token)),
    ),
  )
  for (const client of clients) await client.sync()
  return { memberId: invited.memberId, token, clients }
}

/**
 * On Redis + PostgreSQL a node learns of a member change by a NOTIFY that arrives after the
 * commit; an upgrade in between is let in on the member record the node cached (MemberCache in
 * storage/postgres/relational.ts), then closed by the recheck that notification starts (here 1 to
 * 23 of 150 reconnects made right after the commit). So there the reconnect waits for that recheck
 * (the live sockets closing); with SQLite every upgrade reads the member, and it comes at once.
 */
async function afterNodeHeard(clients: RawClient[]): Promise<void> {
  if (!onClusterBackend()) return
  await waitFor('the node to close the member’s live sockets', () =>
    clients.every((client) => client.closeEvent !== null),
  )
}

const url = (doc: string, token: string) => roomUrl(fx.relay.url, fx.acme, doc, token)

/**
 * After a member change that ends the device's access: once the node heard of it, the device's
 * token is refused at the upgrade of both its documents and at renewal with `problem` (403), and
 * its live sockets are closed with `code`.
 */
async function expectCutOff(
  device: { token: string; clients: RawClient[] },
  problem: string,
  code: number,
): Promise<void> {
  await afterNodeHeard(device.clients)
  for (const doc of ['queue', 'directory'])
    expect(await refusal(url(doc, device.token))).toMatchObject({ status: 403, problem })
  expect(await renew(fx.relay.httpUrl, device.token)).toMatchObject({ status: 403, problem })
  for (const client of device.clients) expect((await client.closed).code).toBe(code)
}

/** What a fresh connection with `token` is sent of the queue: its item ids. */
async function queueSeenWith(token: string): Promise<string[]> {
  const client = await RawClient.connect(url('queue', token))
  await client.sync()
  await client.close()
  return [...itemsMap(client.doc).keys()].sort()
}

describe('a cached token whose member changed', () => {
  it('demoted (champion → employee): refused at once, and renewed it has only an employee’s rights', async () => {
    const { memberId, token, clients } = await connectedDevice('Chloé', 'champion')
    const observer = await fx.relay.issueToken({
      workspaceId: fx.acme,
      name: 'Oscar',
      role: 'champion',
    })
    // A champion's rights while champion: curation opens, a queue write is kept.
    const curation = await RawClient.connect(url('curation', token))
    await curation.sync()
    const [queue] = clients
    if (!queue) throw new Error('no queue client')
    insertItem(queue.doc, published('item_before'))
    await queue.sync()
    expect(await queueSeenWith(observer.token)).toEqual(['item_before'])

    await setRole(fx.relay.adminTarget, memberId, 'employee')
    await afterNodeHeard([...clients, curation])
    // The very token, presented again (right after the commit on SQLite): its cached role is stale.
    for (const doc of ['queue', 'curation'])
      expect(await refusal(url(doc, token))).toMatchObject({ status: 403, problem: 'roleChanged' })
    // Its live sockets are told to renew (4000).
    for (const client of [...clients, curation]) expect((await client.closed).code).toBe(4000)

    const demoted = await renew(fx.relay.httpUrl, token)
    expect(demoted).toMatchObject({ status: 200, role: 'employee' })
    const employeeToken = demoted.token ?? ''
    expect(await refusal(url('curation', employeeToken))).toMatchObject({
      status: 403,
      problem: 'notAllowed',
    })
    const readOnly = await RawClient.connect(url('queue', employeeToken))
    await readOnly.sync()
    expect([...itemsMap(readOnly.doc).keys()]).toEqual(['item_before'])
    insertItem(readOnly.doc, published('item_after'))
    // Frames on one connection are handled in order: once step 1 is answered the write was seen.
    await readOnly.sync()
    expect(readOnly.closeEvent).toBeNull()
    expect(await queueSeenWith(observer.token)).toEqual(['item_before'])
    await readOnly.close()
  })

  it('re-invited (every older token of the member revoked): its device token is refused, the new invitation is let in', async () => {
    const { memberId, token, clients } = await connectedDevice('Dora', 'champion')
    const again = await fx.relay.issueToken({
      workspaceId: fx.acme,
      name: 'Dora',
      role: 'champion',
      memberId,
    })
    await expectCutOff({ token, clients }, 'invitationRevoked', 4410)
    // The new invitation's token is let in (RawClient.connect throws on a refusal).
    await queueSeenWith(again.token)
  })

  it('removed: its device token is refused at once, renewal too', async () => {
    const { memberId, token, clients } = await connectedDevice('Rémi', 'employee')
    await removeMember(fx.relay.adminTarget, memberId)
    await expectCutOff({ token, clients }, 'memberRemoved', 4403)
  })

  it('forgotten (member record deleted): its device token is refused at once, renewal too', async () => {
    const { memberId, token, clients } = await connectedDevice('Félix', 'champion')
    await deleteMember(fx.relay.adminTarget, memberId)
    await expectCutOff({ token, clients }, 'invitationRevoked', 4403)
  })
})

describe('a new signing secret', () => {
  it('refuses the tokens signed with the old one after the restart; the new secret’s are let in', async () => {
    // The first relay generates its secret into the data dir; the restart is given another in
    // PORTE_VOIX_RELAY_SECRET, which must win over the file (the relay has no rotation while
    // running: the secret is read at start).
    const first = await startRelay()
    let second: RelayProcess | undefined
    try {
      const ws = await first.createWorkspace('Rotated')
      const { token, memberId } = await first.issueToken({
        workspaceId: ws,
        name: 'Rosa',
        role: 'champion',
      })
      const client = await RawClient.connect(roomUrl(first.url, ws, 'queue', token))
      await client.sync()
      await first.stop()
      await client.closed
      const rotated = 'rotated-secret-rotated-secret-rotated-secret-0001'
      expect(rotated).not.toBe(first.secret)
      second = await startRelay({
        dataDir: first.dataDir,
        env: { PORTE_VOIX_RELAY_SECRET: rotated },
      })
      const old = await tryConnect(roomUrl(second.url, ws, 'queue', token))
      if ('ws' in old) {
        old.ws.close()
        throw new Error('a token signed with the old secret was let in')
      }
      expect(old.refused).toMatchObject({ status: 401, problem: 'wrongRelay' })
      expect(await renew(second.httpUrl, token)).toMatchObject({
        status: 401,
        problem: 'wrongRelay',
      })
      // The same member (generation 1, role champion) with a token of the new secret: let in.
      const fresh = await signToken(rotated, {
        memberId,
        workspaceId: ws,
        role: 'champion',
        name: 'Rosa',
        ttlSeconds: 600,
      })
      const ok = await RawClient.connect(roomUrl(second.url, ws, 'queue', fresh))
      await ok.sync()
      await ok.close()
    } finally {
      if (second) await stopRelay(second)
      else await stopRelay(first)
    }
  })
})
