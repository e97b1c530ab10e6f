import type { Campaign } from '../../../common/model/campaign'
import type { Item } from '../../../common/model/item'

const DAY = 86_400_000
/** How long an item counts as fresh, and how early a campaign deadline starts to pull. */
const FRESH_DAYS = 14
const DEADLINE_WINDOW_DAYS = 14

/** What the ranking reads of an item: the queue table's columns are enough (for-me.ts). */
export type Rankable = Pick<
  Item,
  | 'id'
  | 'status'
  | 'priority'
  | 'campaignId'
  | 'publishAt'
  | 'expiresAt'
  | 'createdAt'
  | 'updatedAt'
>

export type RankingContext = {
  now: Date
  campaigns: ReadonlyMap<string, Campaign>
  /** Items this employee has already shared: they sink, but stay reachable. */
  sharedByMe: ReadonlySet<string>
}

/** Whether an item belongs in an employee's queue right now (published, not before or after its window). */
export function isLive(item: Rankable, now: Date): boolean {
  if (item.status !== 'published') return false
  if (item.publishAt && Date.parse(item.publishAt) > now.getTime()) return false
  if (item.expiresAt && Date.parse(item.expiresAt) <= now.getTime()) return false
  return true
}

/**
 * Most relevant first: the champion's priority, then freshness, then campaigns whose deadline is
 * near; what I already shared goes last.
 */
export function relevance(item: Rankable, context: RankingContext): number {
  const now = context.now.getTime()
  let score = item.priority
  const published = Date.parse(item.publishAt ?? item.createdAt)
  const ageDays = Math.max(0, (now - published) / DAY)
  score += 30 * Math.max(0, 1 - ageDays / FRESH_DAYS)
  const campaign = item.campaignId ? context.campaigns.get(item.campaignId) : undefined
  if (campaign) {
    const daysLeft = (Date.parse(campaign.deadline) - now) / DAY
    if (daysLeft >= 0 && daysLeft <= DEADLINE_WINDOW_DAYS) {
      score += 40 * (1 - daysLeft / DEADLINE_WINDOW_DAYS)
    }
  }
  if (context.sharedByMe.has(item.id)) score -= 1_000
  return score
}

export function rankQueue<T extends Rankable>(items: readonly T[], context: RankingContext): T[] {
  return items
    .filter((item) => isLive(item, context.now))
    .map((item) => ({ item, score: relevance(item, context) }))
    .sort((a, b) => b.score - a.score || b.item.updatedAt.localeCompare(a.item.updatedAt))
    .map(({ item }) => item)
}
