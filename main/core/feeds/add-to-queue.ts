import * as Y from 'yjs'
import { MAX_CHANGE_BYTES } from '../../../common/doc/limits'
import { insertItem, itemsMap } from '../../../common/doc/queue-doc'
import { Item } from '../../../common/model/item'
import { describeIssues } from '../../../common/model/validation'

export type AddToQueueResult = {
  added: Item[]
  /** Items whose URL is already in the queue (or earlier in the same batch). */
  duplicates: Item[]
  invalid: { id: string; issues: string[] }[]
  /** Drafts that alone would make an update over the size a core may send: not written. */
  tooLarge: { id: string; bytes: number; limit: number }[]
}

/**
 * A link's identity, to compare links the way a browser would: same scheme/host/path/query,
 * fragment ignored (queued articles, feed sources). An unparseable link is its own key.
 */
export function urlKey(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.hash = ''
    return parsed.href
  } catch {
    return url
  }
}

/** What inserting `item` into an empty document encodes to: its share of an update's size. */
export function encodedItemBytes(item: Item): number {
  const scratch = new Y.Doc()
  try {
    insertItem(scratch, item)
    return Y.encodeStateAsUpdate(scratch).byteLength
  } finally {
    scratch.destroy()
  }
}

/**
 * Insert feed drafts into `doc` (the curation document: drafts are the curators'), skipping any
 * whose link is already there or in one of `alsoIn` (the published queue): the same article can
 * come from two feeds, or be added by hand. As few transactions as fit: each update stays under
 * `maxChangeBytes` (the size a core may send the relay, as for a window's change), so a feed
 * with thousands of entries becomes several updates rather than one the relay closes on; a
 * single draft over it is refused (in `tooLarge`), never sent. `origin` lets observers tell
 * these writes apart.
 */
export function addFeedEntriesToQueue(
  doc: Y.Doc,
  items: readonly Item[],
  origin: unknown = null,
  alsoIn: readonly Y.Doc[] = [],
  maxChangeBytes: number = MAX_CHANGE_BYTES,
): AddToQueueResult {
  const result: AddToQueueResult = { added: [], duplicates: [], invalid: [], tooLarge: [] }
  const known = new Set<string>()
  const taken = (id: string) => [doc, ...alsoIn].some((d) => itemsMap(d).has(id))
  for (const map of [doc, ...alsoIn].flatMap((d) => [...itemsMap(d).values()])) {
    // Any champion's client can write the queue: do not assume every entry is well formed.
    const url = map instanceof Y.Map ? map.get('url') : undefined
    if (typeof url === 'string') known.add(urlKey(url))
  }
  // Decide first, then write in batches that fit. Items encoded into a document that already
  // has content cost a little more than alone (parent references; measured about 3% more for
  // 1 KB drafts): batches are filled to three quarters of the limit.
  const budget = Math.floor(maxChangeBytes * 0.75)
  const batches: Item[][] = []
  let batch: Item[] = []
  let batchBytes = 0
  for (const candidate of items) {
    // insertItem trusts its input; the queue is shared, so check again here.
    const parsed = Item.safeParse(candidate)
    if (!parsed.success) {
      result.invalid.push({ id: String(candidate.id), issues: describeIssues(parsed.error) })
      continue
    }
    const key = urlKey(parsed.data.url)
    if (known.has(key) || taken(parsed.data.id)) {
      result.duplicates.push(parsed.data)
      continue
    }
    const bytes = encodedItemBytes(parsed.data)
    if (bytes > budget) {
      result.tooLarge.push({ id: parsed.data.id, bytes, limit: budget })
      continue
    }
    known.add(key)
    if (batch.length > 0 && batchBytes + bytes > budget) {
      batches.push(batch)
      batch = []
      batchBytes = 0
    }
    batch.push(parsed.data)
    batchBytes += bytes
  }
  if (batch.length > 0) batches.push(batch)
  for (const entries of batches) {
    doc.transact(() => {
      for (const item of entries) insertItem(doc, item)
    }, origin)
    result.added.push(...entries)
  }
  return result
}
