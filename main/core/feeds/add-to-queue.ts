import * as Y from 'yjs'
import { insertItem, itemsMap } from '../../../common/doc/queue-doc'
import { Item } from '../../../common/model/item'
import { describeIssues } from '../../../common/model/validation'

export type AddToQueueResult = {
  added: Item[]
  /** Items whose URL is already in the queue (or earlier in the same batch). */
  duplicates: Item[]
  invalid: { id: string; issues: string[] }[]
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

/**
 * Insert feed drafts into `doc` (the curation document: drafts are the curators'), skipping any
 * whose link is already there or in one of `alsoIn` (the published queue): the same article can
 * come from two feeds, or be added by hand. One transaction, so peers receive a single update;
 * `origin` lets observers tell these writes apart.
 */
export function addFeedEntriesToQueue(
  doc: Y.Doc,
  items: readonly Item[],
  origin: unknown = null,
  alsoIn: readonly Y.Doc[] = [],
): AddToQueueResult {
  const result: AddToQueueResult = { added: [], duplicates: [], invalid: [] }
  doc.transact(() => {
    const known = new Set<string>()
    const taken = (id: string) => [doc, ...alsoIn].some((d) => itemsMap(d).has(id))
    for (const map of [doc, ...alsoIn].flatMap((d) => [...itemsMap(d).values()])) {
      // Any champion's client can write the queue: do not assume every entry is well formed.
      const url = map instanceof Y.Map ? map.get('url') : undefined
      if (typeof url === 'string') known.add(urlKey(url))
    }
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
      known.add(key)
      insertItem(doc, parsed.data)
      result.added.push(parsed.data)
    }
  }, origin)
  return result
}
