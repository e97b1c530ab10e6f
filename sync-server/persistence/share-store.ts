import type { Network } from '../../common/model/networks'
import type { ShareEvent } from '../../common/model/share'
import type { Db } from './database'

export type ShareSummary = {
  workspaceId: string
  total: number
  byNetwork: Partial<Record<Network, number>>
  /** Most shared first. */
  items: { itemId: string; total: number; byNetwork: Partial<Record<Network, number>> }[]
}

/** Items listed in a summary; the team view needs the leaders, not the long tail. */
const SUMMARY_ITEMS = 200

/** Share reports from employees' cores, deduplicated on the share id. */
export class ShareStore {
  readonly #db: Db
  readonly #insert

  constructor(db: Db) {
    this.#db = db
    this.#insert = db.prepare(
      `INSERT OR IGNORE INTO shares
         (id, workspace_id, member_id, item_id, network, objective, campaign_id, shared_at, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
  }

  /**
   * Store a batch in one transaction (all or nothing). An id seen before is a duplicate: a core
   * re-sending after a lost answer, counted once.
   */
  record(
    workspaceId: string,
    memberId: string,
    events: readonly ShareEvent[],
    receivedAt: Date,
  ): { accepted: number; duplicates: number } {
    const at = receivedAt.toISOString()
    return this.#db.transaction(() => {
      let accepted = 0
      for (const event of events) {
        accepted += this.#insert.run(
          event.id,
          workspaceId,
          memberId,
          event.itemId,
          event.network,
          event.objective,
          event.campaignId,
          event.sharedAt,
          at,
        ).changes
      }
      return { accepted, duplicates: events.length - accepted }
    })()
  }

  summary(workspaceId: string): ShareSummary {
    const rows = this.#db
      .prepare<[string], { item_id: string; network: Network; n: number }>(
        `SELECT item_id, network, COUNT(*) AS n FROM shares WHERE workspace_id = ?
         GROUP BY item_id, network`,
      )
      .all(workspaceId)
    const summary: ShareSummary = { workspaceId, total: 0, byNetwork: {}, items: [] }
    const items = new Map<string, ShareSummary['items'][number]>()
    for (const row of rows) {
      summary.total += row.n
      summary.byNetwork[row.network] = (summary.byNetwork[row.network] ?? 0) + row.n
      let item = items.get(row.item_id)
      if (!item) {
        item = { itemId: row.item_id, total: 0, byNetwork: {} }
        items.set(row.item_id, item)
      }
      item.total += row.n
      item.byNetwork[row.network] = row.n
    }
    summary.items = [...items.values()]
      .sort((a, b) => b.total - a.total || a.itemId.localeCompare(b.itemId))
      .slice(0, SUMMARY_ITEMS)
    return summary
  }
}
