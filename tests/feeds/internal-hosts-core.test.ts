import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { CoreClient } from '../../common/contract/client'
import { ALLOW_INTERNAL_ENV } from '../../main/core/net/address-policy'
import { type CoreProcess, startCore } from '../helpers/core'
import { type RelayProcess, startRelay, stopRelay } from '../helpers/relay'
import { waitFor } from '../helpers/wait'
import { type FixtureServer, file, redirect, startFixtureServer } from './fixture-server'

/**
 * Issue 8.7 end to end: a champion's real core process, started WITHOUT the test suite's
 * allowance for 127.0.0.1 (vitest.config sets PORTE_VOIX_ALLOW_INTERNAL_HOSTS for everyone),
 * refuses feeds on loopback — by address, by a name resolving there (`localhost`), and after a
 * redirect from an allowed host — before any request: the server sees nothing, no draft is made
 * and the feed says why. With the allowance set to that host, the same feed works.
 */
let relay: RelayProcess
let target: FixtureServer
let redirector: FixtureServer
const cores: CoreProcess[] = []

function port(server: FixtureServer): string {
  return new URL(server.origin).port
}

/** A champion's core in a workspace of its own (feed sources are shared by a workspace). */
async function champion(allowance: string | null): Promise<CoreClient> {
  const env = { ...process.env }
  delete env[ALLOW_INTERNAL_ENV]
  if (allowance !== null) env[ALLOW_INTERNAL_ENV] = allowance
  const core = await startCore({ env })
  cores.push(core)
  const workspaceId = await relay.createWorkspace(`Feeds ${cores.length}`)
  await core.client.call('workspace.join', {
    invitation: await relay.invite({ workspaceId, name: 'Paula', role: 'champion' }),
  })
  await waitFor('synced', async () => (await core.client.call('status.get', {})).sync === 'synced')
  return core.client
}

/** Adds `url`, polls once, and returns that source as the studio shows it. */
async function addAndPoll(client: CoreClient, url: string) {
  const added = await client.call('feed.add', { url })
  const polled = await client.call('feed.poll', {})
  const view = polled.find((source) => source.id === added.id)
  expect(view, url).toBeDefined()
  return view as NonNullable<typeof view>
}

beforeAll(async () => {
  relay = await startRelay()
  target = await startFixtureServer({ '/feed.xml': file('rss2.xml', 'application/rss+xml') })
  redirector = await startFixtureServer({
    '/go': redirect(`http://127.0.0.1:${port(target)}/feed.xml`),
  })
})

afterAll(async () => {
  for (const core of cores) await core.stop()
  await target?.close()
  await redirector?.close()
  await stopRelay(relay)
})

describe('a champion core without an allowance never fetches an internal feed', () => {
  it('loopback by address, by name and after a redirect: no request, no draft, a clear refusal', async () => {
    const strict = await champion(null)
    for (const url of [
      `http://127.0.0.1:${port(target)}/feed.xml`,
      `http://localhost:${port(target)}/feed.xml`,
      `http://[::ffff:127.0.0.1]:${port(target)}/feed.xml`,
    ]) {
      const view = await addAndPoll(strict, url)
      expect(view.lastStatus, url).not.toBe('ok')
      expect(view.lastMessage, url).toMatch(/refused .*PORTE_VOIX_ALLOW_INTERNAL_HOSTS/)
    }
    expect(target.hits.size).toBe(0)
    expect(redirector.hits.size).toBe(0)
    expect(await strict.call('queue.list', { status: ['draft'] })).toEqual([])

    // `localhost` allowed by name, 127.0.0.1 not: the redirect there is refused before it is
    // followed (the redirector is asked, the target never).
    const byName = await champion('localhost')
    const redirected = await addAndPoll(byName, `http://localhost:${port(redirector)}/go`)
    expect(redirected.lastStatus).not.toBe('ok')
    expect(redirected.lastMessage).toMatch(/refused/)
    expect(redirector.hits.get('/go')).toBe(1)
    expect(target.hits.size).toBe(0)
    expect(await byName.call('queue.list', { status: ['draft'] })).toEqual([])
  })

  it('with the allowance set to that host, the same feed becomes drafts', async () => {
    const allowed = await champion('127.0.0.1')
    const view = await addAndPoll(allowed, `http://127.0.0.1:${port(target)}/feed.xml`)
    expect(view.lastStatus).toBe('ok')
    expect(target.hits.get('/feed.xml')).toBeGreaterThanOrEqual(1)
    await waitFor('drafts from the feed', async () => {
      const drafts = await allowed.call('queue.list', { status: ['draft'] })
      return drafts.length > 0
    })
  })
})
