import { createHash, randomBytes } from 'node:crypto'
import type { MyResults } from '../../common/model/results'
import type { Db } from '../persistence/database'
import type { SqliteShareStore } from '../persistence/share-store'

/** A conversion as the company's sign-up system reports it. */
export type ConversionInput = {
  idempotencyId: string
  /** The landing URL's utm_content: a share id, attributed now or once its report arrives. */
  shareId: string | null
  kind: string
  value: number | null
}

export type ConversionAttribution = {
  campaignId: string
  shareId: string | null
  itemId: string | null
  network: string | null
}

export const CONVERSION_KEY_PREFIX = 'pvck_'

/** Keys are stored as SHA-256 only: the database alone cannot post conversions. */
export function conversionKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('base64url')
}

/**
 * Owner queries, leaderboard opt-ins and conversions. Clicks and conversions are stored against
 * the share id only; who made a share is known to the relay only through share_members, which
 * holds rows only for members who opted in to the leaderboard.
 */
export interface ResultsStore {
  /** Clicks and conversions of the shares `proof`s own; others are left out without a word. */
  mine(workspaceId: string, shares: readonly { id: string; proof: string }[]): Promise<MyResults>
  optedIn(workspaceId: string, memberId: string): Promise<boolean>
  /** A member's opt-in and linked shares, for `export-member`; null when not opted in. */
  memberLinks(
    workspaceId: string,
    memberId: string,
  ): Promise<{ optedAt: string; shareIds: string[] } | null>
  /** Opt in, linking the shares the member proves are theirs (now and in later reports). */
  optIn(
    workspaceId: string,
    memberId: string,
    shares: readonly { id: string; proof: string }[],
    at: Date,
  ): Promise<number>
  /** Opt out: the opt-in and every share ↔ member link go. */
  optOut(workspaceId: string, memberId: string): Promise<number>
  /** After a share report: link its new ids to the member only if they opted in. */
  linkIfOptedIn(workspaceId: string, memberId: string, shareIds: readonly string[]): Promise<number>
  /** A new key for a campaign, returned once; only its hash is kept. */
  createConversionKey(workspaceId: string, campaignId: string, at: Date): Promise<string>
  keyScope(key: string): Promise<{ workspaceId: string; campaignId: string } | null>
  /** Count a conversion once per idempotency id (kept against its share id, reported or not). */
  recordConversion(
    scope: { workspaceId: string; campaignId: string },
    input: ConversionInput,
    at: Date,
  ): Promise<{ counted: boolean; attribution: ConversionAttribution }>
  /** Conversions counted for a campaign (the board's progress toward a sign-ups goal). */
  conversionCount(workspaceId: string, campaignId: string): Promise<number>
}

/** A fresh conversion key (shown once) and the hash that is stored. */
export function newConversionKey(): { key: string; hash: string } {
  const key = `${CONVERSION_KEY_PREFIX}${randomBytes(32).toString('base64url')}`
  return { key, hash: conversionKeyHash(key) }
}

export class SqliteResultsStore implements ResultsStore {
  readonly #db: Db
  readonly #shares: SqliteShareStore

  constructor(db: Db, shares: SqliteShareStore) {
    this.#db = db
    this.#shares = shares
  }

  /** Clicks and conversions of the shares `proof`s own; others are left out without a word. */
  async mine(
    workspaceId: string,
    shares: readonly { id: string; proof: string }[],
  ): Promise<MyResults> {
    const clicks = this.#db.prepare<[string, string], { at: string; is_unique: number }>(
      'SELECT at, is_unique FROM clicks WHERE workspace_id = ? AND share_id = ? ORDER BY at',
    )
    const conversions = this.#db.prepare<
      [string, string],
      { idempotency_id: string; at: string; kind: string; value: number | null }
    >(
      `SELECT idempotency_id, at, kind, value FROM conversions
       WHERE workspace_id = ? AND share_id = ? ORDER BY at`,
    )
    const result: MyResults = { clicks: [], conversions: [] }
    for (const { id, proof } of shares) {
      if (!this.#shares.ownsNow(workspaceId, id, proof)) continue
      for (const row of clicks.all(workspaceId, id))
        result.clicks.push({ shareId: id, at: row.at, unique: row.is_unique === 1 })
      for (const row of conversions.all(workspaceId, id))
        result.conversions.push({
          id: row.idempotency_id,
          shareId: id,
          at: row.at,
          kind: row.kind,
          value: row.value,
        })
    }
    return result
  }

  async optedIn(workspaceId: string, memberId: string): Promise<boolean> {
    return this.#optedIn(workspaceId, memberId)
  }

  #optedIn(workspaceId: string, memberId: string): boolean {
    return (
      this.#db
        .prepare('SELECT 1 FROM leaderboard WHERE workspace_id = ? AND member_id = ?')
        .get(workspaceId, memberId) !== undefined
    )
  }

  /** A member's opt-in and linked shares, for `export-member`; null when not opted in. */
  async memberLinks(
    workspaceId: string,
    memberId: string,
  ): Promise<{ optedAt: string; shareIds: string[] } | null> {
    const opted = this.#db
      .prepare<[string, string], { opted_at: string }>(
        'SELECT opted_at FROM leaderboard WHERE workspace_id = ? AND member_id = ?',
      )
      .get(workspaceId, memberId)
    if (!opted) return null
    const shareIds = this.#db
      .prepare<[string, string], { share_id: string }>(
        'SELECT share_id FROM share_members WHERE workspace_id = ? AND member_id = ? ORDER BY share_id',
      )
      .all(workspaceId, memberId)
      .map((row) => row.share_id)
    return { optedAt: opted.opted_at, shareIds }
  }

  /** Opt in, linking the shares the member proves are theirs (now and in later reports). */
  async optIn(
    workspaceId: string,
    memberId: string,
    shares: readonly { id: string; proof: string }[],
    at: Date,
  ): Promise<number> {
    return this.#db.transaction(() => {
      this.#db
        .prepare(
          'INSERT INTO leaderboard (workspace_id, member_id, opted_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
        )
        .run(workspaceId, memberId, at.toISOString())
      const owned = shares.filter((s) => this.#shares.ownsNow(workspaceId, s.id, s.proof))
      return this.#link(
        workspaceId,
        memberId,
        owned.map((s) => s.id),
      )
    })()
  }

  /** Opt out: the opt-in and every share ↔ member link go (secure_delete zeroes the rows). */
  async optOut(workspaceId: string, memberId: string): Promise<number> {
    return this.#db.transaction(() => {
      this.#db
        .prepare('DELETE FROM leaderboard WHERE workspace_id = ? AND member_id = ?')
        .run(workspaceId, memberId)
      return this.#db
        .prepare('DELETE FROM share_members WHERE workspace_id = ? AND member_id = ?')
        .run(workspaceId, memberId).changes
    })()
  }

  /** After a share report: link its new ids to the member only if they opted in. */
  async linkIfOptedIn(
    workspaceId: string,
    memberId: string,
    shareIds: readonly string[],
  ): Promise<number> {
    if (shareIds.length === 0 || !this.#optedIn(workspaceId, memberId)) return 0
    return this.#db.transaction(() => this.#link(workspaceId, memberId, shareIds))()
  }

  #link(workspaceId: string, memberId: string, shareIds: readonly string[]): number {
    const insert = this.#db.prepare(
      `INSERT INTO share_members (workspace_id, share_id, member_id) VALUES (?, ?, ?)
       ON CONFLICT (workspace_id, share_id) DO NOTHING`,
    )
    let linked = 0
    for (const id of shareIds) linked += insert.run(workspaceId, id, memberId).changes
    return linked
  }

  /** A new key for a campaign, returned once; only its hash is kept. */
  async createConversionKey(workspaceId: string, campaignId: string, at: Date): Promise<string> {
    const { key, hash } = newConversionKey()
    this.#db
      .prepare(
        'INSERT INTO conversion_keys (key_hash, workspace_id, campaign_id, created_at) VALUES (?, ?, ?, ?)',
      )
      .run(hash, workspaceId, campaignId, at.toISOString())
    return key
  }

  async keyScope(key: string): Promise<{ workspaceId: string; campaignId: string } | null> {
    const row = this.#db
      .prepare<[string], { workspace_id: string; campaign_id: string }>(
        'SELECT workspace_id, campaign_id FROM conversion_keys WHERE key_hash = ?',
      )
      .get(conversionKeyHash(key))
    return row ? { workspaceId: row.workspace_id, campaignId: row.campaign_id } : null
  }

  /**
   * Count a conversion once per idempotency id. It is kept against its share id even when that
   * share is not reported yet (an offline share): attribution is a join made when asked.
   */
  async recordConversion(
    scope: { workspaceId: string; campaignId: string },
    input: ConversionInput,
    at: Date,
  ): Promise<{ counted: boolean; attribution: ConversionAttribution }> {
    const counted =
      this.#db
        .prepare(
          `INSERT INTO conversions (workspace_id, idempotency_id, campaign_id, share_id, kind, value, at)
           VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          scope.workspaceId,
          input.idempotencyId,
          scope.campaignId,
          input.shareId,
          input.kind,
          input.value,
          at.toISOString(),
        ).changes === 1
    const share =
      input.shareId === null
        ? undefined
        : this.#db
            .prepare<[string, string], { item_id: string; network: string }>(
              'SELECT item_id, network FROM shares WHERE workspace_id = ? AND id = ?',
            )
            .get(scope.workspaceId, input.shareId)
    return {
      counted,
      attribution: {
        campaignId: scope.campaignId,
        shareId: input.shareId,
        itemId: share?.item_id ?? null,
        network: share?.network ?? null,
      },
    }
  }

  /** Conversions counted for a campaign (the board's progress toward a sign-ups goal). */
  async conversionCount(workspaceId: string, campaignId: string): Promise<number> {
    const row = this.#db
      .prepare<[string, string], { n: number }>(
        'SELECT COUNT(*) AS n FROM conversions WHERE workspace_id = ? AND campaign_id = ?',
      )
      .get(workspaceId, campaignId)
    return row?.n ?? 0
  }
}
