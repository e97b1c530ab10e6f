import { newId } from '../../../common/model/ids'
import { Item, type Objective } from '../../../common/model/item'
import { describeIssues } from '../../../common/model/validation'
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

/** Same default as items created by hand in the studio. */
const DEFAULT_PRIORITY = 50

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
  const candidate = {
    id: newId('item'),
    title: og.title ?? entry.title,
    url: entry.link,
    source: truncateText(context.feedTitle || hostname(context.feedUrl), 200),
    sourceKind: 'third-party',
    objective: context.objective,
    topics: [...context.topics],
    why: entry.summary || og.description || '',
    captions: {},
    variants: {},
    imageUrl: entry.imageUrl ?? og.imageUrl ?? null,
    status: 'draft',
    publishAt: null,
    expiresAt: null,
    priority: DEFAULT_PRIORITY,
    campaignId: null,
    authorId: context.authorId,
    approverId: null,
    moderation: null,
    createdAt: context.now,
    updatedAt: context.now,
  }
  const parsed = Item.safeParse(candidate)
  return parsed.success ? { item: parsed.data } : { issues: describeIssues(parsed.error) }
}
