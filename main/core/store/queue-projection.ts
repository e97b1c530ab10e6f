import * as Y from 'yjs'
import { itemsMap, readItem, readItems } from '../../../common/doc/queue-doc'
import type { Item } from '../../../common/model/item'
import type { QueueTable } from './queue-table'

/**
 * Keeps the queue table derived from the queue document: a full rebuild at start, then only the
 * items a transaction touched. Invalid entries (any champion's client can write anything) are
 * left out of the table and reported.
 */
export type ProjectionResult = { changed: number; invalid: { id: string; issues: string[] }[] }

export function rebuildQueueTable(doc: Y.Doc, table: QueueTable): ProjectionResult {
  const { items, invalid } = readItems(doc)
  const changed = table.replaceAll(items)
  return { changed, invalid }
}

export function projectItems(
  doc: Y.Doc,
  table: QueueTable,
  ids: Iterable<string>,
): ProjectionResult {
  const items = itemsMap(doc)
  const upserts: Item[] = []
  const removals: string[] = []
  const invalid: ProjectionResult['invalid'] = []
  for (const id of ids) {
    const map = items.get(id)
    if (!(map instanceof Y.Map)) {
      removals.push(id)
      continue
    }
    const result = readItem(map)
    if ('item' in result) upserts.push(result.item)
    else {
      removals.push(id)
      invalid.push({ id, issues: result.issues })
    }
  }
  return { changed: table.apply(upserts, removals), invalid }
}

/**
 * The ids of the items a transaction changed: keys changed on the items map itself, plus the
 * item owning any nested type that changed (a caption's Y.Text, the captions map, …).
 */
export function changedItemIds(transaction: Y.Transaction, doc: Y.Doc): Set<string> {
  const items: unknown = itemsMap(doc)
  const ids = new Set<string>()
  for (const [type, keys] of transaction.changed) {
    if (type === items) {
      for (const key of keys) if (key !== null) ids.add(key)
      continue
    }
    let current = type
    while (current._item !== null) {
      const parent = current._item.parent
      if (parent === items) {
        if (current._item.parentSub !== null) ids.add(current._item.parentSub)
        break
      }
      if (!(parent instanceof Y.AbstractType)) break
      current = parent
    }
  }
  return ids
}
