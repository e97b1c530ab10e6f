import { createHash } from 'node:crypto'
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

/** A report that names an id another device owns: nothing of the batch is stored. */
export class ShareConflictError extends Error {
  constructor(readonly ids: string[]) {
    super(`share id${ids.length > 1 ? 's' : ''} ${ids.join(', ')} belong to another device`)
    this.name = 'ShareConflictError'
  }
}

/** The verifier kept for a proof: its SHA-256, so the database alone cannot forge reports. */
export function ownerVerifier(proof: string): string {
  return createHash('sha256').update(proof, 'utf8').digest('base64url')
}

export type ShareRecordResult = {
  accepted: number
  duplicates: number
  acceptedIds: string[]
  duplicateIds: string[]
}

/**
 * Share reports from employees' cores. Ids are scoped to the workspace and bound to the first
 * report's owner verifier; the member is not stored. Re-sent ids with the same proof are
 * duplicates (a core re-sending after a lost answer), counted once. SQLite (SqliteShareStore)
 * or PostgreSQL (storage/postgres/relational.ts).
 */
export interface ShareStore {
  /**
   * Store a batch in one transaction (all or nothing). An id already held under the same verifier
   * is a duplicate; under another (or reported twice in the batch with different proofs) the
   * whole batch is refused with ShareConflictError, and the owner's report stays as it was. Rows
   * stored before ids were owned have no verifier: a report of one is a duplicate that binds nothing.
   */
  record(
    workspaceId: string,
    events: readonly (ShareEvent & { proof: string })[],
    receivedAt: Date,
  ): Promise<ShareRecordResult>
  /** Whether `proof` owns share `id` of the workspace (for owner queries such as "my clicks"). */
  owns(workspaceId: string, id: string, proof: string): Promise<boolean>
  summary(workspaceId: string): Promise<ShareSummary>
}

export type ShareSummaryRow = { item_id: string; network: Network; n: number }

/** The summary from per item × network counts (both implementations group the same way). */
export function summaryOf(workspaceId: string, rows: readonly ShareSummaryRow[]): ShareSummary {
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

/**
 * Which ids of a batch conflict with their stored owner (or with each other in the batch), and
 * each id's verifier. `owner` answers for one id: undefined when not stored, null when unowned.
 */
export function checkOwners(
  events: readonly (ShareEvent & { proof: string })[],
  owner: (id: string) => string | null | undefined,
): Map<string, string> {
  const conflicts: string[] = []
  const inBatch = new Map<string, string>()
  for (const event of events) {
    const verifier = ownerVerifier(event.proof)
    const seen = inBatch.get(event.id)
    if (seen !== undefined) {
      if (seen !== verifier) conflicts.push(event.id)
      continue
    }
    inBatch.set(event.id, verifier)
    const stored = owner(event.id)
    if (stored !== undefined && stored !== null && stored !== verifier) conflicts.push(event.id)
  }
  if (conflicts.length > 0) throw new ShareConflictError(conflicts)
  return inBatch
}

export class SqliteShareStore implements ShareStore {
  readonly #db: Db
  readonly #insert
  readonly #owner

  constructor(db: Db) {
    this.#db = db
    this.#insert = db.prepare(
      `INSERT INTO shares
         (workspace_id, id, owner_verifier, item_id, network, objective, campaign_id, shared_at, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    this.#owner = db.prepare<[string, string], { owner_verifier: string | null }>(
      'SELECT owner_verifier FROM shares WHERE workspace_id = ? AND id = ?',
    )
  }

  /**
   * Store a batch in one transaction (all or nothing). An id already held under the same verifier
   * is a duplicate; under another (or reported twice in the batch with different proofs) the
   * whole batch is refused with ShareConflictError, and the owner's report stays as it was. Rows
   * stored before ids were owned have no verifier: a report of one is a duplicate that binds nothing.
   */
  async record(
    workspaceId: string,
    events: readonly (ShareEvent & { proof: string })[],
    receivedAt: Date,
  ): Promise<ShareRecordResult> {
    return this.recordNow(workspaceId, events, receivedAt)
  }

  recordNow(
    workspaceId: string,
    events: readonly (ShareEvent & { proof: string })[],
    receivedAt: Date,
  ): ShareRecordResult {
    const at = receivedAt.toISOString()
    return this.#db.transaction(() => {
      const result: ShareRecordResult = {
        accepted: 0,
        duplicates: 0,
        acceptedIds: [],
        duplicateIds: [],
      }
      const inBatch = checkOwners(events, (id) => this.#owner.get(workspaceId, id)?.owner_verifier)
      const done = new Set<string>()
      for (const event of events) {
        if (done.has(event.id)) {
          result.duplicates++
          continue
        }
        done.add(event.id)
        if (this.#owner.get(workspaceId, event.id)) {
          result.duplicates++
          result.duplicateIds.push(event.id)
          continue
        }
        this.#insert.run(
          workspaceId,
          event.id,
          inBatch.get(event.id),
          event.itemId,
          event.network,
          event.objective,
          event.campaignId,
          event.sharedAt,
          at,
        )
        result.accepted++
        result.acceptedIds.push(event.id)
      }
      return result
    })()
  }

  /** Whether `proof` owns share `id` of the workspace (for owner queries such as "my clicks"). */
  async owns(workspaceId: string, id: string, proof: string): Promise<boolean> {
    return this.ownsNow(workspaceId, id, proof)
  }

  ownsNow(workspaceId: string, id: string, proof: string): boolean {
    const row = this.#owner.get(workspaceId, id)
    return row?.owner_verifier != null && row.owner_verifier === ownerVerifier(proof)
  }

  async summary(workspaceId: string): Promise<ShareSummary> {
    const rows = this.#db
      .prepare<[string], ShareSummaryRow>(
        `SELECT item_id, network, COUNT(*) AS n FROM shares WHERE workspace_id = ?
         GROUP BY item_id, network`,
      )
      .all(workspaceId)
    return summaryOf(workspaceId, rows)
  }
}
