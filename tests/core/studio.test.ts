import path from 'node:path'
import Database from 'better-sqlite3'
import * as encoding from 'lib0/encoding'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as syncProtocol from 'y-protocols/sync'
import type { CoreClient } from '../../common/contract/client'
import { toBase64 } from '../../common/contract/messages'
import { insertItem } from '../../common/doc/queue-doc'
import type { Item } from '../../common/model/item'
import { Core } from '../../main/core/core'
import { DATABASE_FILE } from '../../main/core/store/database'
import { type FixtureServer, file, fixture, startFixtureServer } from '../feeds/fixture-server'
import { clientOf } from '../helpers/core'
import { readQueueTable } from '../helpers/core-db'
import { errorOf } from '../helpers/errors'
import { tempDir } from '../helpers/process'
import { type RelayProcess, startRelay } from '../helpers/relay'
import { openReplica } from '../helpers/replica'
import { waitFor } from '../helpers/wait'

type Member = { core: Core; client: CoreClient; memberId: string; dataDir: string }

describe('champion studio through the contract (real cores, real relay)', () => {
  let relay: RelayProcess
  let workspaceId: string
  let feeds: FixtureServer
  let alice: Member
  let bob: Member
  let eve: Member
  let fred: Member
  const cores: Core[] = []

  async function member(role: 'champion' | 'employee', name: string): Promise<Member> {
    const dataDir = tempDir('pv-studio-')
    const core = await Core.open({ dataDir, maxBackoffMs: 500 })
    cores.push(core)
    const client = clientOf(core)
    const session = await client.call('workspace.join', {
      invitation: await relay.invite({ workspaceId, name, role }),
    })
    return { core, client, memberId: session.memberId, dataDir }
  }

  /**
   * An employee's proposal through the real channel: `proposal.create` on the employee's core,
   * its outbox, the relay's `POST /api/v1/proposals`, and the relay's write into the queue
   * document; resolves once a champion's core has it, awaiting review.
   */
  async function proposalBy(author: Member, title: string): Promise<string> {
    const made = await author.client.call('proposal.create', {
      url: `https://example.com/proposal-${Math.random().toString(36).slice(2, 10)}`,
      title,
      note: 'Our team is growing',
      caption: 'We are hiring!',
    })
    for (const champion of [alice, bob]) {
      await waitFor('proposal reaches the champions', async () =>
        (await champion.client.call('queue.list', { status: ['submitted'] })).some(
          (item) => item.id === made.id,
        ),
      )
    }
    return made.id
  }

  /**
   * A submitted item written through a champion's window replica of the curation document
   * (what a relay-side proposal ends up as); only for the forbidden-calls check, which needs no
   * real proposal.
   */
  async function submittedByReplica(author: Member, title: string): Promise<string> {
    const window = openReplica(alice.client, 'curation')
    const now = new Date().toISOString()
    const id = `item_prop${Math.random().toString(36).slice(2, 10)}`
    const item: Item = {
      id,
      title,
      url: `https://example.com/${id}`,
      source: 'Proposed by an employee',
      sourceKind: 'employee',
      objective: 'talent',
      topics: ['hiring'],
      why: 'Our team is growing',
      captions: { linkedin: 'We are hiring!' },
      variants: {},
      imageUrl: null,
      status: 'submitted',
      publishAt: null,
      expiresAt: null,
      priority: 50,
      campaignId: null,
      authorId: author.memberId,
      approverId: null,
      moderation: null,
      createdAt: now,
      updatedAt: now,
    }
    window.doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin === 'core') return
      // Forward the window's edit to the core as the renderer binding does.
      const encoder = encoding.createEncoder()
      syncProtocol.writeUpdate(encoder, update)
      alice.client.send({
        t: 'doc',
        doc: 'curation',
        data: toBase64(encoding.toUint8Array(encoder)),
      })
    })
    insertItem(window.doc, item)
    // Proposals are the curators': another champion's core has it, no employee's does.
    await waitFor('proposal reaches the other champion', async () =>
      (await bob.client.call('queue.list', {})).some((i) => i.id === id),
    )
    window.close()
    return id
  }

  beforeAll(async () => {
    relay = await startRelay()
    workspaceId = await relay.createWorkspace('Studio Co')
    feeds = await startFixtureServer({
      '/rss.xml': file('rss2.xml', 'application/rss+xml'),
      '/atom.xml': file('atom.xml', 'application/atom+xml'),
      '/feed.json': file('feed.json', 'application/feed+json'),
      '/broken.xml': file('broken.xml', 'application/rss+xml'),
      '/article': file('article.html', 'text/html; charset=utf-8'),
      '/periodic.json': (_req, res, origin) => {
        res.writeHead(200, { 'content-type': 'application/feed+json' })
        res.end(
          JSON.stringify({
            version: 'https://jsonfeed.org/version/1.1',
            title: 'Periodic',
            items: [{ id: 'p-1', url: `${origin}/periodic-entry`, title: 'Polled on its own' }],
          }),
        )
      },
    })
    alice = await member('champion', 'Alice Martin')
    bob = await member('champion', 'Bob Durand')
    eve = await member('employee', 'Eve Leroy')
    fred = await member('employee', 'Fred Petit')
  })

  afterAll(async () => {
    await Promise.all(cores.map((core) => core.close()))
    await relay?.stop()
    await feeds?.close()
  })

  it('approve with an edit: published in every employee queue, decision recorded', async () => {
    const id = await proposalBy(eve, 'Join our data team')
    const approved = await bob.client.call('item.approve', {
      id,
      patch: { title: 'Join our data team in Lyon', priority: 80 },
    })
    expect(approved).toMatchObject({
      status: 'published',
      title: 'Join our data team in Lyon',
      priority: 80,
      approverId: bob.memberId,
      authorId: eve.memberId,
      moderation: { decision: 'approved', by: bob.memberId, reason: null },
    })
    for (const employee of [eve, fred]) {
      const listed = await waitFor('approved item in the employee queue', async () =>
        (await employee.client.call('queue.list', { status: ['published'] })).find(
          (item) => item.id === id && item.title === 'Join our data team in Lyon',
        ),
      )
      expect(listed.moderation?.decision).toBe('approved')
    }
    await waitFor('the author sees the approval', async () =>
      (await eve.client.call('proposal.listMine', {})).some(
        (p) => p.id === id && p.state === 'approved',
      ),
    )
    // And in the employee's SQLite file, as another process reads it.
    expect(readQueueTable(fred.dataDir).find((item) => item.id === id)?.status).toBe('published')

    // publish: false approves without publishing yet.
    const second = await proposalBy(fred, 'Our new office')
    expect((await alice.client.call('item.approve', { id: second, publish: false })).status).toBe(
      'approved',
    )
  })

  it('reject with a reason: the author’s core sees the outcome and the reason', async () => {
    const id = await proposalBy(eve, 'A competitor’s article')
    await expect(alice.client.call('item.reject', { id, reason: '  ' })).rejects.toThrow(
      /give a reason/,
    )
    const rejected = await alice.client.call('item.reject', {
      id,
      reason: 'We do not share competitors’ content',
    })
    expect(rejected.status).toBe('archived')
    const seen = await waitFor('rejection at the other champion', async () => {
      const item = await bob.client.call('item.get', { id })
      return item.moderation?.decision === 'rejected' ? item : undefined
    })
    expect(seen.moderation).toMatchObject({
      decision: 'rejected',
      by: alice.memberId,
      reason: 'We do not share competitors’ content',
    })
    expect(seen.status).toBe('archived')
    // The author's core holds no copy of the item: the relay tells it the fate of its own.
    await expect(eve.client.call('item.get', { id })).rejects.toThrow(/No item/)
    const mine = await waitFor('the author’s proposal list shows the reason', async () =>
      (await eve.client.call('proposal.listMine', {})).find(
        (p) => p.id === id && p.state === 'rejected',
      ),
    )
    expect(mine.reason).toBe('We do not share competitors’ content')
    expect(
      (await eve.client.call('queue.list', { status: ['published'] })).map((i) => i.id),
    ).not.toContain(id)
  })

  it('employees cannot moderate, edit campaigns or manage feeds (forbidden)', async () => {
    const id = await submittedByReplica(eve, 'Self-approval attempt')
    for (const call of [
      eve.client.call('item.approve', { id }),
      eve.client.call('item.reject', { id, reason: 'no' }),
      eve.client.call('feed.add', { url: `${feeds.origin}/rss.xml` }),
      eve.client.call('feed.list', {}),
      eve.client.call('feed.poll', {}),
      eve.client.call('campaign.update', { id: 'camp_nope', patch: { goalTarget: 5 } }),
    ]) {
      expect((await errorOf(call)).code).toBe('forbidden')
    }
    expect((await alice.client.call('item.get', { id })).status).toBe('submitted')
  })

  it('campaign.update validates and reaches employees; members.list reads the directory', async () => {
    const campaign = await alice.client.call('campaign.create', {
      name: 'Q3 launch',
      objective: 'campaign',
      goalMetric: 'confirmed sign-ups',
      goalTarget: 3000,
      deadline: '2026-12-31T18:00:00.000Z',
    })
    await waitFor('campaign reaches Bob', async () =>
      (await bob.client.call('campaign.list', {})).find((c) => c.id === campaign.id),
    )
    expect(
      (
        await errorOf(
          bob.client.call('campaign.update', { id: campaign.id, patch: { goalTarget: -1 } }),
        )
      ).code,
    ).toBe('bad_request')
    const updated = await bob.client.call('campaign.update', {
      id: campaign.id,
      patch: { goalTarget: 3500, name: 'Q3 launch event' },
    })
    expect(updated).toMatchObject({
      goalTarget: 3500,
      name: 'Q3 launch event',
      goalMetric: 'confirmed sign-ups',
    })
    await waitFor('campaign edit at the employee', async () =>
      (await eve.client.call('campaign.list', {})).find(
        (c) => c.id === campaign.id && c.goalTarget === 3500,
      ),
    )
    expect(
      (await errorOf(bob.client.call('campaign.update', { id: 'camp_missing', patch: {} }))).code,
    ).toBe('not_found')

    const members = await waitFor('members in the directory', async () => {
      const list = await alice.client.call('members.list', {})
      return list.length >= 4 ? list : undefined
    })
    expect(members.map((m) => [m.displayName, m.role])).toEqual(
      expect.arrayContaining([
        ['Alice Martin', 'champion'],
        ['Bob Durand', 'champion'],
        ['Eve Leroy', 'employee'],
        ['Fred Petit', 'employee'],
      ]),
    )
  })

  it('campaign.update writes only the patched fields: concurrent edits of two fields both stay', async () => {
    const campaign = await alice.client.call('campaign.create', {
      name: 'Autumn hiring',
      objective: 'talent',
      goalMetric: 'applications',
      goalTarget: 100,
      deadline: '2026-11-30T18:00:00.000Z',
    })
    await waitFor('campaign reaches Bob', async () =>
      (await bob.client.call('campaign.list', {})).find((c) => c.id === campaign.id),
    )
    alice.core.setNetwork(false)
    try {
      await waitFor(
        'Alice offline',
        async () => (await alice.client.call('status.get', {})).sync !== 'synced',
      )
      // Each champion changes a different field from the same starting point.
      await alice.client.call('campaign.update', {
        id: campaign.id,
        patch: { name: 'Autumn hiring drive' },
      })
      await bob.client.call('campaign.update', { id: campaign.id, patch: { goalTarget: 250 } })
    } finally {
      alice.core.setNetwork(true)
    }
    for (const core of [alice, bob, eve]) {
      const seen = await waitFor('both edits everywhere', async () =>
        (await core.client.call('campaign.list', {})).find(
          (c) => c.id === campaign.id && c.name === 'Autumn hiring drive' && c.goalTarget === 250,
        ),
      )
      expect(seen).toMatchObject({ goalMetric: 'applications', objective: 'talent' })
    }
  })

  it('feeds: sources are shared, polling creates drafts once, broken feeds report clearly', async () => {
    const rss = await alice.client.call('feed.add', { url: `${feeds.origin}/rss.xml` })
    await alice.client.call('feed.add', { url: `${feeds.origin}/atom.xml` })
    await alice.client.call('feed.add', { url: `${feeds.origin}/feed.json` })
    const broken = await alice.client.call('feed.add', { url: `${feeds.origin}/broken.xml` })
    expect(
      (await errorOf(alice.client.call('feed.add', { url: `${feeds.origin}/rss.xml#x` }))).code,
    ).toBe('conflict')
    // Bob (another champion) sees the same sources through the shared document.
    await waitFor(
      'sources shared with Bob',
      async () => (await bob.client.call('feed.list', {})).length === 4,
    )

    const before = (await alice.client.call('queue.list', { status: ['draft'] })).length
    const views = await alice.client.call('feed.poll', {})
    const byUrl = new Map(views.map((view) => [view.url, view]))
    expect(byUrl.get(rss.url)).toMatchObject({ lastStatus: 'ok', lastMessage: null })
    expect(byUrl.get(`${feeds.origin}/atom.xml`)?.lastStatus).toBe('ok')
    expect(byUrl.get(`${feeds.origin}/feed.json`)?.lastStatus).toBe('ok')
    expect(byUrl.get(broken.url)?.lastStatus).toBe('parse')
    expect(byUrl.get(broken.url)?.lastMessage).toMatch(/not valid XML/)
    expect(byUrl.get(broken.url)?.lastPolledAt).not.toBeNull()

    const drafts = (await alice.client.call('queue.list', { status: ['draft'] })).filter(
      (item) => item.sourceKind === 'third-party',
    )
    expect(drafts.length).toBeGreaterThan(before)
    const launch = drafts.find((item) => item.url === `${feeds.origin}/article`)
    expect(launch).toBeDefined()
    // Nothing from the feed is markup: the draft holds text only.
    expect(launch?.title).not.toMatch(/<script|<img/)
    expect(launch?.authorId).toBe(alice.memberId)
    const urls = drafts.map((item) => item.url)
    expect(new Set(urls).size).toBe(urls.length)

    // Re-poll (here and on Bob's core, after sync): no duplicates.
    await waitFor(
      'drafts reach Bob',
      async () =>
        (await bob.client.call('queue.list', { status: ['draft'] })).length >= drafts.length,
    )
    await alice.client.call('feed.poll', {})
    await bob.client.call('feed.poll', {})
    const after = await waitFor('champions agree on drafts', async () => {
      const [a, b] = await Promise.all([
        alice.client.call('queue.list', { status: ['draft'] }),
        bob.client.call('queue.list', { status: ['draft'] }),
      ])
      return a.length === b.length ? a : undefined
    })
    expect(
      after
        .filter((item) => item.sourceKind === 'third-party')
        .map((i) => i.url)
        .sort(),
    ).toEqual([...urls].sort())
    // Employees never see drafts in their popover queue (published only), but the row exists.
    expect(
      (await eve.client.call('queue.list', { status: ['published'] })).some(
        (i) => i.url === launch?.url,
      ),
    ).toBe(false)

    await alice.client.call('feed.remove', { id: broken.id })
    expect((await alice.client.call('feed.list', {})).map((view) => view.id)).not.toContain(
      broken.id,
    )
    expect((await errorOf(alice.client.call('feed.remove', { id: broken.id }))).code).toBe(
      'not_found',
    )
    // The fixture served real content (guards against a test that passes on an empty feed).
    expect(fixture('rss2.xml', feeds.origin)).toContain('/article')
  })

  it('feed.poll does nothing while the core is not synced with the relay', async () => {
    const entryUrl = `${feeds.origin}/offline-entry`
    feeds.routes.set('/offline.json', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/feed+json' })
      res.end(
        JSON.stringify({
          version: 'https://jsonfeed.org/version/1.1',
          title: 'Offline',
          items: [{ id: 'o-1', url: entryUrl, title: 'Seen only once synced' }],
        }),
      )
    })
    const source = await alice.client.call('feed.add', { url: `${feeds.origin}/offline.json` })
    alice.core.setNetwork(false)
    try {
      await waitFor(
        'Alice’s core is not synced',
        async () => (await alice.client.call('status.get', {})).sync !== 'synced',
      )
      const hitsBefore = feeds.hits.get('/offline.json') ?? 0
      const views = await alice.client.call('feed.poll', {})
      expect(views.find((view) => view.id === source.id)).toMatchObject({
        lastStatus: 'offline',
        lastMessage: 'Not polled: not connected to the relay',
      })
      // Not fetched, no draft written under a (deterministic) id a colleague may already use.
      expect(feeds.hits.get('/offline.json') ?? 0).toBe(hitsBefore)
      expect(
        (await alice.client.call('queue.list', {})).some((item) => item.url === entryUrl),
      ).toBe(false)
    } finally {
      alice.core.setNetwork(true)
    }
    await waitFor(
      'Alice’s core synced again',
      async () => (await alice.client.call('status.get', {})).sync === 'synced',
    )
    const views = await alice.client.call('feed.poll', {})
    expect(views.find((view) => view.id === source.id)?.lastStatus).toBe('ok')
    expect(
      (await alice.client.call('queue.list', {})).filter((item) => item.url === entryUrl),
    ).toHaveLength(1)
    await alice.client.call('feed.remove', { id: source.id })
  })

  it('a source removed while its feed is being fetched gets no drafts, seen marks or status', async () => {
    const entryUrl = `${feeds.origin}/removed-entry`
    let release: () => void = () => {}
    const gate = new Promise<void>((resolve) => {
      release = resolve
    })
    feeds.routes.set('/removed.json', (_req, res) => {
      void gate.then(() => {
        res.writeHead(200, { 'content-type': 'application/feed+json' })
        res.end(
          JSON.stringify({
            version: 'https://jsonfeed.org/version/1.1',
            title: 'Removed meanwhile',
            items: [{ id: 'r-1', url: entryUrl, title: 'Must not arrive' }],
          }),
        )
      })
    })
    const source = await alice.client.call('feed.add', { url: `${feeds.origin}/removed.json` })
    const polling = alice.client.call('feed.poll', {})
    await waitFor('the fetch started', () => (feeds.hits.get('/removed.json') ?? 0) > 0)
    await alice.client.call('feed.remove', { id: source.id })
    release()
    const views = await polling
    expect(views.map((view) => view.id)).not.toContain(source.id)
    expect((await alice.client.call('queue.list', {})).some((item) => item.url === entryUrl)).toBe(
      false,
    )
    const db = new Database(path.join(alice.dataDir, DATABASE_FILE), { readonly: true })
    try {
      expect(
        db.prepare('SELECT * FROM studio_feed_status WHERE source_id = ?').all(source.id),
      ).toEqual([])
      expect(db.prepare('SELECT * FROM feed_seen WHERE source_id = ?').all(source.id)).toEqual([])
    } finally {
      db.close()
    }
  })

  it('a champion core polls its sources periodically, with no window asking', async () => {
    const previous = process.env.PORTE_VOIX_FEED_INTERVAL_MS
    process.env.PORTE_VOIX_FEED_INTERVAL_MS = '150'
    let carol: Member
    try {
      carol = await member('champion', 'Carol Periodic')
    } finally {
      if (previous === undefined) delete process.env.PORTE_VOIX_FEED_INTERVAL_MS
      else process.env.PORTE_VOIX_FEED_INTERVAL_MS = previous
    }
    // Bob adds the source; Carol's core picks it up from the shared document and polls it.
    const source = await bob.client.call('feed.add', { url: `${feeds.origin}/periodic.json` })
    const polled = await waitFor('periodic poll on Carol’s core', async () =>
      (await carol.client.call('feed.list', {})).find(
        (view) => view.id === source.id && view.lastStatus === 'ok',
      ),
    )
    expect(polled.lastPolledAt).not.toBeNull()
    // Drafts are the curators' (curation document): the other champions get it, employees not.
    const draft = await waitFor('periodic draft reaches the other champions', async () =>
      (await alice.client.call('queue.list', { status: ['draft'] })).find(
        (item) => item.url === `${feeds.origin}/periodic-entry`,
      ),
    )
    expect(draft.title).toBe('Polled on its own')
    // Polled again and again: still one draft.
    await waitFor('several polls', async () => (feeds.hits.get('/periodic.json') ?? 0) >= 3)
    const all = await carol.client.call('queue.list', {})
    expect(all.filter((item) => item.url === `${feeds.origin}/periodic-entry`)).toHaveLength(1)
  })
})
