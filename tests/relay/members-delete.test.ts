import { rmSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { listMembers } from '../../sync-server/admin/admin'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { RawClient, roomUrl } from './support'

let relay: RelayProcess
let acme: string

beforeAll(async () => {
  relay = await startRelay()
  acme = await relay.createWorkspace('Acme')
})
afterAll(async () => {
  await relay?.stop()
  if (relay) rmSync(relay.dataDir, { recursive: true, force: true })
})

function deleteMe(token: string | null): Promise<Response> {
  return fetch(`${relay.httpUrl}/api/v1/members/me`, {
    method: 'DELETE',
    headers: token ? { authorization: `Bearer ${token}` } : {},
  })
}

describe('DELETE /api/v1/members/me (Leave and delete, issue 8.13)', () => {
  it('refuses without a valid token and on the wrong method', async () => {
    expect((await deleteMe(null)).status).toBe(401)
    expect((await deleteMe('not-a-token')).status).toBe(401)
    const post = await fetch(`${relay.httpUrl}/api/v1/members/me`, { method: 'POST' })
    expect(post.status).toBe(405)
    expect(post.headers.get('allow')).toBe('DELETE')
  })

  it('forgets the caller only: membership gone, live sockets closed, name out of the directory', async () => {
    const erin = await relay.issueToken({ workspaceId: acme, name: 'Erin', role: 'employee' })
    const gus = await relay.issueToken({ workspaceId: acme, name: 'Gus', role: 'employee' })
    const live = await RawClient.connect(roomUrl(relay.url, acme, 'queue', erin.token))
    await live.sync()
    const watcher = await RawClient.connect(roomUrl(relay.url, acme, 'directory', gus.token))
    await watcher.sync()
    await waitFor('Erin in the directory', () => watcher.doc.getMap('members').has(erin.memberId))

    const res = await deleteMe(erin.token)
    expect(res.status).toBe(200)
    expect(await res.json()).toEqual({ deleted: erin.memberId })

    // The relay's database no longer has her (read from the file, as the admin tool does).
    const ids = (await listMembers(relay.adminTarget, acme)).map((m) => m.id)
    expect(ids).not.toContain(erin.memberId)
    expect(ids).toContain(gus.memberId)
    expect((await live.closed).code).toBe(4403)
    await waitFor(
      'Erin gone from the directory',
      () => !watcher.doc.getMap('members').has(erin.memberId),
    )
    await watcher.close()

    // Her token is refused from now on, a second deletion included.
    const again = await deleteMe(erin.token)
    expect(again.status).toBe(403)
    expect(again.headers.get('x-porte-voix-problem')).toBe('invitationRevoked')
    expect(relay.logs()).toContain('member deleted on their request')
  })
})
