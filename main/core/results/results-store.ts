import { NETWORKS, type Network } from '../../../common/model/networks'
import type { MyResults } from '../../../common/model/results'
import type { Db } from '../store/database'

export type ResultShare = {
  id: string
  itemId: string
  network: Network
  sharedAt: string
}

export type StoredClick = { shareId: string; network: Network; at: string; unique: boolean }
export type StoredConversion = { id: string; shareId: string; at: string; kind: string }

const isNetwork = (value: string): value is Network =>
  (NETWORKS as readonly string[]).includes(value)

/**
 * My clicks and conversions as the relay reported them (migration 9), kept so My stats and the
 * nudges work offline. The relay answers with every click of the shares asked about, so a fetch
 * replaces those shares' rows as a whole: re-fetching never counts a click twice.
 */
export class ResultsStore {
  private readonly selectReported
  private readonly selectShares
  private readonly deleteClicks
  private readonly insertClick
  private readonly deleteConversions
  private readonly insertConversion
  private readonly selectClicks
  private readonly selectConversions
  private readonly selectFetched
  private readonly upsertFetched
  private readonly selectLeaderboard
  private readonly upsertLeaderboard

  constructor(private readonly db: Db) {
    // Shares the relay already has (none pending in the outbox), newest first.
    this.selectReported = db.prepare<[string], { id: string }>(
      `SELECT s.id FROM shares s WHERE s.workspace_id = ? AND NOT EXISTS (
         SELECT 1 FROM outbox o WHERE o.id = s.id AND o.delivered_at IS NULL
       ) ORDER BY s.shared_at DESC, s.id`,
    )
    this.selectShares = db.prepare<
      [string],
      { id: string; item_id: string; network: string; shared_at: string }
    >(
      'SELECT id, item_id, network, shared_at FROM shares WHERE workspace_id = ? ORDER BY shared_at',
    )
    this.deleteClicks = db.prepare<[string]>('DELETE FROM my_clicks WHERE share_id = ?')
    // The network comes from my share row: a click on a share I do not hold is not stored.
    this.insertClick = db.prepare<[string, number, string]>(
      `INSERT INTO my_clicks (network, at, is_unique, share_id)
       SELECT network, ?, ?, id FROM shares WHERE id = ?`,
    )
    this.deleteConversions = db.prepare<[string]>('DELETE FROM my_conversions WHERE share_id = ?')
    this.insertConversion = db.prepare<[string, string, string, number | null, string]>(
      `INSERT INTO my_conversions (id, share_id, kind, value, at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (id) DO NOTHING`,
    )
    this.selectClicks = db.prepare<
      [string],
      { share_id: string; network: string; at: string; is_unique: number }
    >(
      `SELECT c.share_id, c.network, c.at, c.is_unique FROM my_clicks c
       JOIN shares s ON s.id = c.share_id WHERE s.workspace_id = ? ORDER BY c.at`,
    )
    this.selectConversions = db.prepare<
      [string],
      { id: string; share_id: string; at: string; kind: string }
    >(
      `SELECT c.id, c.share_id, c.at, c.kind FROM my_conversions c
       JOIN shares s ON s.id = c.share_id WHERE s.workspace_id = ? ORDER BY c.at`,
    )
    this.selectFetched = db.prepare<[], { fetched_at: string }>(
      'SELECT fetched_at FROM results_fetch WHERE id = 1',
    )
    this.selectLeaderboard = db.prepare<[string], { opt_in: number }>(
      'SELECT opt_in FROM leaderboard_sent WHERE workspace_id = ?',
    )
    this.upsertLeaderboard = db.prepare<[string, number, string]>(
      `INSERT INTO leaderboard_sent (workspace_id, opt_in, sent_at) VALUES (?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET opt_in = excluded.opt_in, sent_at = excluded.sent_at`,
    )
    this.upsertFetched = db.prepare<[string]>(
      `INSERT INTO results_fetch (id, fetched_at) VALUES (1, ?)
       ON CONFLICT (id) DO UPDATE SET fetched_at = excluded.fetched_at`,
    )
  }

  /** The leaderboard choice the relay last acknowledged here, or null: never sent. */
  leaderboardSent(workspaceId: string): boolean | null {
    const row = this.selectLeaderboard.get(workspaceId)
    return row ? row.opt_in === 1 : null
  }

  setLeaderboardSent(workspaceId: string, optIn: boolean, at: Date): void {
    this.upsertLeaderboard.run(workspaceId, optIn ? 1 : 0, at.toISOString())
  }

  /** Ids of my shares in this workspace that the relay has been told of, newest first. */
  reportedShareIds(workspaceId: string): string[] {
    return this.selectReported.all(workspaceId).map((row) => row.id)
  }

  /**
   * Replace the clicks and conversions of `shareIds` with the relay's answer for them (one
   * transaction). Rows naming a share that was not asked about are ignored.
   */
  replace(shareIds: readonly string[], results: MyResults, fetchedAt: Date): void {
    const asked = new Set(shareIds)
    this.db.transaction(() => {
      for (const id of asked) {
        this.deleteClicks.run(id)
        this.deleteConversions.run(id)
      }
      for (const click of results.clicks) {
        if (!asked.has(click.shareId)) continue
        this.insertClick.run(new Date(click.at).toISOString(), click.unique ? 1 : 0, click.shareId)
      }
      for (const conversion of results.conversions) {
        if (!asked.has(conversion.shareId)) continue
        this.insertConversion.run(
          conversion.id,
          conversion.shareId,
          conversion.kind,
          conversion.value,
          new Date(conversion.at).toISOString(),
        )
      }
      this.upsertFetched.run(fetchedAt.toISOString())
    })()
  }

  shares(workspaceId: string): ResultShare[] {
    return this.selectShares
      .all(workspaceId)
      .flatMap((row) =>
        isNetwork(row.network)
          ? [{ id: row.id, itemId: row.item_id, network: row.network, sharedAt: row.shared_at }]
          : [],
      )
  }

  clicks(workspaceId: string): StoredClick[] {
    return this.selectClicks.all(workspaceId).flatMap((row) =>
      isNetwork(row.network)
        ? [
            {
              shareId: row.share_id,
              network: row.network,
              at: row.at,
              unique: row.is_unique === 1,
            },
          ]
        : [],
    )
  }

  conversions(workspaceId: string): StoredConversion[] {
    return this.selectConversions
      .all(workspaceId)
      .map((row) => ({ id: row.id, shareId: row.share_id, at: row.at, kind: row.kind }))
  }

  fetchedAt(): string | null {
    return this.selectFetched.get()?.fetched_at ?? null
  }
}
