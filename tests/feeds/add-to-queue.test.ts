import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { insertItem, itemsMap, readItems } from '../../common/doc/queue-doc'
import type { Item } from '../../common/model/item'
import { addFeedEntriesToQueue } from '../../main/core/feeds/add-to-queue'
import { entryToDraftItem } from '../../main/core/feeds/draft-item'

const NOW = '2026-11-24T23:00:00.000Z'

function draft(url: string, title = 'An article'): Item {
  const result = entryToDraftItem(
    { guid: url, title, link: url, summary: 'Why it matters', imageUrl: null, publishedAt: null },
    {
      feedTitle: '',
      feedUrl: 'https://www.news.example/feed.xml',
      authorId: 'user_champion1',
      objective: 'awareness',
      topics: [],
      now: NOW,
    },
  )
  if (!('item' in result)) throw new Error(result.issues.join('; '))
  return result.item
}

describe('addFeedEntriesToQueue', () => {
  it('adds drafts whose URL is not queued yet, once, in one update', () => {
    const doc = new Y.Doc()
    const handmade = draft('https://news.example/already')
    insertItem(doc, { ...handmade, sourceKind: 'internal', status: 'approved' })
    let updates = 0
    doc.on('update', () => updates++)

    const batch = [
      draft('https://news.example/already'), // already in the queue
      draft('https://news.example/already#comments'), // same page
      draft('https://news.example/new-1'),
      draft('https://NEWS.example/new-1'), // same URL, other spelling, same batch
      draft('https://news.example/new-2'),
    ]
    const result = addFeedEntriesToQueue(doc, batch, 'feeds')
    expect(result.added.map((i) => i.url)).toEqual([
      'https://news.example/new-1',
      'https://news.example/new-2',
    ])
    expect(result.duplicates).toHaveLength(3)
    expect(result.invalid).toEqual([])
    expect(updates).toBe(1)

    // Adding the same drafts again changes nothing.
    const again = addFeedEntriesToQueue(doc, batch)
    expect(again.added).toEqual([])
    const { items, invalid } = readItems(doc)
    expect(invalid).toEqual([])
    expect(items).toHaveLength(3)
    expect(new Set(items.map((i) => i.url)).size).toBe(3)
    // Draft defaults: source falls back to the feed's hostname, why is the summary.
    const added = items.find((i) => i.url === 'https://news.example/new-2')
    expect(added).toMatchObject({
      source: 'news.example',
      why: 'Why it matters',
      status: 'draft',
      priority: 50,
    })
  })

  it('refuses invalid items instead of writing them to the shared queue', () => {
    const doc = new Y.Doc()
    const bad = { ...draft('https://news.example/x'), url: 'javascript:alert(1)' }
    const result = addFeedEntriesToQueue(doc, [bad])
    expect(result.added).toEqual([])
    expect(result.invalid[0]?.issues.join()).toContain('url')
    expect(itemsMap(doc).size).toBe(0)
  })

  it('ignores malformed entries already in the queue when collecting URLs', () => {
    const doc = new Y.Doc()
    ;(itemsMap(doc) as unknown as Y.Map<unknown>).set('junk', 'not a map')
    const result = addFeedEntriesToQueue(doc, [draft('https://news.example/ok')])
    expect(result.added).toHaveLength(1)
  })
})
