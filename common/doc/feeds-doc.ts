import type * as Y from 'yjs'
import { z } from 'zod'
import { Id } from '../model/ids'
import { HttpUrl, Timestamp } from '../model/item'
import { describeIssues } from '../model/validation'
import type { InvalidEntry } from './queue-doc'

/**
 * Feed sources live in the `queue` document, under `feeds` (Y.Map<sourceId, plain FeedSource>),
 * so that every champion sees and polls the same list. Plain values: a source is added or removed
 * as a whole, never edited concurrently, so last-writer-wins per key is the right merge.
 */
export const FeedSourceEntry = z.object({
  id: Id,
  url: HttpUrl,
  addedBy: Id,
  addedAt: Timestamp,
})
export type FeedSourceEntry = z.infer<typeof FeedSourceEntry>

export function feedsMap(doc: Y.Doc): Y.Map<unknown> {
  return doc.getMap('feeds')
}

export function putFeedSource(doc: Y.Doc, source: FeedSourceEntry): void {
  feedsMap(doc).set(source.id, { ...source })
}

export function removeFeedSource(doc: Y.Doc, id: string): boolean {
  const map = feedsMap(doc)
  if (!map.has(id)) return false
  map.delete(id)
  return true
}

/** Any champion's client can write the document: validate on the way out. */
export function readFeedSources(doc: Y.Doc): {
  sources: FeedSourceEntry[]
  invalid: InvalidEntry[]
} {
  const sources: FeedSourceEntry[] = []
  const invalid: InvalidEntry[] = []
  for (const [id, value] of feedsMap(doc).entries()) {
    const parsed = FeedSourceEntry.safeParse(value)
    if (parsed.success && parsed.data.id === id) sources.push(parsed.data)
    else
      invalid.push({ id, issues: parsed.success ? ['id mismatch'] : describeIssues(parsed.error) })
  }
  sources.sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.id.localeCompare(b.id))
  return { sources, invalid }
}
