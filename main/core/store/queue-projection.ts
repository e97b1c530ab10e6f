import * as Y from 'yjs'
import {
  changedItemIds,
  isPublished,
  moveItem,
  unpublishedEntries,
} from '../../../common/doc/curation-doc'
import { readWorkspaceName } from '../../../common/doc/directory-doc'
import {
  campaignsMap,
  itemsMap,
  readCampaigns,
  readItem,
  readItems,
} from '../../../common/doc/queue-doc'
import type { Access, DocName } from '../../../common/doc/rooms'
import type { Item } from '../../../common/model/item'
import type { QueueTable } from './queue-table'

export { changedItemIds }

/**
 * Keeps the queue table derived from the item documents: a full rebuild at start, then only the
 * items a transaction touched. Curators' tables hold both documents' items (the queue's
 * published ones and curation's drafts, proposals, archive); an employee's holds published items
 * only, from the queue — never anything else, even if a stale replica still had it. Invalid
 * entries (any champion's client can write anything) are left out of the table and reported.
 */
export type ProjectionResult = { changed: number; invalid: { id: string; issues: string[] }[] }

/** What the projection needs of the workspace's sync: its replicas and the role's access. */
export type ProjectionSync = {
  readonly docs: Record<DocName, Y.Doc>
  access(doc: DocName): Access
}

/** The item documents this role's table is derived from, queue first. */
function sources(sync: ProjectionSync): Y.Doc[] {
  const docs = [sync.docs.queue]
  if (sync.access('curation') !== 'none') docs.push(sync.docs.curation)
  return docs
}

function shown(sync: ProjectionSync, item: Item): boolean {
  return sync.access('curation') !== 'none' || isPublished(item.status)
}

export function rebuildQueueTable(sync: ProjectionSync, table: QueueTable): ProjectionResult {
  const byId = new Map<string, Item>()
  const invalid: ProjectionResult['invalid'] = []
  const campaigns = projectCampaigns(sync, table)
  invalid.push(...campaigns.invalid)
  table.setWorkspaceName(readWorkspaceName(sync.docs.directory))
  // Curation first, then the queue: an item left in both by an interrupted move reads as its
  // published copy.
  for (const doc of sources(sync).reverse()) {
    const read = readItems(doc)
    invalid.push(...read.invalid)
    for (const item of read.items) if (shown(sync, item)) byId.set(item.id, item)
  }
  return { changed: campaigns.changed + table.replaceAll([...byId.values()]), invalid }
}

/**
 * The queue document's campaigns into the table (all of them: they are few). The first screen
 * ranks with them (deadlines) before the replicas load.
 */
export function projectCampaigns(sync: ProjectionSync, table: QueueTable): ProjectionResult {
  const read = readCampaigns(sync.docs.queue)
  return { changed: table.replaceCampaigns(read.campaigns), invalid: read.invalid }
}

/** Whether a transaction on the queue document touched its campaigns map or a campaign in it. */
export function campaignsChanged(transaction: Y.Transaction, doc: Y.Doc): boolean {
  const campaigns: unknown = campaignsMap(doc)
  for (const type of transaction.changed.keys()) {
    if (type === campaigns) return true
    let current = type
    while (current._item !== null) {
      const parent = current._item.parent
      if (parent === campaigns) return true
      if (!(parent instanceof Y.AbstractType)) break
      current = parent
    }
  }
  return false
}

export function projectItems(
  sync: ProjectionSync,
  table: QueueTable,
  ids: Iterable<string>,
): ProjectionResult {
  const docs = sources(sync)
  const upserts: Item[] = []
  const removals: string[] = []
  const invalid: ProjectionResult['invalid'] = []
  for (const id of ids) {
    // A moving item is briefly in both documents, or in the one it is going to.
    const map = docs.map((doc) => itemsMap(doc).get(id)).find((entry) => entry !== undefined)
    if (!(map instanceof Y.Map)) {
      removals.push(id)
      continue
    }
    const result = readItem(map)
    if ('item' in result && shown(sync, result.item)) upserts.push(result.item)
    else {
      removals.push(id)
      if ('issues' in result) invalid.push({ id, issues: result.issues })
    }
  }
  return { changed: table.apply(upserts, removals), invalid }
}

/** Project what a transaction on one of the item documents changed (others are ignored). */
export function projectUpdate(
  sync: ProjectionSync,
  table: QueueTable,
  doc: DocName,
  transaction: Y.Transaction,
): ProjectionResult & { ids: Set<string> } {
  if (doc !== 'queue' && doc !== 'curation') return { changed: 0, invalid: [], ids: new Set() }
  const campaigns =
    doc === 'queue' && campaignsChanged(transaction, transaction.doc)
      ? projectCampaigns(sync, table)
      : { changed: 0, invalid: [] }
  const ids = changedItemIds(transaction, transaction.doc)
  if (ids.size === 0) return { ...campaigns, ids }
  const items = projectItems(sync, table, ids)
  return {
    changed: campaigns.changed + items.changed,
    invalid: [...campaigns.invalid, ...items.invalid],
    ids,
  }
}

/**
 * Keep this device's copy of the queue document to published content:
 * - a curator's replica of an older layout (drafts or proposals in the queue, e.g. made offline
 *   before the relay migrated the workspace) has them moved into curation, so they are kept and
 *   the relay (which refuses unpublished items in the queue) accepts what this core sends;
 * - when the relay rewrote the queue's history (content moved out), followHistoryRewrites
 *   (sync/history-follow.ts) folds the stored log, as for the other documents.
 */
/** Origin of the core's own moves between documents (not a window's edit). */
const LAYOUT_ORIGIN = Symbol('queue-layout')

export function keepQueuePublished(sync: ProjectionSync, log: (line: string) => void): void {
  const queue = sync.docs.queue
  if (sync.access('curation') === 'write') {
    const stray = unpublishedEntries(queue, itemsMap(queue).keys())
    for (const id of stray) {
      try {
        moveItem(queue, sync.docs.curation, id, (item) => item, LAYOUT_ORIGIN)
      } catch (error) {
        log(`queue: could not move ${id} to curation: ${(error as Error).message}`)
      }
    }
    if (stray.length > 0) log(`queue: moved ${stray.length} unpublished item(s) to curation`)
  }
}
