import type { QueueFilter } from '../../../common/contract/api'
import type { Campaign } from '../../../common/model/campaign'
import type { Item } from '../../../common/model/item'
import type { Db } from './database'

type ItemRow = { json: string }

/**
 * An item's ranking columns (queue/ranking.ts Rankable): the first screen ranks the whole queue
 * from these and parses only the items it sends.
 */
export type RankingRow = {
  id: string
  status: Item['status']
  priority: number
  campaignId: string | null
  publishAt: string | null
  expiresAt: string | null
  createdAt: string
  updatedAt: string
}

/** Keys of `projected_facts`. */
const CAMPAIGNS_PROJECTED = 'campaigns_projected'
const WORKSPACE_NAME = 'workspace_name'

/**
 * The relational `items` table derived from the queue document: typed columns for filtering
 * and ordering, topics in a side table, and the full validated item as JSON (validated when
 * written, so reads only parse it).
 * Order: priority (high first), then freshness (publish date, else creation date; newest first).
 */
export class QueueTable {
  private readonly upsertRow
  private readonly deleteRow
  private readonly deleteTopics
  private readonly insertTopic
  private readonly selectOne
  private readonly selectIds
  private readonly countRows
  private readonly selectCampaigns
  private readonly upsertCampaign
  private readonly deleteCampaign
  private readonly selectFact
  private readonly upsertFact
  private readonly deleteFact
  /** The campaigns as last read or written (a handful; read on every queue.forMe). */
  private campaignCache: Map<string, Campaign> | null = null

  constructor(private readonly db: Db) {
    this.upsertRow = db.prepare(
      `INSERT INTO items (id, status, objective, priority, campaign_id, publish_at, expires_at,
         created_at, updated_at, fresh_at, search_text, json)
       VALUES (@id, @status, @objective, @priority, @campaignId, @publishAt, @expiresAt,
         @createdAt, @updatedAt, @freshAt, @searchText, @json)
       ON CONFLICT (id) DO UPDATE SET status = excluded.status, objective = excluded.objective,
         priority = excluded.priority, campaign_id = excluded.campaign_id,
         publish_at = excluded.publish_at, expires_at = excluded.expires_at,
         created_at = excluded.created_at, updated_at = excluded.updated_at,
         fresh_at = excluded.fresh_at, search_text = excluded.search_text, json = excluded.json
       WHERE items.json IS NOT excluded.json`,
    )
    this.deleteRow = db.prepare<[string]>('DELETE FROM items WHERE id = ?')
    this.deleteTopics = db.prepare<[string]>('DELETE FROM item_topics WHERE item_id = ?')
    this.insertTopic = db.prepare<[string, string]>(
      'INSERT OR IGNORE INTO item_topics (item_id, topic) VALUES (?, ?)',
    )
    this.selectOne = db.prepare<[string], ItemRow>('SELECT json FROM items WHERE id = ?')
    this.selectIds = db.prepare<[], { id: string }>('SELECT id FROM items')
    this.countRows = db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM items')
    this.selectCampaigns = db.prepare<[], { id: string; json: string }>(
      'SELECT id, json FROM campaigns',
    )
    this.upsertCampaign = db.prepare<[string, string]>(
      `INSERT INTO campaigns (id, json) VALUES (?, ?)
       ON CONFLICT (id) DO UPDATE SET json = excluded.json WHERE campaigns.json IS NOT excluded.json`,
    )
    this.deleteCampaign = db.prepare<[string]>('DELETE FROM campaigns WHERE id = ?')
    this.selectFact = db.prepare<[string], { value: string }>(
      'SELECT value FROM projected_facts WHERE key = ?',
    )
    this.upsertFact = db.prepare<[string, string]>(
      `INSERT INTO projected_facts (key, value) VALUES (?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
    )
    this.deleteFact = db.prepare<[string]>('DELETE FROM projected_facts WHERE key = ?')
  }

  /**
   * The queue document's campaigns by id, as last projected (validated when written). Empty
   * until a projection ran: see campaignsProjected.
   */
  campaigns(): ReadonlyMap<string, Campaign> {
    if (!this.campaignCache) {
      this.campaignCache = new Map(
        this.selectCampaigns.all().map((row) => [row.id, campaignFromJson(row.json)]),
      )
    }
    return this.campaignCache
  }

  /**
   * Make the table hold exactly `campaigns` (they are few: every campaign change re-projects
   * them all). Returns how many rows changed. Marks the campaigns as projected.
   */
  replaceCampaigns(campaigns: readonly Campaign[]): number {
    const keep = new Map(campaigns.map((campaign) => [campaign.id, campaign]))
    const changed = this.db.transaction(() => {
      let n = 0
      for (const row of this.selectCampaigns.all())
        if (!keep.has(row.id)) n += this.deleteCampaign.run(row.id).changes
      for (const campaign of keep.values())
        n += this.upsertCampaign.run(campaign.id, JSON.stringify(campaign)).changes
      this.upsertFact.run(CAMPAIGNS_PROJECTED, '1')
      return n
    })()
    this.campaignCache = keep
    return changed
  }

  /**
   * Whether the campaigns were projected since this table learnt to (migration 11). A store with
   * items but not this was written by an older core: its campaigns are only in the replicas.
   */
  campaignsProjected(): boolean {
    return this.selectFact.get(CAMPAIGNS_PROJECTED) !== undefined || this.count() === 0
  }

  /** The workspace's name from the directory document, as last projected. */
  workspaceName(): string | null {
    return this.selectFact.get(WORKSPACE_NAME)?.value ?? null
  }

  setWorkspaceName(name: string | null): void {
    if (name === null) this.deleteFact.run(WORKSPACE_NAME)
    else if (name !== this.workspaceName()) this.upsertFact.run(WORKSPACE_NAME, name)
  }

  /**
   * Upsert and delete rows in one transaction. Returns how many rows really changed: an item
   * written again as it was, or a removal of a row that is not there, does not count (windows
   * are told of a change only when there is one).
   */
  apply(upserts: readonly Item[], removals: readonly string[]): number {
    if (upserts.length === 0 && removals.length === 0) return 0
    return this.db.transaction(() => {
      let changed = 0
      for (const id of removals) changed += this.deleteRow.run(id).changes
      for (const item of upserts) changed += this.writeItem(item)
      return changed
    })()
  }

  /** Make the table hold exactly `items` (startup, or after a full sync). */
  replaceAll(items: readonly Item[]): number {
    const keep = new Set(items.map((item) => item.id))
    const removals = this.selectIds
      .all()
      .map((row) => row.id)
      .filter((id) => !keep.has(id))
    return this.apply(items, removals)
  }

  /** Everything derived from the workspace's replicas (leave, a refused first join). */
  clear(): void {
    this.db.exec('DELETE FROM items; DELETE FROM campaigns; DELETE FROM projected_facts')
    this.campaignCache = null
  }

  count(): number {
    return this.countRows.get()?.n ?? 0
  }

  get(id: string): Item | null {
    const row = this.selectOne.get(id)
    return row ? itemFromJson(row.json) : null
  }

  list(filter: QueueFilter = {}): Item[] {
    const { sql, params } = listQuery('json', filter)
    return this.db
      .prepare<(string | number)[], ItemRow>(sql)
      .all(...params)
      .map((row) => itemFromJson(row.json))
  }

  /** list()'s rows in list()'s order, as their ranking columns only (nothing parsed). */
  rankingRows(filter: QueueFilter = {}): RankingRow[] {
    const { sql, params } = listQuery(RANKING_COLUMNS, filter)
    return this.db.prepare<(string | number)[], RankingRow>(sql).all(...params)
  }

  /** The items with these ids, in this order (an id no longer in the table is left out). */
  getMany(ids: readonly string[]): Item[] {
    const items: Item[] = []
    for (const id of ids) {
      const row = this.selectOne.get(id)
      if (row) items.push(itemFromJson(row.json))
    }
    return items
  }

  /** 1 when the row was inserted or changed, 0 when it already held this item. */
  private writeItem(item: Item): number {
    const { changes } = this.upsertRow.run({
      id: item.id,
      status: item.status,
      objective: item.objective,
      priority: item.priority,
      campaignId: item.campaignId,
      publishAt: item.publishAt,
      expiresAt: item.expiresAt,
      createdAt: item.createdAt,
      updatedAt: item.updatedAt,
      freshAt: normalizeTime(item.publishAt ?? item.createdAt),
      searchText: [item.title, item.source, item.why, item.url, ...item.topics]
        .join('\n')
        .toLowerCase(),
      json: JSON.stringify(item),
    })
    if (changes === 0) return 0
    this.deleteTopics.run(item.id)
    for (const topic of item.topics) this.insertTopic.run(item.id, topic)
    return 1
  }
}

const RANKING_COLUMNS = `id, status, priority, campaign_id AS campaignId, publish_at AS publishAt,
  expires_at AS expiresAt, created_at AS createdAt, updated_at AS updatedAt`

/** The items matching `filter`, in the table's order (list and rankingRows alike). */
function listQuery(
  columns: string,
  filter: QueueFilter,
): { sql: string; params: (string | number)[] } {
  const where: string[] = []
  const params: (string | number)[] = []
  if (filter.objective) {
    where.push('objective = ?')
    params.push(filter.objective)
  }
  if (filter.status && filter.status.length > 0) {
    where.push(`status IN (${filter.status.map(() => '?').join(', ')})`)
    params.push(...filter.status)
  }
  if (filter.campaignId) {
    where.push('campaign_id = ?')
    params.push(filter.campaignId)
  }
  if (filter.topic) {
    where.push('id IN (SELECT item_id FROM item_topics WHERE topic = ? COLLATE NOCASE)')
    params.push(filter.topic.trim())
  }
  if (filter.search?.trim()) {
    // instr() rather than LIKE: no wildcard escaping to get wrong with user input.
    where.push('instr(search_text, ?) > 0')
    params.push(filter.search.trim().toLowerCase())
  }
  const sql = `SELECT ${columns} FROM items ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
      ORDER BY priority DESC, fresh_at DESC, id ASC LIMIT ?`
  params.push(filter.limit ?? -1)
  return { sql, params }
}

/** Timestamps may carry any offset; order on their UTC form. */
function normalizeTime(iso: string): string {
  const time = Date.parse(iso)
  return Number.isNaN(time) ? iso : new Date(time).toISOString()
}

/**
 * An item as the table stores it. Rows were validated when written (and re-validating the whole
 * queue on every read is the popover's hot path), so this only parses, with a cheap check that
 * catches a hand-edited or foreign file.
 */
export function itemFromJson(json: string): Item {
  const value: unknown = JSON.parse(json)
  if (!looksLikeItem(value)) throw new Error('The queue table holds a row that is not an item')
  return value
}

/** A campaign as the table stores it (validated when written, as items are). */
function campaignFromJson(json: string): Campaign {
  const value: unknown = JSON.parse(json)
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof (value as Record<string, unknown>).id !== 'string' ||
    typeof (value as Record<string, unknown>).deadline !== 'string'
  ) {
    throw new Error('The campaigns table holds a row that is not a campaign')
  }
  return value as Campaign
}

function looksLikeItem(value: unknown): value is Item {
  if (typeof value !== 'object' || value === null) return false
  const item = value as Record<string, unknown>
  return (
    typeof item.id === 'string' &&
    typeof item.title === 'string' &&
    typeof item.url === 'string' &&
    typeof item.status === 'string' &&
    typeof item.priority === 'number' &&
    Array.isArray(item.topics) &&
    typeof item.captions === 'object' &&
    item.captions !== null &&
    typeof item.variants === 'object' &&
    item.variants !== null
  )
}
