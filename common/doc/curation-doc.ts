import * as Y from 'yjs'
import type { Item, ItemStatus } from '../model/item'
import { insertItem, itemsMap, readItem } from './queue-doc'
import type { DocName } from './rooms'

/**
 * The `curation` document: what only curators read — drafts, proposals awaiting review (with the
 * author's note), moderation decisions and rejection reasons, approved-but-unpublished and
 * archived items. Same layout as the queue document (`items`: Y.Map<itemId, Y.Map>), written
 * and read with the same helpers (queue-doc.ts), so an item keeps its exact shape when it moves.
 *
 * The `queue` document holds published items only: that is what employees sync, hold offline
 * and may see. Scheduled items (published, `publishAt` in the future) and expired ones stay in
 * it: moving them at the right moment would need a curator online then, and the queue's
 * readers filter them by date.
 */

/** The one status whose items live in the queue document; every other one lives in curation. */
export function isPublished(status: unknown): boolean {
  return status === 'published'
}

/** Which document an item of this status belongs in. */
export function homeOf(status: ItemStatus): Extract<DocName, 'queue' | 'curation'> {
  return isPublished(status) ? 'queue' : 'curation'
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

/**
 * Of `ids`, those present in the queue document that are not published items: what the relay
 * refuses from a champion's update to `queue` (and what the migration moves out).
 */
export function unpublishedEntries(queue: Y.Doc, ids: Iterable<string>): string[] {
  const items = itemsMap(queue)
  const found: string[] = []
  for (const id of ids) {
    if (!items.has(id)) continue
    const map: unknown = items.get(id)
    if (!(map instanceof Y.Map) || !isPublished(map.get('status'))) found.push(id)
  }
  return found
}

/** The document (of those given) that holds item `id`, queue first. */
export function docHolding<D extends { doc: Y.Doc }>(
  candidates: readonly D[],
  id: string,
): D | null {
  return candidates.find(({ doc }) => itemsMap(doc).has(id)) ?? null
}

/**
 * Move item `id` from one document to the other with its current content, changed by `change`
 * (e.g. its new status and moderation). Written to the target first, then removed from the
 * source, so a reader of both documents never sees it missing. Returns the item as written.
 */
export function moveItem(
  from: Y.Doc,
  to: Y.Doc,
  id: string,
  change: (item: Item) => Item,
  origin: unknown,
): Item {
  const map = itemsMap(from).get(id)
  if (!(map instanceof Y.Map)) throw new Error(`No item "${id}" to move`)
  const read = readItem(map)
  if ('issues' in read) throw new Error(`Item "${id}" cannot be moved: ${read.issues.join('; ')}`)
  const next = change(read.item)
  to.transact(() => {
    // A copy left behind by an interrupted move is replaced by the current content.
    itemsMap(to).delete(id)
    insertItem(to, next)
  }, origin)
  from.transact(() => itemsMap(from).delete(id), origin)
  return next
}

/**
 * The relay's marker of the queue document's history: it changes when the relay rewrote the
 * room's stored history (moving content out of it). A replica that sees a new value drops its
 * own stored history of the document and keeps only the current, garbage-collected state.
 */
const META = 'meta'
const HISTORY = 'history'

export function historyGeneration(doc: Y.Doc): string | null {
  const value: unknown = doc.getMap<unknown>(META).get(HISTORY)
  return typeof value === 'string' ? value : null
}

export function setHistoryGeneration(doc: Y.Doc, generation: string): void {
  doc.getMap<unknown>(META).set(HISTORY, generation)
}
