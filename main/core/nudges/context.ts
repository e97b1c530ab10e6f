import { readCampaigns } from '../../../common/doc/queue-doc'
import type { Item } from '../../../common/model/item'
import type { ShareStore } from '../shares/share-store'
import type { QueueTable } from '../store/queue-table'
import type { Joined } from '../workspace'
import type { NudgeItem } from './plan'
import type { NudgeContext } from './service'

/** The planner's view of an item: when it became shareable, when it stops, its campaign's end. */
export function nudgeItem(item: Item, deadlines: ReadonlyMap<string, number>): NudgeItem {
  const available = Date.parse(item.publishAt ?? item.updatedAt)
  const expires = item.expiresAt ? Date.parse(item.expiresAt) : null
  return {
    id: item.id,
    title: item.title,
    status: item.status,
    availableAt: Number.isFinite(available) ? available : 0,
    expiresAt: expires !== null && Number.isFinite(expires) ? expires : null,
    priority: item.priority,
    deadline: item.campaignId ? (deadlines.get(item.campaignId) ?? null) : null,
  }
}

/** The joined workspace as the nudges see it: published items, campaign deadlines, my shares. */
export function workspaceNudgeContext(
  joined: Joined,
  queue: QueueTable,
  shares: ShareStore,
): NudgeContext {
  const deadlines = new Map<string, number>()
  for (const campaign of readCampaigns(joined.sync.docs.queue).campaigns) {
    const at = Date.parse(campaign.deadline)
    if (Number.isFinite(at)) deadlines.set(campaign.id, at)
  }
  return {
    memberId: joined.session.claims.sub,
    items: queue.list({ status: ['published'] }).map((item) => nudgeItem(item, deadlines)),
    shared: new Set(shares.sharedNetworks(joined.session.claims.ws).keys()),
    // The board document that will carry the workspace's click curve does not exist yet.
    pooled: [],
  }
}
