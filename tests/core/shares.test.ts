import { existsSync, readFileSync } from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import type { CoreClient } from '../../common/contract/client'
import type { Item } from '../../common/model/item'
import { pickVariant } from '../../common/share'
import { Core } from '../../main/core/core'
import { assertOpenable, checkedOpener, type Opener } from '../../main/core/shares/opener'
import { DATABASE_FILE } from '../../main/core/store/database'
import { fileOpener, OPENED_URLS_FILE } from '../../main/host/opener'
import { clientOf, fakeInvitation } from '../helpers/core'
import { errorOf } from '../helpers/errors'
import { tempDir } from '../helpers/process'

const WORKSPACE = 'ws_acme'
const cores: Core[] = []

async function openCore(
  role: 'employee' | 'champion',
  memberId: string,
  opener?: (dataDir: string) => Opener,
): Promise<{ core: Core; client: CoreClient; dataDir: string }> {
  const dataDir = tempDir('pv-shares-')
  const core = await Core.open({
    dataDir,
    joinWaitMs: 200,
    opener: (opener ?? ((dir) => fileOpener(dir, () => {})))(dataDir),
  })
  cores.push(core)
  const client = clientOf(core)
  // Offline on purpose: nothing in sharing needs the relay (port 9 answers nothing).
  await client.call('workspace.join', {
    invitation: fakeInvitation({ role, workspaceId: WORKSPACE, memberId }),
  })
  return { core, client, dataDir }
}

/** What the relay would deliver: the champion's queue document, applied to another core. */
function copyQueue(from: Core, to: Core): void {
  const update = Y.encodeStateAsUpdate(from.joined().sync.docs.queue)
  Y.applyUpdate(to.joined().sync.docs.queue, update, 'test-relay')
}

function openedUrls(dataDir: string): string[] {
  const file = path.join(dataDir, OPENED_URLS_FILE)
  if (!existsSync(file)) return []
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => (JSON.parse(line) as { url: string }).url)
}

function sharesInDb(dataDir: string): { id: string; item_id: string; network: string }[] {
  const db = new Database(path.join(dataDir, DATABASE_FILE), { readonly: true })
  try {
    return db.prepare('SELECT id, item_id, network FROM shares ORDER BY shared_at').all() as {
      id: string
      item_id: string
      network: string
    }[]
  } finally {
    db.close()
  }
}

let champion: Awaited<ReturnType<typeof openCore>>
let employee: Awaited<ReturnType<typeof openCore>>
let launch: Item
let evergreen: Item
let other: Item
let draft: Item
let expired: Item

beforeAll(async () => {
  champion = await openCore('champion', 'mem_chloe')
  const c = champion.client
  const campaign = await c.call('campaign.create', {
    name: 'Lancement Q3 — Événement',
    objective: 'campaign',
    goalMetric: 'confirmed sign-ups',
    goalTarget: 3000,
    deadline: new Date(Date.now() + 30 * 86_400_000).toISOString(),
  })
  launch = await c.call('item.create', {
    title: 'Our Q3 launch event',
    // A query string and a fragment that must survive, and an old utm_ that must not.
    url: 'https://acme.example/events/q3?ref=home&utm_source=old#signup',
    objective: 'campaign',
    campaignId: campaign.id,
    priority: 90,
    status: 'published',
    captions: { linkedin: 'Join us at the Q3 launch!', x: 'Q3 launch!' },
    variants: { linkedin: ['See you at the Q3 launch', 'The Q3 launch is coming', 'Q3: be there'] },
  })
  evergreen = await c.call('item.create', {
    title: 'We are hiring',
    url: 'https://acme.example/jobs',
    objective: 'talent',
    priority: 60,
    status: 'published',
    captions: { mastodon: 'Come work with us' },
  })
  other = await c.call('item.create', {
    title: 'Industry report',
    url: 'https://news.example/report',
    objective: 'awareness',
    priority: 40,
    status: 'published',
  })
  draft = await c.call('item.create', {
    title: 'Not yet',
    url: 'https://acme.example/draft',
    objective: 'awareness',
    status: 'draft',
  })
  expired = await c.call('item.create', {
    title: 'Gone',
    url: 'https://acme.example/old',
    objective: 'awareness',
    status: 'published',
    expiresAt: new Date(Date.now() - 86_400_000).toISOString(),
  })
  employee = await openCore('employee', 'mem_eric')
  copyQueue(champion.core, employee.core)
})

afterAll(async () => {
  for (const core of cores) await core.close()
})

describe('share.perform, offline', () => {
  it('opens LinkedIn’s share page for the tracked URL, records the share, ranks it last, counts it', async () => {
    const before = await employee.client.call('queue.forMe', {})
    expect(before.map((entry) => entry.item.id)).toEqual([launch.id, evergreen.id, other.id])
    expect(before[0]?.campaign?.name).toBe('Lancement Q3 — Événement')
    expect(before.every((entry) => entry.sharedOn.length === 0)).toBe(true)

    const events: number[] = []
    employee.client.on('mine.changed', ({ pendingOutbox }) => events.push(pendingOutbox))
    const outcome = await employee.client.call('share.perform', {
      itemId: launch.id,
      network: 'linkedin',
      text: 'My own words about the launch 🚀',
    })

    const tracked =
      'https://acme.example/events/q3?ref=home&utm_source=linkedin&utm_medium=employee-advocacy' +
      `&utm_campaign=lancement-q3-evenement&utm_content=${outcome.shareId}#signup`
    expect(outcome.trackedUrl).toBe(tracked)
    const expected = `https://www.linkedin.com/sharing/share-offsite/?url=${encodeURIComponent(tracked)}`
    expect(outcome.targetUrl).toBe(expected)
    expect(openedUrls(employee.dataDir)).toEqual([expected])
    expect(outcome.clipboardText).toBe('My own words about the launch 🚀')
    expect(outcome.pasteNeeded).toBe(true)
    // Exactly the four UTM parameters, the opaque id among them.
    const params = new URL(tracked).searchParams
    expect([...params.keys()].filter((key) => key.startsWith('utm_'))).toEqual([
      'utm_source',
      'utm_medium',
      'utm_campaign',
      'utm_content',
    ])

    expect(sharesInDb(employee.dataDir)).toEqual([
      { id: outcome.shareId, item_id: launch.id, network: 'linkedin' },
    ])

    const after = await employee.client.call('queue.forMe', {})
    expect(after.map((entry) => entry.item.id)).toEqual([evergreen.id, other.id, launch.id])
    expect(after.at(-1)?.sharedOn).toEqual(['linkedin'])

    const stats = await employee.client.call('stats.mine', {})
    expect(stats).toMatchObject({ today: 1, week: 1, month: 1, total: 1, currentStreak: 1 })
    expect(stats.byNetwork).toEqual({ linkedin: 1 })
    expect(stats.byObjective).toEqual({ campaign: 1 })
    // The relay is unreachable: the share waits in the outbox.
    await expect.poll(() => events.at(-1)).toBe(1)
  })

  it('filters the queue by objective and topic', async () => {
    const talent = await employee.client.call('queue.forMe', { objective: 'talent' })
    expect(talent.map((entry) => entry.item.id)).toEqual([evergreen.id])
    expect(await employee.client.call('queue.forMe', { topic: 'nothing-here' })).toEqual([])
  })

  it('refuses an item that is not live, and opens nothing', async () => {
    const opened = openedUrls(employee.dataDir).length
    const shares = sharesInDb(employee.dataDir).length
    for (const item of [draft, expired]) {
      const error = await errorOf(
        employee.client.call('share.perform', { itemId: item.id, network: 'x', text: 'hi' }),
      )
      expect(error.code).toBe('not_found')
      expect(error.message).toMatch(/not in your queue/)
    }
    const unknown = await errorOf(
      employee.client.call('share.perform', { itemId: 'item_nope', network: 'x', text: 'hi' }),
    )
    expect(unknown.code).toBe('not_found')
    expect(openedUrls(employee.dataDir)).toHaveLength(opened)
    expect(sharesInDb(employee.dataDir)).toHaveLength(shares)
  })

  it('Mastodon without a server is a clear bad_request; with one it opens that server', async () => {
    const opened = openedUrls(employee.dataDir).length
    const error = await errorOf(
      employee.client.call('share.perform', {
        itemId: evergreen.id,
        network: 'mastodon',
        text: 'Come work with us',
      }),
    )
    expect(error.code).toBe('bad_request')
    expect(error.message).toMatch(/set your Mastodon server in Settings/)
    expect(openedUrls(employee.dataDir)).toHaveLength(opened)

    await employee.client.call('settings.update', { mastodonInstance: 'mastodon.social' })
    const outcome = await employee.client.call('share.perform', {
      itemId: evergreen.id,
      network: 'mastodon',
      text: 'Come work with us',
    })
    expect(outcome.targetUrl).toMatch(/^https:\/\/mastodon\.social\/share\?text=/)
    // Evergreen content still carries a campaign name, so every link has the same four params.
    expect(new URL(outcome.trackedUrl).searchParams.get('utm_campaign')).toBe('evergreen')
    expect(openedUrls(employee.dataDir).at(-1)).toBe(outcome.targetUrl)
  })

  it('takes the share back when the share page cannot be opened', async () => {
    const failing = await openCore('employee', 'mem_fay', () => ({
      open: async () => {
        throw new Error('no browser')
      },
    }))
    copyQueue(champion.core, failing.core)
    const error = await errorOf(
      failing.client.call('share.perform', { itemId: other.id, network: 'x', text: 'hi' }),
    )
    expect(error.code).toBe('unavailable')
    expect(sharesInDb(failing.dataDir)).toEqual([])
    expect((await failing.client.call('stats.mine', {})).total).toBe(0)
  })
})

describe('caption variants rotate between colleagues', () => {
  it('gives different members different suggestions, each stable for that member', async () => {
    const choices = [launch.captions.linkedin ?? '', ...(launch.variants.linkedin ?? [])]
    // Two member ids the rotation separates (pure function of member and item).
    const candidates = ['mem_a1', 'mem_b2', 'mem_c3', 'mem_d4', 'mem_e5', 'mem_f6']
    const first = candidates[0] as string
    const second = candidates.find(
      (id) => pickVariant(choices, id, launch.id) !== pickVariant(choices, first, launch.id),
    )
    if (!second) throw new Error('no two candidates get different variants')
    const suggestions: string[] = []
    for (const memberId of [first, second]) {
      const colleague = await openCore('employee', memberId)
      copyQueue(champion.core, colleague.core)
      const entry = (await colleague.client.call('queue.forMe', {})).find(
        (e) => e.item.id === launch.id,
      )
      suggestions.push(entry?.suggested.linkedin ?? '')
      // Only networks with a caption get a suggestion.
      expect(Object.keys(entry?.suggested ?? {}).sort()).toEqual(['linkedin', 'x'])
      expect(entry?.suggested.x).toBe('Q3 launch!')
    }
    expect(suggestions[0]).not.toBe(suggestions[1])
    for (const text of suggestions) expect(choices).toContain(text)
  })
})

describe('the opener only ever gets http(s) and mailto:', () => {
  it('refuses javascript:, file:, data: and custom schemes, whatever asks', async () => {
    const seen: string[] = []
    const opener = checkedOpener({ open: async (url) => void seen.push(url) })
    for (const url of [
      'javascript:alert(1)',
      'file:///etc/passwd',
      'data:text/html,<script>alert(1)</script>',
      'porte-voix://join?x=1',
      'https://exa mple.com/',
      'not a url',
    ]) {
      await expect(opener.open(url)).rejects.toThrow(/Refusing to open/)
      expect(() => assertOpenable(url)).toThrow()
    }
    await opener.open('https://www.linkedin.com/sharing/share-offsite/?url=x')
    await opener.open('mailto:?subject=Hi&body=There')
    expect(seen).toHaveLength(2)
  })
})
