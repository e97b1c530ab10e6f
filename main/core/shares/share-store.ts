import { createHmac, randomBytes } from 'node:crypto'
import type { Objective } from '../../../common/model/item'
import type { Network } from '../../../common/model/networks'
import type { ProposalSubmission, ShareEvent } from '../../../common/model/share'
import type { Db } from '../store/database'

export type OutboxKind = 'share' | 'proposal'

/** Who an outbox entry belongs to: the relay only accepts it with that member's token. */
export type Owner = { workspaceId: string; memberId: string }

export type OutboxEntry = {
  id: string
  kind: OutboxKind
  payload: string
  attempts: number
  createdAt: string
}

export type ShareRow = {
  id: string
  itemId: string
  network: Network
  objective: Objective
  campaignId: string | null
  sharedAt: string
}

type ShareDbRow = {
  id: string
  item_id: string
  network: Network
  objective: Objective
  campaign_id: string | null
  shared_at: string
}

export type OutboxState =
  | { state: 'pending'; lastError: string | null }
  | { state: 'delivered' }
  | { state: 'failed'; lastError: string }

/** Delivered entries are kept a while (they prove what was sent), then pruned. */
const KEEP_DELIVERED_DAYS = 30

/** A proposal of mine with what decides its fate: its outbox entry and the relay's queue item. */
export type ProposalRecord = {
  /** The stored submission, as JSON-parsed (validated by the caller). */
  submission: unknown
  outbox: OutboxState | null
  /** The queue table's JSON of the item the relay made of it, once synced back. */
  itemJson: string | null
}

type OutboxStateRow = {
  outbox_id: string | null
  delivered_at: string | null
  failed_at: string | null
  last_error: string | null
}

type DueRow = {
  id: string
  kind: OutboxKind
  payload: string
  attempts: number
  created_at: string
}

/**
 * The `shares`, `outbox` and `proposals` tables. A share and its outbox entry are written in one
 * transaction, so a crash never leaves a share the relay will not hear about (or the reverse).
 * Statements are prepared once: several run on every popover refresh.
 */
export class ShareStore {
  private readonly insertShare
  private readonly deleteUndeliveredShareEntry
  private readonly deleteShare
  private readonly insertProposal
  private readonly selectProposals
  private readonly selectAllShares
  private readonly selectSharedNetworks
  private readonly insertOutbox
  private readonly selectAnyDue
  private readonly selectPending
  private readonly selectNextDue
  private readonly updateAllDue
  private readonly countPending
  private readonly updateDelivered
  private readonly updateRetry
  private readonly updateFailed
  private readonly selectState
  private readonly deleteDeliveredBefore
  private secret: Buffer | null = null

  constructor(private readonly db: Db) {
    this.insertShare = db.prepare<
      [string, string, string, Network, Objective, string | null, string]
    >(
      `INSERT INTO shares (id, workspace_id, item_id, network, objective, campaign_id, shared_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    this.deleteUndeliveredShareEntry = db.prepare<[string]>(
      `DELETE FROM outbox WHERE id = ? AND kind = 'share' AND delivered_at IS NULL`,
    )
    this.deleteShare = db.prepare<[string]>('DELETE FROM shares WHERE id = ?')
    this.insertProposal = db.prepare<[string, string, string, string, string]>(
      `INSERT INTO proposals (id, workspace_id, member_id, json, proposed_at)
       VALUES (?, ?, ?, ?, ?)`,
    )
    // The queue item comes from the core's `items` table (same database): the relay gives it
    // the proposal's id, and one query then answers for every proposal.
    this.selectProposals = db.prepare<
      [string, string],
      OutboxStateRow & { json: string; item_json: string | null }
    >(
      `SELECT p.json, o.id AS outbox_id, o.delivered_at, o.failed_at, o.last_error,
         i.json AS item_json
       FROM proposals p
       LEFT JOIN outbox o ON o.id = p.id
       LEFT JOIN items i ON i.id = p.id
       WHERE p.workspace_id = ? AND p.member_id = ?
       ORDER BY p.proposed_at DESC, p.id`,
    )
    this.selectAllShares = db.prepare<[], ShareDbRow>(
      'SELECT id, item_id, network, objective, campaign_id, shared_at FROM shares',
    )
    this.selectSharedNetworks = db.prepare<[string], { item_id: string; network: Network }>(
      'SELECT DISTINCT item_id, network FROM shares WHERE workspace_id = ?',
    )
    this.insertOutbox = db.prepare<[string, OutboxKind, string, string, string, string, string]>(
      `INSERT INTO outbox (id, kind, workspace_id, member_id, payload, created_at, next_attempt_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
    this.selectAnyDue = db.prepare<[string, string, OutboxKind, string], { one: number }>(
      `SELECT 1 AS one FROM outbox WHERE workspace_id = ? AND member_id = ? AND kind = ?
         AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? LIMIT 1`,
    )
    this.selectPending = db.prepare<[string, string, OutboxKind, number], DueRow>(
      `SELECT id, kind, payload, attempts, created_at FROM outbox
       WHERE workspace_id = ? AND member_id = ? AND kind = ?
         AND delivered_at IS NULL AND failed_at IS NULL
       ORDER BY created_at, id LIMIT ?`,
    )
    this.selectNextDue = db.prepare<[string, string], { at: string | null }>(
      `SELECT MIN(next_attempt_at) AS at FROM outbox WHERE workspace_id = ? AND member_id = ?
         AND delivered_at IS NULL AND failed_at IS NULL`,
    )
    this.updateAllDue = db.prepare<[string, string, string, string]>(
      `UPDATE outbox SET next_attempt_at = ? WHERE workspace_id = ? AND member_id = ?
         AND delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at > ?`,
    )
    this.countPending = db.prepare<[string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM outbox WHERE workspace_id = ? AND member_id = ?
         AND delivered_at IS NULL AND failed_at IS NULL`,
    )
    this.updateDelivered = db.prepare<[string, string]>(
      'UPDATE outbox SET delivered_at = ?, last_error = NULL, attempts = attempts + 1 WHERE id = ?',
    )
    this.updateRetry = db.prepare<[string, string, string]>(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
       WHERE id = ? AND delivered_at IS NULL`,
    )
    this.updateFailed = db.prepare<[string, string, string]>(
      `UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ?
       WHERE id = ? AND delivered_at IS NULL`,
    )
    this.selectState = db.prepare<[string], OutboxStateRow>(
      `SELECT id AS outbox_id, delivered_at, failed_at, last_error FROM outbox WHERE id = ?`,
    )
    this.deleteDeliveredBefore = db.prepare<[string]>(
      'DELETE FROM outbox WHERE delivered_at IS NOT NULL AND delivered_at < ?',
    )
  }

  recordShare(owner: Owner, event: ShareEvent, now: string): void {
    this.db.transaction(() => {
      this.insertShare.run(
        event.id,
        owner.workspaceId,
        event.itemId,
        event.network,
        event.objective,
        event.campaignId,
        event.sharedAt,
      )
      this.enqueue(owner, 'share', event.id, { ...event, proof: this.proof(event.id) }, now)
    })()
  }

  /**
   * HMAC-SHA256(device secret, share id): what proves to the relay that a share id is this
   * device's, without telling it whose device it is. The same proof will ask for its clicks.
   */
  proof(shareId: string): string {
    return createHmac('sha256', this.deviceSecret()).update(shareId, 'utf8').digest('base64url')
  }

  /** The device's secret, made on first use and kept in the database (never sent). */
  private deviceSecret(): Buffer {
    if (this.secret) return this.secret
    const secret = this.db.transaction(() => {
      const row = this.db
        .prepare<[], { secret: Buffer }>('SELECT secret FROM device_secret WHERE id = 1')
        .get()
      if (row) return row.secret
      const fresh = randomBytes(32)
      this.db
        .prepare<[Buffer, string]>(
          'INSERT INTO device_secret (id, secret, created_at) VALUES (1, ?, ?)',
        )
        .run(fresh, new Date().toISOString())
      return fresh
    })()
    this.secret = secret
    return secret
  }

  /** Undo a share that never happened (the opener failed), unless the relay already has it. */
  retractShare(id: string, inFlight: ReadonlySet<string>): boolean {
    if (inFlight.has(id)) return false
    return this.db.transaction(() => {
      const removed = this.deleteUndeliveredShareEntry.run(id).changes
      if (removed === 0) return false
      this.deleteShare.run(id)
      return true
    })()
  }

  recordProposal(owner: Owner, submission: ProposalSubmission, now: string): void {
    this.db.transaction(() => {
      this.insertProposal.run(
        submission.id,
        owner.workspaceId,
        owner.memberId,
        JSON.stringify(submission),
        submission.proposedAt,
      )
      this.enqueue(owner, 'proposal', submission.id, submission, now)
    })()
  }

  /** My proposals in this workspace, newest first, each with what decides its fate. */
  proposals(owner: Owner): ProposalRecord[] {
    return this.selectProposals.all(owner.workspaceId, owner.memberId).map((row) => ({
      submission: JSON.parse(row.json) as unknown,
      outbox: outboxState(row),
      itemJson: row.item_json,
    }))
  }

  /** Every share recorded on this device (personal stats follow the person, not the workspace). */
  allShares(): ShareRow[] {
    return this.selectAllShares.all().map(toShareRow)
  }

  /** item id → the networks I shared it to, in this workspace. */
  sharedNetworks(workspaceId: string): Map<string, Set<Network>> {
    const result = new Map<string, Set<Network>>()
    for (const row of this.selectSharedNetworks.all(workspaceId)) {
      let set = result.get(row.item_id)
      if (!set) {
        set = new Set()
        result.set(row.item_id, set)
      }
      set.add(row.network)
    }
    return result
  }

  // --- outbox -------------------------------------------------------------------------------

  private enqueue(owner: Owner, kind: OutboxKind, id: string, payload: unknown, now: string): void {
    this.insertOutbox.run(
      id,
      kind,
      owner.workspaceId,
      owner.memberId,
      JSON.stringify(payload),
      now,
      now,
    )
  }

  /**
   * Pending entries of `kind`, oldest first, once any of them is due at `now`. When a request
   * goes out anyway, the ones still waiting out their backoff ride along: one request instead of
   * several, and the relay dedupes whatever it already has.
   */
  due(owner: Owner, kind: OutboxKind, now: string, limit: number): OutboxEntry[] {
    const anyDue = this.selectAnyDue.get(owner.workspaceId, owner.memberId, kind, now)
    if (!anyDue) return []
    return this.selectPending.all(owner.workspaceId, owner.memberId, kind, limit).map((row) => ({
      id: row.id,
      kind: row.kind,
      payload: row.kind === 'share' ? this.withProof(row.id, row.payload) : row.payload,
      attempts: row.attempts,
      createdAt: row.created_at,
    }))
  }

  /** Shares recorded before reports carried proofs get theirs on the way out. */
  private withProof(id: string, payload: string): string {
    try {
      const parsed: unknown = JSON.parse(payload)
      if (typeof parsed === 'object' && parsed !== null && !('proof' in parsed)) {
        return JSON.stringify({ ...parsed, proof: this.proof(id) })
      }
    } catch {
      // Unreadable: the sender refuses it with a clear message.
    }
    return payload
  }

  /** When the next pending entry falls due (null when nothing is pending). */
  nextDue(owner: Owner): string | null {
    return this.selectNextDue.get(owner.workspaceId, owner.memberId)?.at ?? null
  }

  /** The relay is reachable again: everything pending is due now rather than after its backoff. */
  makeAllDue(owner: Owner, now: string): void {
    this.updateAllDue.run(now, owner.workspaceId, owner.memberId, now)
  }

  pendingCount(owner: Owner): number {
    return this.countPending.get(owner.workspaceId, owner.memberId)?.n ?? 0
  }

  markDelivered(ids: readonly string[], now: string): void {
    this.db.transaction(() => {
      for (const id of ids) this.updateDelivered.run(now, id)
    })()
  }

  /** A transient failure: try again at `nextAttemptAt`. */
  markRetry(ids: readonly string[], error: string, nextAttemptAt: string): void {
    this.db.transaction(() => {
      for (const id of ids) this.updateRetry.run(error, nextAttemptAt, id)
    })()
  }

  /** The relay refused the entry for good: keep it (never lost) but stop sending it. */
  markFailed(id: string, error: string, now: string): void {
    this.updateFailed.run(error, now, id)
  }

  state(id: string): OutboxState | null {
    const row = this.selectState.get(id)
    return row ? outboxState(row) : null
  }

  pruneDelivered(now: Date): number {
    const cutoff = new Date(now.getTime() - KEEP_DELIVERED_DAYS * 86_400_000).toISOString()
    return this.deleteDeliveredBefore.run(cutoff).changes
  }
}

/** An outbox row's state; null when there is no row (outbox_id is NULL after a LEFT JOIN). */
function outboxState(row: OutboxStateRow): OutboxState | null {
  if (row.outbox_id === null) return null
  if (row.delivered_at !== null) return { state: 'delivered' }
  if (row.failed_at !== null) return { state: 'failed', lastError: row.last_error ?? 'refused' }
  return { state: 'pending', lastError: row.last_error }
}

function toShareRow(row: ShareDbRow): ShareRow {
  return {
    id: row.id,
    itemId: row.item_id,
    network: row.network,
    objective: row.objective,
    campaignId: row.campaign_id,
    sharedAt: row.shared_at,
  }
}
