/**
 * Issue 8.3, offline: the parts `splitUpdate` cuts from an answer to a sync step 1 each fit the
 * budget and integrate one by one on a replica at the given state vector (the relay refuses a
 * part that refers to structs it lacks), however the offline edits depend on each other: several
 * Yjs clients (core restarts), each editing text and maps the earlier ones made, deletions, and
 * items whose parent is an id rather than a root. After the delete set the replicas are equal.
 */
import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { splitUpdate } from '../../main/core/sync/split-update'

const BUDGET = 20_000

function pending(doc: Y.Doc): boolean {
  return doc.store.pendingStructs !== null || doc.store.pendingDs !== null
}

describe('splitUpdate', () => {
  it('cuts offline work into parts under the budget that integrate one by one', () => {
    const relay = new Y.Doc()
    const items = relay.getMap<Y.Map<unknown>>('items')
    items.set('kept', new Y.Map())
    items.set('gone', new Y.Map())
    let device = new Y.Doc()
    Y.applyUpdate(device, Y.encodeStateAsUpdate(relay))
    const stateVector = Y.encodeStateVector(relay)

    // Offline: four sessions, each a new client that builds on the one before.
    for (let session = 0; session < 4; session++) {
      const next = new Y.Doc()
      Y.applyUpdate(next, Y.encodeStateAsUpdate(device))
      device = next
      const map = device.getMap<Y.Map<unknown>>('items')
      for (let index = 0; index < 15; index++) {
        const item = new Y.Map<unknown>()
        map.set(`s${session}-${index}`, item)
        item.set('title', `Title ${session}/${index}`)
        item.set('caption', new Y.Text(`${session}/${index} `.padEnd(3_000, 'x')))
        const list = new Y.Array<string>()
        item.set('variants', list)
        list.push([`v${session}`])
        if (session > 0) {
          const earlier = map.get(`s${session - 1}-${index}`) as Y.Map<unknown>
          earlier.set('title', `Title ${session - 1}/${index}, revised in ${session}`)
          const text = earlier.get('caption') as Y.Text
          text.insert(10, 'y'.repeat(1_500))
          text.delete(0, 4)
          ;(earlier.get('variants') as Y.Array<string>).insert(0, [`from ${session}`])
        }
      }
      ;(map.get('kept') as Y.Map<unknown>).set(`touched by ${session}`, session)
    }
    device.getMap('items').delete('gone')

    const update = Y.encodeStateAsUpdate(device, stateVector)
    expect(update.byteLength).toBeGreaterThan(BUDGET * 5)
    const { structs, deletes } = splitUpdate(update, stateVector, BUDGET, device)
    expect(structs.length).toBeGreaterThan(5)
    for (const part of structs) {
      expect(part.byteLength).toBeLessThanOrEqual(BUDGET)
      Y.applyUpdate(relay, part)
      expect(pending(relay)).toBe(false)
      // The relay checks items as each part arrives: a title replaced offline is never missing
      // in between (the replica no longer holds the value it replaced).
      for (const [key, item] of relay.getMap<Y.Map<unknown>>('items')) {
        if (key.startsWith('s')) expect(typeof item.get('title'), key).toBe('string')
      }
    }
    Y.applyUpdate(relay, deletes)
    expect(pending(relay)).toBe(false)
    expect(Y.encodeStateVector(relay)).toEqual(Y.encodeStateVector(device))
    const sorted = (doc: Y.Doc) => {
      const json = doc.getMap('items').toJSON() as Record<string, unknown>
      return Object.keys(json)
        .sort()
        .map((key) => [key, json[key]])
    }
    expect(sorted(relay)).toEqual(sorted(device))
    expect(relay.getMap('items').has('gone')).toBe(false)
    // Nothing left to send: the relay now holds everything the device has.
    expect(Y.encodeStateAsUpdate(device, Y.encodeStateVector(relay)).byteLength).toBeLessThan(
      deletes.byteLength + 8,
    )
  })

  it('gives a struct larger than the budget a part of its own', () => {
    const device = new Y.Doc()
    const stateVector = Y.encodeStateVector(device)
    const map = device.getMap('items')
    map.set('small', 'a')
    map.set('huge', 'h'.repeat(BUDGET * 2))
    map.set('after', 'b')
    const update = Y.encodeStateAsUpdate(device, stateVector)
    const { structs } = splitUpdate(update, stateVector, BUDGET)
    expect(structs.filter((part) => part.byteLength > BUDGET)).toHaveLength(1)
    const relay = new Y.Doc()
    for (const part of structs) Y.applyUpdate(relay, part)
    expect(relay.getMap('items').toJSON()).toEqual(map.toJSON())
  })
})
