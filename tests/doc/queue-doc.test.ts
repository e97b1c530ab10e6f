import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { captionText, insertItem, itemsMap, readItem } from '../../common/doc/queue-doc'
import { NETWORKS } from '../../common/model/networks'
import { makeItem } from '../helpers/items'

function sync(a: Y.Doc, b: Y.Doc): void {
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b, Y.encodeStateVector(a)))
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a, Y.encodeStateVector(b)))
}

describe('queue document', () => {
  it('two champions writing the first caption of a network at once keep both texts', () => {
    const alice = new Y.Doc()
    const bob = new Y.Doc()
    insertItem(alice, makeItem('item_launch', { captions: { linkedin: 'Hello' } }))
    sync(alice, bob)
    // Offline from each other, both start the X caption that nobody had written yet.
    captionText(alice, 'item_launch', 'x').insert(0, 'Alice wrote this. ')
    captionText(bob, 'item_launch', 'x').insert(0, 'Bob wrote that.')
    sync(alice, bob)
    const merged = captionText(alice, 'item_launch', 'x').toString()
    expect(merged).toContain('Alice wrote this.')
    expect(merged).toContain('Bob wrote that.')
    expect(captionText(bob, 'item_launch', 'x').toString()).toBe(merged)
  })

  it('creates every network caption and variant list with the item, and reads empty ones as absent', () => {
    const doc = new Y.Doc()
    const item = makeItem('item_a', { captions: { linkedin: 'Hi' }, variants: { x: ['One'] } })
    insertItem(doc, item)
    const map = itemsMap(doc).get('item_a')
    const captions = map?.get('captions')
    const variants = map?.get('variants')
    expect(captions instanceof Y.Map && [...captions.keys()].sort()).toEqual([...NETWORKS].sort())
    expect(variants instanceof Y.Map && [...variants.keys()].sort()).toEqual([...NETWORKS].sort())
    const read = map ? readItem(map) : null
    expect(read && 'item' in read ? read.item : null).toEqual(item)
  })
})
