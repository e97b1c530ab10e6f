import type { IncomingMessage } from 'node:http'
import { describe, expect, it } from 'vitest'
import { signToken } from '../../sync-server/auth/tokens'
import { authorizeUpgrade, authorizeUpgradeNow } from '../../sync-server/http/authorize'
import type { RelationalStores } from '../../sync-server/persistence/relational'
import { tempDir } from '../helpers/process'
import { relationalStoresFor } from '../helpers/relational-stores'

/**
 * authorizeUpgradeNow decides an upgrade without a promise (issue 11.3, connects): it must give
 * authorizeUpgrade's verdict for every upgrade it decides — the member read from the store each
 * time, so a removed or re-invited member is refused at once — and leave to it (null) what it
 * cannot decide synchronously. On PostgreSQL (no synchronous member read) it decides nothing.
 */
const SECRET = 'authorize-now-secret-authorize-now-secret-0001'
const WS = 'ws-now-1'
const OTHER_WS = 'ws-now-2'
const now = new Date()
const day = new Date(now.getTime() + 86_400_000)

let stores: RelationalStores
relationalStoresFor(tempDir('authorize-now'), (opened) => {
  stores = opened
})

const request = (url: string) => ({ url }) as IncomingMessage
const tokenFor = (memberId: string, role: 'employee' | 'champion', generation = 1, ws = WS) =>
  signToken(SECRET, {
    memberId,
    workspaceId: ws,
    role,
    name: memberId,
    ttlSeconds: 3600,
    generation,
  })

async function invite(id: string, role: 'employee' | 'champion', ws = WS): Promise<number> {
  return stores.workspaces.upsertMember({ id, workspaceId: ws, displayName: id, role }, now, day)
}

describe('authorizeUpgradeNow', () => {
  it('gives authorizeUpgrade’s verdict on every upgrade it decides, and null for the rest', async () => {
    await stores.workspaces.createWorkspace({ id: WS, name: WS })
    await stores.workspaces.createWorkspace({ id: OTHER_WS, name: OTHER_WS })
    await invite('champ-1', 'champion')
    await invite('emp-1', 'employee')
    await invite('emp-removed', 'employee')
    await invite('emp-reinvited', 'employee')
    await invite('emp-deleted', 'employee')
    await invite('other-1', 'employee', OTHER_WS)
    const champion = await tokenFor('champ-1', 'champion')
    const employee = await tokenFor('emp-1', 'employee')
    const removed = await tokenFor('emp-removed', 'employee')
    const reinvited = await tokenFor('emp-reinvited', 'employee')
    const deleted = await tokenFor('emp-deleted', 'employee')
    const other = await tokenFor('other-1', 'employee', 1, OTHER_WS)
    const stranger = await tokenFor('nobody', 'employee')
    const urls = [
      `/${WS}/queue?token=${champion}`,
      `/${WS}/curation?token=${champion}`,
      `/${WS}/queue?token=${employee}`,
      `/${WS}/directory?token=${employee}`,
      `/${WS}/curation?token=${employee}`,
      `/${WS}/nothing?token=${employee}`,
      `/${OTHER_WS}/queue?token=${employee}`,
      `/${OTHER_WS}/queue?token=${other}`,
      `/${WS}/queue?token=${removed}`,
      `/${WS}/queue?token=${reinvited}`,
      `/${WS}/queue?token=${deleted}`,
      `/${WS}/queue?token=${stranger}`,
      `/${WS}/queue?token=${employee.slice(0, -3)}abc`,
      `/${WS}/queue?token=short`,
      `/${WS}/queue`,
      '/%E0%A4%A/queue?token=x',
    ]
    const sync = stores.workspaces.getMemberRecordNow !== undefined
    // Every token and workspace seen once by authorizeUpgrade (as a relay's first upgrade of them
    // does), then the member changes that must count at once.
    for (const url of urls) await authorizeUpgrade(request(url), SECRET, stores.workspaces)
    await stores.workspaces.removeMember('emp-removed')
    await invite('emp-reinvited', 'employee')
    await stores.workspaces.deleteMember('emp-deleted')

    const decided: string[] = []
    for (const url of urls) {
      const expected = await authorizeUpgrade(request(url), SECRET, stores.workspaces)
      const got = authorizeUpgradeNow(request(url), SECRET, stores.workspaces)
      if (got === null) continue
      decided.push(url)
      expect(got, url).toEqual(expected)
    }
    if (!sync) {
      expect(decided).toEqual([])
      return
    }
    // A verified token and a known workspace: decided synchronously, refusals included.
    expect(decided).toEqual(urls.slice(0, 12))
    const verdict = (url: string) => authorizeUpgradeNow(request(url), SECRET, stores.workspaces)
    expect(verdict(urls[0] as string)).toMatchObject({ ok: true, ref: { doc: 'queue' } })
    expect(verdict(urls[4] as string)).toMatchObject({ ok: false, status: 403 })
    expect(verdict(urls[8] as string)).toMatchObject({ ok: false, status: 403 })
    expect(verdict(urls[9] as string)).toMatchObject({ ok: false, status: 403 })
    expect(verdict(urls[10] as string)).toMatchObject({ ok: false, status: 403 })
    // A member removed after their upgrade was let in synchronously is refused at the next one.
    expect(verdict(urls[2] as string)).toMatchObject({ ok: true })
    await stores.workspaces.removeMember('emp-1')
    expect(verdict(urls[2] as string)).toMatchObject({ ok: false, status: 403 })
  })

  it('decides nothing for a workspace this process has not found yet', async () => {
    const ws = 'ws-now-unseen'
    await stores.workspaces.createWorkspace({ id: ws, name: ws })
    await invite('unseen-1', 'employee', ws)
    const url = `/${ws}/queue?token=${await tokenFor('unseen-1', 'employee', 1, ws)}`
    expect(authorizeUpgradeNow(request(url), SECRET, stores.workspaces)).toBeNull()
  })
})
