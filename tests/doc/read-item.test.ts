import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { captionText, insertItem, itemsMap, readItem, readItems } from '../../common/doc/queue-doc'
import { ITEM_LIMITS } from '../../common/model/item'
import { makeItem } from '../helpers/items'

/** A document holding one valid published item, as every champion's client starts from. */
function docWith(id: string): Y.Doc {
  const doc = new Y.Doc()
  insertItem(
    doc,
    makeItem(id, {
      status: 'published',
      captions: { linkedin: 'Read this', x: 'Short' },
      variants: { x: ['One', 'Two'] },
    }),
  )
  return doc
}

function mapOf(doc: Y.Doc, id: string): Y.Map<unknown> {
  const map = itemsMap(doc).get(id)
  if (!map) throw new Error('no item')
  return map
}

describe('readItem tolerates one bad field', () => {
  it('keeps the item when a caption is over the limit, drops that caption and flags it', () => {
    const doc = docWith('item_long')
    // A champion typed (or pasted) past the limit: 10,001 characters.
    captionText(doc, 'item_long', 'linkedin').insert(0, 'x'.repeat(ITEM_LIMITS.caption + 1))
    const result = readItem(mapOf(doc, 'item_long'))
    expect('item' in result).toBe(true)
    if (!('item' in result)) return
    expect(result.item.title).toBe('Title item_long')
    expect(result.item.status).toBe('published')
    // Employees never get the broken caption; the other network's caption is intact.
    expect(result.item.captions.linkedin).toBeUndefined()
    expect(result.item.captions.x).toBe('Short')
    expect(result.problems).toEqual([
      { field: 'captions.linkedin', code: 'fieldTooLong', limit: ITEM_LIMITS.caption },
    ])
  })

  it('keeps the first twenty variants of a network and flags the 21st', () => {
    const doc = docWith('item_many')
    const list = (mapOf(doc, 'item_many').get('variants') as Y.Map<Y.Array<Y.Text>>).get('x')
    if (!list) throw new Error('no list')
    for (let i = 0; i < ITEM_LIMITS.variants - 1; i++) list.push([new Y.Text(`Extra ${i}`)])
    expect(list.length).toBe(ITEM_LIMITS.variants + 1)
    const result = readItem(mapOf(doc, 'item_many'))
    if (!('item' in result)) throw new Error(`refused: ${result.issues.join('; ')}`)
    expect(result.item.variants.x).toHaveLength(ITEM_LIMITS.variants)
    expect(result.item.variants.x?.[0]).toBe('One')
    expect(result.problems).toEqual([
      { field: 'variants.x', code: 'tooManyVariants', limit: ITEM_LIMITS.variants },
    ])
  })

  it('reads a plain field of the wrong type as its default, and a bad status as a draft', () => {
    const doc = docWith('item_types')
    const map = mapOf(doc, 'item_types')
    map.set('priority', 'high')
    map.set('status', 'live')
    map.set('topics', ['ok', 42, ''])
    const result = readItem(map)
    if (!('item' in result)) throw new Error(`refused: ${result.issues.join('; ')}`)
    expect(result.item.priority).toBe(50)
    // An unknown status hides the item from employees until a champion fixes it.
    expect(result.item.status).toBe('draft')
    expect(result.item.topics).toEqual(['ok'])
    expect(result.problems.map((p) => p.field).sort()).toEqual(['priority', 'status', 'topics'])
  })

  it('flags a note over its limit and a title over its limit (cut, not lost)', () => {
    const doc = docWith('item_note')
    const map = mapOf(doc, 'item_note')
    ;(map.get('why') as Y.Text).insert(0, 'w'.repeat(ITEM_LIMITS.why + 1))
    map.set('title', 'T'.repeat(ITEM_LIMITS.title + 5))
    const result = readItem(map)
    if (!('item' in result)) throw new Error(`refused: ${result.issues.join('; ')}`)
    expect(result.item.why).toBe('')
    expect(result.item.title).toHaveLength(ITEM_LIMITS.title)
    expect(result.problems).toEqual([
      { field: 'title', code: 'fieldTooLong', limit: ITEM_LIMITS.title },
      { field: 'why', code: 'fieldTooLong', limit: ITEM_LIMITS.why },
    ])
  })

  it('still refuses an entry without what identifies it (link, author, creation)', () => {
    const doc = docWith('item_nolink')
    mapOf(doc, 'item_nolink').set('url', 'javascript:alert(1)')
    const result = readItem(mapOf(doc, 'item_nolink'))
    expect('issues' in result).toBe(true)
  })

  it('readItems lists the flagged items with the rest, and a clean item has no problems', () => {
    const doc = docWith('item_clean')
    insertItem(doc, makeItem('item_bad', { status: 'published' }))
    captionText(doc, 'item_bad', 'x').insert(0, 'y'.repeat(ITEM_LIMITS.caption + 1))
    const { items, invalid, flagged } = readItems(doc)
    expect(items.map((item) => item.id).sort()).toEqual(['item_bad', 'item_clean'])
    expect(invalid).toEqual([])
    expect(flagged).toEqual([
      {
        id: 'item_bad',
        problems: [{ field: 'captions.x', code: 'fieldTooLong', limit: ITEM_LIMITS.caption }],
      },
    ])
    const clean = readItem(mapOf(doc, 'item_clean'))
    expect('item' in clean && clean.problems).toEqual([])
  })
})
