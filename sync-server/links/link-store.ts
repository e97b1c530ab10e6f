import { createHmac, randomBytes } from 'node:crypto'
import type { Network } from '../../common/model/networks'
import type { Db } from '../persistence/database'

/** What a short link redirects to: the item's own URL and its campaign's utm_campaign slug. */
export type LinkTarget = {
  url: string
  campaignId: string | null
  campaignSlug: string
  objective: string
  sourceKind: string
}

export type ClickInput = {
  /**
   * The click's idempotency id (the redirect gives every click one): a write retried after it
   * timed out is counted once. PostgreSQL keeps it (pv_clicks.click_id); SQLite's write is
   * synchronous, so it cannot time out after committing, and needs none.
   */
  id?: string
  workspaceId: string
  shareId: string
  itemId: string
  network: Network
  /** Remote address and the user agent's family: hashed here, never stored. */
  ip: string
  uaFamily: string
  at: Date
}

export const DAY_MS = 86_400_000

/**
 * The daily visitor key: random, in memory only, replaced every UTC day. Yesterday's key is kept
 * one more day so "within 24 h" spans midnight, then forgotten: past visitor hashes cannot be
 * recomputed from anything the relay (or its database file) still holds.
 */
export class VisitorKeys {
  #day = -1
  #today: Buffer = randomBytes(32)
  #yesterday: Buffer | null = null

  keysFor(at: Date): Buffer[] {
    const day = Math.floor(at.getTime() / DAY_MS)
    // A click written late (queued while storage was down) from an earlier day: hash it under
    // that day's key if still held, and keep today's.
    if (day < this.#day)
      return day === this.#day - 1 && this.#yesterday
        ? [this.#yesterday, this.#today]
        : [this.#today]
    if (day !== this.#day) {
      this.#yesterday = day === this.#day + 1 ? this.#today : null
      this.#today = randomBytes(32)
      this.#day = day
    }
    return this.#yesterday ? [this.#today, this.#yesterday] : [this.#today]
  }
}

export function visitorHash(key: Buffer, ip: string, uaFamily: string): string {
  return createHmac('sha256', key).update(`${ip}\n${uaFamily}`).digest('base64url').slice(0, 22)
}

/** Item targets (fed by the queue hook) and clicks: SQLite or PostgreSQL. */
export interface LinkStore {
  target(workspaceId: string, itemId: string): Promise<LinkTarget | null>
  /** Write the targets that changed; resolves with how many rows were written. */
  putTargets(workspaceId: string, targets: Map<string, LinkTarget>): Promise<number>
  /**
   * Record a human click. Unique when this visitor (under today's or yesterday's key) did not
   * click this share in the last 24 h. Resolves with whether it was unique.
   */
  recordClick(click: ClickInput): Promise<boolean>
  /** Clear visitor hashes older than two days (their key is gone); resolves with how many. */
  forgetOldVisitors(now: Date): Promise<number>
  clickCount(workspaceId: string): Promise<{ total: number; unique: number }>
}

/** Whether a stored target already says what `t` says (nothing to write). */
export function sameTarget(old: LinkTarget | null, t: LinkTarget): boolean {
  return (
    old !== null &&
    old.url === t.url &&
    old.campaignId === t.campaignId &&
    old.campaignSlug === t.campaignSlug &&
    old.objective === t.objective &&
    old.sourceKind === t.sourceKind
  )
}

/** Item targets (fed by the queue hook) and clicks, in the relay's SQLite file. */
export class SqliteLinkStore implements LinkStore {
  readonly #db: Db
  readonly #keys = new VisitorKeys()
  readonly #get
  readonly #upsert
  readonly #seen
  readonly #insertClick
  /** UTC day of the last clearing of old visitor hashes (done at start and once a day). */
  #clearedDay = -1

  constructor(db: Db) {
    this.#db = db
    this.#get = db.prepare<[string, string], Record<string, string | null>>(
      `SELECT url, campaign_id AS campaignId, campaign_slug AS campaignSlug, objective,
              source_kind AS sourceKind
       FROM link_items WHERE workspace_id = ? AND item_id = ?`,
    )
    this.#upsert = db.prepare(
      `INSERT INTO link_items (workspace_id, item_id, url, campaign_id, campaign_slug, objective, source_kind)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, item_id) DO UPDATE SET url = excluded.url,
         campaign_id = excluded.campaign_id, campaign_slug = excluded.campaign_slug,
         objective = excluded.objective, source_kind = excluded.source_kind`,
    )
    this.#seen = db.prepare<[string, string, string, string], { n: number }>(
      `SELECT COUNT(*) AS n FROM clicks
       WHERE workspace_id = ? AND share_id = ? AND visitor = ? AND at > ?`,
    )
    this.#insertClick = db.prepare(
      `INSERT INTO clicks (workspace_id, share_id, item_id, network, at, visitor, is_unique)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    )
  }

  async target(workspaceId: string, itemId: string): Promise<LinkTarget | null> {
    return this.#target(workspaceId, itemId)
  }

  #target(workspaceId: string, itemId: string): LinkTarget | null {
    const row = this.#get.get(workspaceId, itemId)
    return row ? (row as unknown as LinkTarget) : null
  }

  /** Write the targets that changed; returns how many rows were written. */
  async putTargets(workspaceId: string, targets: Map<string, LinkTarget>): Promise<number> {
    let written = 0
    this.#db.transaction(() => {
      for (const [itemId, t] of targets) {
        if (sameTarget(this.#target(workspaceId, itemId), t)) continue
        this.#upsert.run(
          workspaceId,
          itemId,
          t.url,
          t.campaignId,
          t.campaignSlug,
          t.objective,
          t.sourceKind,
        )
        written++
      }
    })()
    return written
  }

  /**
   * Record a human click. Unique when this visitor (under today's or yesterday's key) did not
   * click this share in the last 24 h. Returns whether it was unique.
   */
  async recordClick(click: ClickInput): Promise<boolean> {
    const day = Math.floor(click.at.getTime() / DAY_MS)
    if (day !== this.#clearedDay) {
      this.#clearedDay = day
      this.#forget(click.at)
    }
    const keys = this.#keys.keysFor(click.at)
    const hashes = keys.map((k) => visitorHash(k, click.ip, click.uaFamily))
    const since = new Date(click.at.getTime() - DAY_MS).toISOString()
    return this.#db.transaction(() => {
      const seen = hashes.some(
        (h) => (this.#seen.get(click.workspaceId, click.shareId, h, since)?.n ?? 0) > 0,
      )
      this.#insertClick.run(
        click.workspaceId,
        click.shareId,
        click.itemId,
        click.network,
        click.at.toISOString(),
        hashes[0],
        seen ? 0 : 1,
      )
      return !seen
    })()
  }

  /**
   * Visitor hashes older than two days can never match again (their key is gone): clear them so
   * the file keeps only counts.
   */
  async forgetOldVisitors(now: Date): Promise<number> {
    return this.#forget(now)
  }

  #forget(now: Date): number {
    const before = new Date(now.getTime() - 2 * DAY_MS).toISOString()
    return this.#db
      .prepare('UPDATE clicks SET visitor = NULL WHERE visitor IS NOT NULL AND at < ?')
      .run(before).changes
  }

  async clickCount(workspaceId: string): Promise<{ total: number; unique: number }> {
    const row = this.#db
      .prepare<[string], { total: number; unique: number | null }>(
        'SELECT COUNT(*) AS total, SUM(is_unique) AS "unique" FROM clicks WHERE workspace_id = ?',
      )
      .get(workspaceId)
    return { total: row?.total ?? 0, unique: row?.unique ?? 0 }
  }
}
