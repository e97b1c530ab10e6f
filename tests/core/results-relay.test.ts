/**
 * My results end to end against a real relay with --public-url: the employee's core mints the
 * short link offline from the directory's public address, a visitor follows it (twice; a preview
 * bot once), and the core fetches the clicks of its own shares with its ownership proofs into
 * SQLite, where My stats and the nudges read them, also once the relay is gone.
 */
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { parseShortCode } from '../../common/share/short-link'
import type { Core } from '../../main/core/core'
import { NudgeStore } from '../../main/core/nudges/nudge-store'
import { DB_FILE } from '../../sync-server/persistence/database'
import { publishItem, queueSynced, refreshedUntil } from '../helpers/core'
import { FIREFOX, followShortLink, LINKEDIN_BOT } from '../helpers/landing'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { ERIC, joinWith, openRelayCore } from './opened'

const PUBLIC = 'http://go.porte-voix.test'

const cores: Core[] = []
let relay: RelayProcess | null = null

afterAll(async () => {
  for (const core of cores) await core.close()
  await relay?.stop()
})

/** Which of my shares the relay links to me (only while I am opted in to the leaderboard). */
function linkedTo(memberId: string): string[] {
  if (!relay) return []
  const db = new Database(path.join(relay.dataDir, DB_FILE), { readonly: true })
  try {
    return (
      db.prepare('SELECT share_id FROM share_members WHERE member_id = ?').all(memberId) as {
        share_id: string
      }[]
    ).map((row) => row.share_id)
  } finally {
    db.close()
  }
}

async function openCore() {
  const opened = await openRelayCore(tempDir('pv-results-'))
  cores.push(opened.core)
  return opened
}

describe('my results through a real relay', () => {
  it('mints <public-url>/s/<code>, counts a visitor once as unique and not the bot, and keeps my clicks offline', async () => {
    relay = await startRelay({ args: ['--public-url', PUBLIC] })
    const workspaceId = await relay.createWorkspace('Acme')
    const champion = await openCore()
    await champion.client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name: 'Chloé', role: 'champion' }),
    })
    const item = await publishItem(champion.client, 'Launch', 'linkedin', {
      url: 'https://acme.example/launch?ref=blog',
    })
    const employee = await openCore()
    await joinWith(employee.client, relay, { workspaceId, ...ERIC })
    await queueSynced(employee.client)
    // No clicks yet, nothing fetched yet: My stats says so rather than showing zeros as facts.
    expect((await employee.client.call('results.mine', {})).totals.clicks).toBe(0)

    const share = await employee.client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: 'Our launch',
    })
    expect(share.trackedUrl.startsWith(`${PUBLIC}/s/`)).toBe(true)
    const code = share.trackedUrl.slice(`${PUBLIC}/s/`.length)
    expect(parseShortCode(code)).toEqual({
      workspaceId,
      itemId: item.id,
      network: 'linkedin',
      shareId: share.shareId,
    })

    const follow = async (ua: string) =>
      (await followShortLink(`${relay?.httpUrl}/s/${code}`, ua)).location
    const landing = `https://acme.example/launch?ref=blog&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=evergreen&utm_content=${share.shareId}`
    // The relay learns the item's URL from the queue document (a room hook): wait for it with a
    // preview bot, which is redirected but never counted.
    await waitFor('the relay redirects', async () => (await follow(LINKEDIN_BOT)) === landing)
    expect(await follow(FIREFOX)).toBe(landing)
    expect(await follow(FIREFOX)).toBe(landing)

    await refreshedUntil(
      employee.client,
      'my clicks fetched',
      async () => (await employee.client.call('results.mine', {})).totals.clicks === 2,
    )
    const stats = await employee.client.call('results.mine', {})
    expect(stats.totals).toEqual({ shares: 1, clicks: 2, uniqueClicks: 1, conversions: 0 })
    expect(stats.perShare[0]).toMatchObject({ shareId: share.shareId, title: 'Launch', clicks: 2 })
    expect(stats.fetchedAt).not.toBeNull()
    expect(stats.heatmap.flat().reduce((s, n) => s + n, 0)).toBe(2)
    // The nudges learn from the same clicks.
    expect(new NudgeStore(employee.core.store.db).clicks(0)).toHaveLength(2)

    // The audience I enter gives reach and click-through.
    await employee.client.call('settings.update', { audience: { linkedin: 400 } })
    const withReach = await employee.client.call('results.mine', {})
    expect(withReach.perNetwork).toMatchObject([
      { network: 'linkedin', shares: 1, audience: 400, reach: 400, clickThrough: 1 / 400 },
    ])

    // Off by default: the relay does not know the share is mine. Opting in links it; opting
    // out removes the link again.
    expect(linkedTo('mem_eric')).toEqual([])
    await employee.client.call('settings.update', { leaderboardOptIn: true })
    await waitFor('linked after opting in', () => linkedTo('mem_eric').length === 1)
    expect(linkedTo('mem_eric')).toEqual([share.shareId])
    await employee.client.call('settings.update', { leaderboardOptIn: false })
    await waitFor('unlinked after opting out', () => linkedTo('mem_eric').length === 0)

    // The relay goes away: my results stay.
    await relay.stop()
    relay = null
    await waitFor(
      'offline',
      async () => (await employee.client.call('status.get', {})).sync === 'offline',
    )
    employee.core.results.fetcher.kick()
    await employee.core.results.fetcher.idle()
    expect((await employee.client.call('results.mine', {})).totals).toEqual(stats.totals)
  })
})
