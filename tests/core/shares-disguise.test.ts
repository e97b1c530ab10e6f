import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { itemsMap, readItem } from '../../common/doc/queue-doc'
import { Core } from '../../main/core/core'
import { clientOf, fakeInvitation } from '../helpers/core'

const RLO = '\u202E'
const CONTROLS = /[\u202A-\u202E\u2066-\u2069]/

const dirs: string[] = []
const cores: Core[] = []
afterAll(async () => {
  for (const core of cores) await core.close()
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

describe('bidirectional overrides cannot disguise titles or captions', () => {
  it('drops them from what a champion writes, what employees read and what is shared', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'pv-bidi-'))
    dirs.push(dataDir)
    const core = await Core.open({
      dataDir,
      joinWaitMs: 200,
      opener: { open: async () => {} },
    })
    cores.push(core)
    const client = clientOf(core)
    // No relay: the core works offline on its replica.
    await client.call('workspace.join', {
      invitation: fakeInvitation({ role: 'champion', relayUrl: 'ws://127.0.0.1:9' }),
    })
    const item = await client.call('item.create', {
      title: `Quarterly results ${RLO}fdp.exe`,
      url: 'https://acme.example/q3',
      objective: 'awareness',
      status: 'published',
      captions: { linkedin: `Read ${RLO}moc.live//:sptth\u2066 now\u2069` },
    })
    expect(item.title).toBe('Quarterly results fdp.exe')
    const [entry] = await client.call('queue.forMe', {})
    expect(entry?.item.title).not.toMatch(CONTROLS)
    expect(entry?.suggested.linkedin).toBe('Read moc.live//:sptth now')
    const shared = await client.call('share.perform', {
      itemId: item.id,
      network: 'linkedin',
      text: entry?.suggested.linkedin ?? '',
    })
    expect(shared.clipboardText).toContain('Read moc.live//:sptth now')
    const proposal = await client.call('proposal.create', {
      url: 'https://blog.example.org/x',
      title: `${RLO}Sale`,
      note: `a${RLO}b`,
      caption: `c\u202Dd`,
    })
    expect([proposal.title, proposal.note, proposal.caption]).toEqual(['Sale', 'ab', 'cd'])
  })

  it('a hostile client writing controls straight into the document is read without them', () => {
    const doc = new Y.Doc()
    const map = new Y.Map<unknown>()
    itemsMap(doc).set('item_x', map)
    const fields: Record<string, unknown> = {
      id: 'item_x',
      title: `Invoice ${RLO}gpj.exe`,
      url: 'https://acme.example/x',
      source: `acme${RLO}`,
      sourceKind: 'internal',
      objective: 'awareness',
      topics: [`news${RLO}`],
      why: `because${RLO}`,
      imageUrl: null,
      status: 'published',
      publishAt: null,
      expiresAt: null,
      priority: 50,
      campaignId: null,
      authorId: 'mem_a',
      approverId: null,
      moderation: null,
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    }
    for (const [key, value] of Object.entries(fields)) map.set(key, value)
    const result = readItem(map as never)
    expect('item' in result).toBe(true)
    const read = (result as { item: Record<string, unknown> }).item
    expect(JSON.stringify(read)).not.toMatch(CONTROLS)
    expect(read.title).toBe('Invoice gpj.exe')
  })
})
