/**
 * Issue 8.3 for changes the core makes by itself: a feed with thousands of entries becomes
 * drafts in `curation` as several updates that each fit the relay's frame limit, never one
 * update the relay closes the connection on.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { MAX_CHANGE_BYTES } from '../../common/doc/limits'
import { Core } from '../../main/core/core'
import { type FixtureServer, startFixtureServer } from '../feeds/fixture-server'
import { clientOf } from '../helpers/core'
import { removeTempDir, tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'

/** Entries of about 1 KB each: together well over the relay's 1 MB frame limit as drafts. */
const ENTRIES = 1_800

describe('feed drafts made by the core fit the relay', () => {
  let relay: RelayProcess
  let feeds: FixtureServer
  const cores: Core[] = []
  const dirs: string[] = []
  let sentBytes: number[] = []

  async function champion(workspaceId: string, name: string): Promise<CoreClient> {
    const dataDir = tempDir('pv-feeds-fit-')
    dirs.push(dataDir)
    // No periodic polling: the test polls once, by hand.
    const core = await Core.open({ dataDir, maxBackoffMs: 500, refusedRetryMs: 3_600_000 })
    cores.push(core)
    const client = clientOf(core)
    await client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name, role: 'champion' }),
    })
    await waitFor('synced', async () => (await client.call('status.get', {})).sync === 'synced')
    return client
  }

  beforeAll(async () => {
    relay = await startRelay()
    feeds = await startFixtureServer({
      '/many.xml': (_req, res, origin) => {
        const items = Array.from(
          { length: ENTRIES },
          (_, i) =>
            `<item><title>Entry ${i}</title><link>${origin}/entry/${i}</link><description>${'x'.repeat(900)}</description></item>`,
        )
        res.writeHead(200, { 'content-type': 'application/rss+xml' })
        res.end(
          `<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>${items.join('')}</channel></rss>`,
        )
      },
    })
  })

  afterAll(async () => {
    await Promise.all(cores.map((core) => core.close()))
    await relay?.stop()
    await feeds?.close()
    if (relay) removeTempDir(relay.dataDir)
    for (const dir of dirs) removeTempDir(dir)
  })

  it('splits a huge batch of entries into updates below the limit; the other champion gets them all', async () => {
    const workspaceId = await relay.createWorkspace('Feeds Co')
    const poller = await champion(workspaceId, 'Paula')
    const reader = await champion(workspaceId, 'Rémi')
    const core = cores[0] as Core
    sentBytes = []
    core.joined().sync.docs.curation.on('update', (update: Uint8Array) => {
      sentBytes.push(update.byteLength)
    })

    await poller.call('feed.add', { url: `${feeds.origin}/many.xml` })
    await poller.call('feed.poll', {})

    // More than one update, each under what a core may send (half the relay's frame limit).
    const drafts = sentBytes.filter((bytes) => bytes > 10_000)
    expect(drafts.length).toBeGreaterThan(1)
    for (const bytes of sentBytes) expect(bytes).toBeLessThanOrEqual(MAX_CHANGE_BYTES)
    expect(drafts.reduce((a, b) => a + b, 0)).toBeGreaterThan(1024 * 1024)

    // The relay took every one: the other champion's core has all the drafts, and the poller's
    // link was never closed over a change (it stays synced, no problem).
    await waitFor('every draft at the other champion', async () => {
      const list = await reader.call('queue.list', { status: ['draft'] })
      return list.length === ENTRIES
    })
    const status = await poller.call('status.get', {})
    expect(status.problem).toBeNull()
    expect(status.sync).toBe('synced')
    expect(relay.logs()).not.toMatch(/1009|too (big|large)/i)
  })
})
