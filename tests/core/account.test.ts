/**
 * "Export my data" and "Leave and delete" (issue 8 point 13, app side), on an in-process core
 * working offline: the export holds what this device knows about me; after leaving and deleting,
 * the SQLite file holds none of it.
 */
import { mkdtempSync } from 'node:fs'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { describe, expect, it } from 'vitest'
import { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { fileOpener } from '../../main/host/opener'
import { listMembers } from '../../sync-server/admin/admin'
import { clientOf, fakeInvitation } from '../helpers/core'
import { startRelay } from '../helpers/relay'
import { openedInSuite } from './opened'

const { cores, relays, dirs } = openedInSuite()

function rowCounts(dataDir: string): Record<string, number> {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    const tables = db
      .prepare<[], { name: string }>(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
      )
      .all()
    return Object.fromEntries(
      tables.map(({ name }) => [
        name,
        (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n,
      ]),
    )
  } finally {
    db.close()
  }
}

/** A core on a new data dir whose share pages go to a file (none opens a browser). */
async function openCore(options: { joinWaitMs?: number } = {}) {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'porte-voix-account-'))
  dirs.push(dataDir)
  const core = await Core.open({ dataDir, ...options, opener: fileOpener(dataDir, () => {}) })
  cores.push(core)
  return { dataDir, core, client: clientOf(core) }
}

describe('account: export my data, leave and delete', () => {
  it('exports settings, shares, stats and proposals, then leaves nothing of them on disk', async () => {
    const { dataDir, client } = await openCore({ joinWaitMs: 200 })
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', workspaceId: 'ws_acme', memberId: 'mem_me' }),
    })
    await client.call('settings.update', { language: 'fr', mastodonInstance: 'mastodon.social' })
    const item = await client.call('item.create', {
      title: 'Launch',
      url: 'https://example.com/launch',
      objective: 'awareness',
      status: 'published',
    })
    const share = await client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Hello',
    })
    const proposal = await client.call('proposal.create', {
      url: 'https://example.org/report',
      title: 'Report',
      note: 'Quoted p. 12',
      caption: '',
    })

    const exported = await client.call('account.export', {})
    expect(exported.format).toBe('porte-voix.account-export/1')
    expect(exported.session?.memberId).toBe('mem_me')
    expect(JSON.stringify(exported)).not.toContain('token')
    expect(exported.settings.language).toBe('fr')
    expect(exported.shares.map((s) => s.id)).toEqual([share.shareId])
    expect(exported.stats.total).toBe(1)
    expect(exported.proposals.map((p) => p.id)).toEqual([proposal.id])
    expect(exported.pendingOutbox).toBe(2)

    // The relay (a fake address here) cannot be reached: nothing is deleted, the person is told.
    await expect(client.call('account.leaveAndDelete', {})).rejects.toMatchObject({
      code: 'unavailable',
      message: expect.stringMatching(/relay could not delete your data.*this device only/),
    })
    expect((await client.call('status.get', {})).session?.memberId).toBe('mem_me')
    expect((await client.call('stats.mine', {})).total).toBe(1)
    // Their choice then: this device only, and the answer says the relay kept its copy.
    expect(await client.call('account.leaveAndDelete', { localOnly: true })).toEqual({
      relayDeleted: false,
    })
    expect((await client.call('status.get', {})).session).toBeNull()
    expect((await client.call('settings.get', {})).language).toBe('system')
    expect((await client.call('stats.mine', {})).total).toBe(0)

    // On disk: no row of mine anywhere; only the schema's bookkeeping, the device key and the
    // default settings written back.
    const counts = rowCounts(dataDir)
    const left = Object.entries(counts).filter(
      ([table, n]) => n > 0 && !['schema_migrations', 'device_secret', 'settings'].includes(table),
    )
    expect(left).toEqual([])
    const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
    try {
      const settings = db.prepare('SELECT value FROM settings').all() as { value: string }[]
      expect(settings.map((row) => row.value).join()).not.toContain('mastodon.social')
    } finally {
      db.close()
    }
  })

  it('online, the relay deletes what it holds about me first (its database no longer has me)', async () => {
    const relay = await startRelay()
    relays.push(relay)
    const workspaceId = await relay.createWorkspace('Acme')
    const invitation = await relay.invite({ workspaceId, name: 'Erin', role: 'employee' })
    const { client } = await openCore()
    const session = await client.call('workspace.join', { invitation })
    expect((await listMembers(relay.adminTarget, workspaceId)).map((m) => m.id)).toContain(
      session.memberId,
    )

    expect(await client.call('account.leaveAndDelete', {})).toEqual({ relayDeleted: true })
    expect((await listMembers(relay.adminTarget, workspaceId)).map((m) => m.id)).not.toContain(
      session.memberId,
    )
    expect((await client.call('status.get', {})).session).toBeNull()
  })

  it('a 200 whose receipt names another member (a proxy, a confused relay) deletes nothing', async () => {
    // Answers every request 200 with a well-formed receipt for someone else.
    const answers: string[] = []
    const proxy = createServer((req, res) => {
      answers.push(`${req.method} ${req.url}`)
      req.resume()
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify({ deleted: 'mem_someone_else' }))
    })
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
    try {
      const port = (proxy.address() as AddressInfo).port
      const { client } = await openCore({ joinWaitMs: 200 })
      await client.call('workspace.join', {
        invitation: fakeInvitation({
          role: 'employee',
          workspaceId: 'ws_acme',
          memberId: 'mem_me',
          relayUrl: `ws://127.0.0.1:${port}`,
        }),
      })
      await expect(client.call('account.leaveAndDelete', {})).rejects.toMatchObject({
        code: 'unavailable',
        message: expect.stringMatching(/not the relay's answer/),
      })
      expect(answers).toContain('DELETE /api/v1/members/me')
      // Nothing was deleted: still joined, the relay's copy not counted as gone.
      expect((await client.call('status.get', {})).session?.memberId).toBe('mem_me')
    } finally {
      proxy.closeAllConnections()
      await new Promise<void>((resolve) => proxy.close(() => resolve()))
    }
  })
})
