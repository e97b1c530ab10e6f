/**
 * Issue 9: a share made offline, clicked before its report reaches the relay, is attributed after,
 * through a real employee core. The core shares with the relay down (the outbox holds the report,
 * the short link is minted from the directory's public address) and is closed; the relay comes
 * back on its data; a visitor follows the link, the click is stored with no share behind it yet;
 * the core reopens, its outbox delivers the report, and My stats shows the click.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import type { Core } from '../../main/core/core'
import { DB_FILE } from '../../sync-server/persistence/database'
import { publishItem, queueSynced, refreshedUntil } from '../helpers/core'
import { FIREFOX, followShortLink } from '../helpers/landing'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { openRelayCore } from './opened'

const PUBLIC = 'http://go.porte-voix.test'

const cores = new Set<Core>()
let relay: RelayProcess | null = null
let relayDataDir: string | null = null

afterAll(async () => {
  for (const core of cores) await core.close()
  if (relay) await stopRelay(relay)
})

async function openCore(dataDir: string) {
  const opened = await openRelayCore(dataDir)
  cores.add(opened.core)
  return opened
}

function relayRows<T>(sql: string, ...args: unknown[]): T[] {
  const db = new Database(path.join(relayDataDir as string, DB_FILE), { readonly: true })
  try {
    return db.prepare(sql).all(...args) as T[]
  } finally {
    db.close()
  }
}

describe('an offline share clicked before its report reaches the relay', () => {
  it('counts the click at once and attributes it to my share once my core delivers the report', async () => {
    relay = await startRelay({ args: ['--public-url', PUBLIC] })
    relayDataDir = relay.dataDir
    const port = relay.port
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await openCore(tempDir('pv-offclick-'))
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await publishItem(champion.client, 'Launch')
    const employeeDir = tempDir('pv-offclick-')
    let employee = await openCore(employeeDir)
    await employee.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Eric', role: 'employee' }),
    })
    await queueSynced(employee.client)
    await waitFor(
      'the relay knows the item URL',
      () => relayRows('SELECT 1 FROM link_items WHERE item_id = ?', item.id).length === 1,
    )

    // The relay goes down; I share anyway.
    await relay.stop()
    relay = null
    await waitFor(
      'offline',
      async () => (await employee.client.call('status.get', {})).sync === 'offline',
    )
    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Our launch',
    })
    expect(share.trackedUrl.startsWith(`${PUBLIC}/s/`)).toBe(true)
    expect((await employee.client.call('account.export', {})).pendingOutbox).toBe(1)
    // My laptop sleeps before the relay is back: the report stays in my outbox on disk.
    await employee.core.close()
    cores.delete(employee.core)

    relay = await startRelay({ dataDir: relayDataDir, port, args: ['--public-url', PUBLIC] })
    const code = share.trackedUrl.slice(`${PUBLIC}/s/`.length)
    expect(await followShortLink(`${relay.httpUrl}/s/${code}`, FIREFOX)).toEqual({
      status: 302,
      location: `https://acme.example/launch?utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=evergreen&utm_content=${share.shareId}`,
    })
    // Counted, not yet attributed: the relay has the click and no share behind it.
    expect(
      relayRows<{ n: number }>(
        'SELECT COUNT(*) AS n FROM clicks WHERE share_id = ?',
        share.shareId,
      ),
    ).toEqual([{ n: 1 }])
    expect(relayRows('SELECT 1 FROM shares WHERE id = ?', share.shareId)).toEqual([])

    // I open my laptop: the outbox delivers the report, and My stats fetches the click.
    employee = await openCore(employeeDir)
    await waitFor(
      'the report delivered',
      async () => (await employee.client.call('account.export', {})).pendingOutbox === 0,
      { timeoutMs: 20_000 },
    )
    expect(relayRows('SELECT 1 FROM shares WHERE id = ?', share.shareId)).toHaveLength(1)
    await refreshedUntil(
      employee.client,
      'my click fetched',
      async () => (await employee.client.call('results.mine', {})).totals.clicks === 1,
    )
    const stats = await employee.client.call('results.mine', {})
    expect(stats.totals).toEqual({ shares: 1, clicks: 1, uniqueClicks: 1, conversions: 0 })
    expect(stats.perShare).toMatchObject([
      { shareId: share.shareId, title: 'Launch', clicks: 1, uniqueClicks: 1 },
    ])
  })
})
