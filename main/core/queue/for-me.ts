import type { QueueEntry } from '../../../common/contract/api'
import type { Item, Objective } from '../../../common/model/item'
import { NETWORKS } from '../../../common/model/network-list'
import type { Network } from '../../../common/model/networks'
import { pickVariant } from '../../../common/share/captions'
import type { QueueTable } from '../store/queue-table'
import { rankQueue } from './ranking'

export type QueueForMeFilter = {
  objective?: Objective | undefined
  topic?: string | undefined
  limit?: number | undefined
}

export type QueueForMeSource = {
  /** The items and campaigns, projected from the replicas (store/queue-projection.ts). */
  queue: QueueTable
  /** What this member already shared, by item (ShareStore.sharedNetworks). */
  shared: ReadonlyMap<string, ReadonlySet<Network>>
  memberId: string
}

/**
 * The live queue, most relevant first, with my caption variant and what I already shared. Read
 * from SQLite alone (items, campaigns, my shares): the first screen is answered before the
 * replicas load (core.ts).
 */
export function queueForMe(
  source: QueueForMeSource,
  filter: QueueForMeFilter,
  now: Date,
): QueueEntry[] {
  const { queue, shared, memberId } = source
  const where = {
    status: ['published' as const],
    ...(filter.objective ? { objective: filter.objective } : {}),
    ...(filter.topic?.trim() ? { topic: filter.topic } : {}),
  }
  const campaigns = queue.campaigns()
  const context = { now, campaigns, sharedByMe: new Set(shared.keys()) }
  let wanted: Item[]
  if (filter.limit === undefined) {
    wanted = rankQueue(queue.list(where), context)
  } else {
    // The first screen: the whole queue ranked from its columns, only the first entries parsed
    // (the same order: same rows in the same order, same ranking).
    const ids = rankQueue(queue.rankingRows(where), context)
      .slice(0, filter.limit)
      .map((row) => row.id)
    wanted = queue.getMany(ids)
  }
  return wanted.map((item) => {
    const suggested: Partial<Record<Network, string>> = {}
    for (const network of NETWORKS) {
      const caption = item.captions[network]
      if (caption === undefined) continue
      const pick = pickVariant([caption, ...(item.variants[network] ?? [])], memberId, item.id)
      if (pick !== '') suggested[network] = pick
    }
    const mine = shared.get(item.id)
    return {
      item,
      campaign: (item.campaignId ? campaigns.get(item.campaignId) : undefined) ?? null,
      suggested,
      sharedOn: NETWORKS.filter((network) => mine?.has(network)),
    }
  })
}
