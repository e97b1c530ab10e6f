import { newId } from '../../../common/model/ids'
import { type Item, newItem, type Objective } from '../../../common/model/item'
import type { OpenGraph } from './open-graph'
import type { FeedEntry } from './parse'
import { truncateText } from './text'

export type DraftContext = {
  /** The feed's own title; the hostname is used when the feed has none. */
  feedTitle: string
  feedUrl: string
  authorId: string
  objective: Objective
  topics: readonly string[]
  now: string
  openGraph?: OpenGraph
}

function hostname(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '')
  } catch {
    return ''
  }
}

/**
 * Turn a feed entry into a draft item for the champion to caption. The Open Graph title wins over
 * the feed's because it is what networks show in the link card the share will carry.
 */
export function entryToDraftItem(
  entry: FeedEntry,
  context: DraftContext,
): { item: Item } | { issues: string[] } {
  const og = context.openGraph ?? {}
  return newItem(
    {
      id: newId('item'),
      title: og.title ?? entry.title,
      url: entry.link,
      objective: context.objective,
      authorId: context.authorId,
      createdAt: context.now,
    },
    {
      source: truncateText(context.feedTitle || hostname(context.feedUrl), 200),
      sourceKind: 'third-party',
      topics: [...context.topics],
      why: entry.summary || og.description || '',
      imageUrl: entry.imageUrl ?? og.imageUrl ?? null,
    },
  )
}
