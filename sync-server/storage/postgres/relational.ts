import { randomBytes } from 'node:crypto'
import pg from 'pg'
import type { Member, Role, Workspace } from '../../../common/model/member'
import type { MyResults } from '../../../common/model/results'
import type { ShareEvent } from '../../../common/model/share'
import type {
  BoardCursor,
  BoardDelta,
  BoardRows,
  BoardSource,
  ClickRow,
  ConversionRow,
  ShareRow,
} from '../../board/aggregate'
import { postgresBoardSeqMigration } from '../../board/board-seq-sql'
import {
  type ClickInput,
  DAY_MS,
  type LinkStore,
  type LinkTarget,
  sameTarget,
  visitorHash,
} from '../../links/link-store'
import {
  type ConversionAttribution,
  type ConversionInput,
  conversionKeyHash,
  newConversionKey,
  type ResultsStore,
} from '../../links/results-store'
import { type Logger, silentLogger } from '../../log'
import type { RelationalStores } from '../../persistence/relational'
import {
  checkOwners,
  ownerVerifier,
  ShareConflictError,
  type ShareRecordResult,
  type ShareStore,
  type ShareSummary,
  type ShareSummaryRow,
  summaryOf,
} from '../../persistence/share-store'
import {
  type DeviceRecord,
  type DeviceTouch,
  MEMBER_COLUMNS,
  type MemberRecord,
  type MemberRow,
  type MemberSummary,
  memberOf,
  toRecord,
  type WorkspaceStore,
} from '../../persistence/workspace-store'
import { type PurgeOptions, vacuumTables } from './snapshots'

/**
 * The relay's relational tables in PostgreSQL (issue 11.2): with `--postgres-url` every node of a
 * deployment reads and writes them here, so nodes on several machines need no shared data dir.
 * Same tables and meaning as the SQLite schema (persistence/database.ts), `pv_`-prefixed so they
 * can share a database with other applications; dates stay ISO-8601 text, as in SQLite, so both
 * backends compare and group them the same way. tests/relay/relational-contract.test.ts runs the
 * same cases on both.
 *
 * Member writes NOTIFY `porte_voix_members` in the statement that writes (delivered on commit):
 * every node LISTENs, drops what it cached of that member and re-checks its live sockets, so a
 * removal or role change made through any node (or the admin tool) closes sockets on all of them.
 */
export const MEMBERS_CHANNEL = 'porte_voix_members'

/** Advisory lock held while the schema is migrated (nodes starting together). */
const SCHEMA_LOCK = 4_455_012

/** Applied in order; `pv_schema.version` records how many ran. Never edit a shipped one. */
const MIGRATIONS: string[] = [
  `CREATE TABLE pv_workspaces (
     id text PRIMARY KEY,
     name text NOT NULL,
     created_at text NOT NULL
   );
   CREATE TABLE pv_members (
     id text PRIMARY KEY,
     workspace_id text NOT NULL REFERENCES pv_workspaces(id),
     display_name text NOT NULL,
     role text NOT NULL,
     issued_at text NOT NULL,
     expires_at text NOT NULL,
     generation integer NOT NULL DEFAULT 1,
     removed_at text
   );
   CREATE INDEX pv_members_by_workspace ON pv_members(workspace_id);
   CREATE TABLE pv_member_devices (
     member_id text NOT NULL,
     device text NOT NULL,
     first_seen text NOT NULL,
     last_seen text NOT NULL,
     connections integer NOT NULL DEFAULT 0,
     PRIMARY KEY (member_id, device)
   );
   CREATE TABLE pv_shares (
     workspace_id text NOT NULL REFERENCES pv_workspaces(id),
     id text NOT NULL,
     owner_verifier text,
     item_id text NOT NULL,
     network text NOT NULL,
     objective text NOT NULL,
     campaign_id text,
     shared_at text NOT NULL,
     received_at text NOT NULL,
     PRIMARY KEY (workspace_id, id)
   );
   CREATE INDEX pv_shares_by_item ON pv_shares(workspace_id, item_id, network);
   CREATE TABLE pv_link_items (
     workspace_id text NOT NULL,
     item_id text NOT NULL,
     url text NOT NULL,
     campaign_id text,
     campaign_slug text NOT NULL,
     objective text NOT NULL,
     source_kind text NOT NULL,
     PRIMARY KEY (workspace_id, item_id)
   );
   CREATE TABLE pv_clicks (
     workspace_id text NOT NULL,
     share_id text NOT NULL,
     item_id text NOT NULL,
     network text NOT NULL,
     at text NOT NULL,
     visitor text,
     is_unique integer NOT NULL
   );
   CREATE INDEX pv_clicks_by_share ON pv_clicks(workspace_id, share_id, visitor);
   CREATE TABLE pv_leaderboard (
     workspace_id text NOT NULL,
     member_id text NOT NULL,
     opted_at text NOT NULL,
     PRIMARY KEY (workspace_id, member_id)
   );
   CREATE TABLE pv_share_members (
     workspace_id text NOT NULL,
     share_id text NOT NULL,
     member_id text NOT NULL,
     PRIMARY KEY (workspace_id, share_id)
   );
   CREATE INDEX pv_share_members_by_member ON pv_share_members(workspace_id, member_id);
   CREATE TABLE pv_conversion_keys (
     key_hash text PRIMARY KEY,
     workspace_id text NOT NULL,
     campaign_id text NOT NULL,
     created_at text NOT NULL
   );
   CREATE TABLE pv_conversions (
     workspace_id text NOT NULL,
     idempotency_id text NOT NULL,
     campaign_id text NOT NULL,
     share_id text,
     kind text NOT NULL,
     value double precision,
     at text NOT NULL,
     PRIMARY KEY (workspace_id, idempotency_id)
   );
   CREATE INDEX pv_conversions_by_share ON pv_conversions(workspace_id, share_id);
   -- The daily visitor key, shared by the nodes so a visitor is the same visitor on each; kept
   -- two days (today's and yesterday's), then deleted (see PgVisitorKeys).
   CREATE TABLE pv_visitor_keys (
     day integer PRIMARY KEY,
     key bytea NOT NULL
   );`,
  // Incremental board counters (board/counters.ts), as SQLite's migration 7: each row added to
  // the board's inputs takes the workspace's next board_seq. The pv_board_seq row stays locked
  // until the inserting transaction commits, so seqs commit in order: a snapshot that sees seq n
  // sees every row numbered up to n, and a board that read up to n misses nothing by reading
  // "> n" next time, whichever node inserted. Any other change moves the generation (rebuild).
  postgresBoardSeqMigration(),
  // A click in one round trip (PgLinkStore.recordClick): the share's lock, the visitor check and
  // the insert in one call. In a plpgsql function each statement reads a fresh snapshot, so the
  // check made under the lock sees a click of the same visitor committed by another node.
  `CREATE FUNCTION pv_record_click(p_workspace text, p_share text, p_item text, p_network text,
       p_at text, p_visitors text[], p_since text) RETURNS boolean LANGUAGE plpgsql AS $$
   DECLARE seen boolean;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext(p_workspace || E'\n' || p_share));
     SELECT EXISTS (SELECT 1 FROM pv_clicks WHERE workspace_id = p_workspace
                      AND share_id = p_share AND visitor = ANY(p_visitors) AND at > p_since)
       INTO seen;
     INSERT INTO pv_clicks (workspace_id, share_id, item_id, network, at, visitor, is_unique)
       VALUES (p_workspace, p_share, p_item, p_network, p_at, p_visitors[1],
               CASE WHEN seen THEN 0 ELSE 1 END);
     RETURN NOT seen;
   END $$;`,
  // A click's idempotency id (review finding): a write that timed out on the node after
  // PostgreSQL took it, retried from the click queue, is found by its id under the same share
  // lock and not counted twice. Rows written before this migration have none.
  `ALTER TABLE pv_clicks ADD COLUMN click_id text;
   CREATE UNIQUE INDEX pv_clicks_by_click_id ON pv_clicks(click_id) WHERE click_id IS NOT NULL;
   CREATE FUNCTION pv_record_click(p_workspace text, p_share text, p_item text, p_network text,
       p_at text, p_visitors text[], p_since text, p_click text) RETURNS boolean
     LANGUAGE plpgsql AS $$
   DECLARE seen boolean; stored integer;
   BEGIN
     PERFORM pg_advisory_xact_lock(hashtext(p_workspace || E'\n' || p_share));
     IF p_click IS NOT NULL THEN
       SELECT is_unique INTO stored FROM pv_clicks WHERE click_id = p_click;
       IF FOUND THEN RETURN stored = 1; END IF;
     END IF;
     SELECT EXISTS (SELECT 1 FROM pv_clicks WHERE workspace_id = p_workspace
                      AND share_id = p_share AND visitor = ANY(p_visitors) AND at > p_since)
       INTO seen;
     INSERT INTO pv_clicks (workspace_id, share_id, item_id, network, at, visitor, is_unique,
                            click_id)
       VALUES (p_workspace, p_share, p_item, p_network, p_at, p_visitors[1],
               CASE WHEN seen THEN 0 ELSE 1 END, p_click);
     RETURN NOT seen;
   END $$;`,
]

type Queryable = pg.Pool | pg.PoolClient

/**
 * deleteMember's statements, in order, each with the member's id as $1 (exported for
 * device-touch-race.test.ts, which runs them on its own connection to stop between them). The
 * member row is locked first: a device touch (touchDevices, FOR KEY SHARE on that row) landing
 * between two statements then waits for the commit and sees the member gone. Deleting the devices
 * before locking let a touch in between either re-insert a device row that outlived the erasure
 * or deadlock with the member DELETE and lose its whole batch (issue 11 review 2, B1).
 */
export const DELETE_MEMBER_STATEMENTS = [
  'SELECT 1 FROM pv_members WHERE id = $1 FOR UPDATE',
  'DELETE FROM pv_member_devices WHERE member_id = $1',
  `WITH d AS (DELETE FROM pv_members WHERE id = $1 RETURNING id)
   SELECT pg_notify('${MEMBERS_CHANNEL}', id) FROM d`,
] as const

/** Code-point order; any total order does, as long as every node uses the same one. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

async function inTransaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>) {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

async function migrate(pool: pg.Pool): Promise<void> {
  await inTransaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1)', [SCHEMA_LOCK])
    await client.query('CREATE TABLE IF NOT EXISTS pv_schema (version integer NOT NULL)')
    const { rows } = await client.query<{ version: number }>('SELECT version FROM pv_schema')
    const version = rows[0]?.version ?? 0
    for (let i = version; i < MIGRATIONS.length; i++) await client.query(MIGRATIONS[i] as string)
    if (rows.length === 0) await client.query('INSERT INTO pv_schema (version) VALUES ($1)', [0])
    if (version < MIGRATIONS.length)
      await client.query('UPDATE pv_schema SET version = $1', [MIGRATIONS.length])
  })
}

/**
 * What this node caches of `pv_members` and `pv_workspaces`, read on every upgrade and API call.
 * Used only while the LISTEN connection is up (a member change made elsewhere is then known at
 * once); a read that started before an invalidation is not cached (its value may be stale).
 */
class MemberCache {
  readonly members = new Map<string, MemberRecord | null>()
  /** Workspaces are never deleted: only found ones are cached. */
  readonly workspaces = new Map<string, Workspace>()
  #epoch = 0
  live = false

  get epoch(): number {
    return this.#epoch
  }

  drop(memberId: string | null): void {
    this.#epoch++
    if (memberId === null) this.members.clear()
    else this.members.delete(memberId)
  }

  setLive(live: boolean): void {
    this.live = live
    this.drop(null)
  }
}

class PgWorkspaceStore implements WorkspaceStore {
  constructor(
    private readonly pool: pg.Pool,
    private readonly cache: MemberCache,
  ) {}

  async createWorkspace(workspace: Workspace, now = new Date()): Promise<void> {
    await this.pool.query('INSERT INTO pv_workspaces (id, name, created_at) VALUES ($1, $2, $3)', [
      workspace.id,
      workspace.name,
      now.toISOString(),
    ])
  }

  async getWorkspace(id: string): Promise<Workspace | null> {
    const cached = this.cache.live ? this.cache.workspaces.get(id) : undefined
    if (cached) return cached
    const { rows } = await this.pool.query<Workspace>(
      'SELECT id, name FROM pv_workspaces WHERE id = $1',
      [id],
    )
    const row = rows[0]
    if (!row) return null
    const workspace = { id: row.id, name: row.name }
    if (this.cache.live) this.cache.workspaces.set(id, workspace)
    return workspace
  }

  async listWorkspaces(): Promise<Workspace[]> {
    const { rows } = await this.pool.query<Workspace>(
      'SELECT id, name FROM pv_workspaces ORDER BY created_at, id',
    )
    return rows.map((row) => ({ id: row.id, name: row.name }))
  }

  async upsertMember(member: Member, issuedAt: Date, expiresAt: Date): Promise<number> {
    const { rows } = await this.pool.query<{ generation: number }>(
      `WITH u AS (
         INSERT INTO pv_members (id, workspace_id, display_name, role, issued_at, expires_at, generation)
         VALUES ($1, $2, $3, $4, $5, $6, 1)
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
           role = excluded.role, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
           generation = pv_members.generation + 1, removed_at = NULL
         RETURNING id, generation)
       SELECT generation, pg_notify('${MEMBERS_CHANNEL}', id) FROM u`,
      [
        member.id,
        member.workspaceId,
        member.displayName,
        member.role,
        issuedAt.toISOString(),
        expiresAt.toISOString(),
      ],
    )
    this.cache.drop(member.id)
    return rows[0]?.generation ?? 1
  }

  async getMember(id: string): Promise<Member | null> {
    return memberOf(await this.getMemberRecord(id))
  }

  async getMemberRecord(id: string): Promise<MemberRecord | null> {
    const cache = this.cache
    if (cache.live) {
      const cached = cache.members.get(id)
      if (cached !== undefined) return cached
    }
    const epoch = cache.epoch
    const { rows } = await this.pool.query<MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM pv_members WHERE id = $1`,
      [id],
    )
    const row = rows[0]
    const record = row ? toRecord(row) : null
    if (cache.live && cache.epoch === epoch) cache.members.set(id, record)
    return record
  }

  async listMembers(workspaceId: string): Promise<MemberSummary[]> {
    const { rows } = await this.pool.query<
      MemberRow & { devices: number; last_seen: string | null }
    >(
      `SELECT ${MEMBER_COLUMNS.split(', ')
        .map((c) => `m.${c}`)
        .join(', ')},
         (SELECT COUNT(*)::int FROM pv_member_devices d WHERE d.member_id = m.id) AS devices,
         (SELECT MAX(last_seen) FROM pv_member_devices d WHERE d.member_id = m.id) AS last_seen
       FROM pv_members m WHERE m.workspace_id = $1 ORDER BY m.display_name, m.id`,
      [workspaceId],
    )
    return rows.map((row) => ({ ...toRecord(row), devices: row.devices, lastSeen: row.last_seen }))
  }

  async countMembers(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM pv_members',
    )
    return rows[0]?.n ?? 0
  }

  async setRole(id: string, role: Role): Promise<boolean> {
    const result = await this.pool.query(
      `WITH u AS (UPDATE pv_members SET role = $2 WHERE id = $1 RETURNING id)
       SELECT pg_notify('${MEMBERS_CHANNEL}', id) FROM u`,
      [id, role],
    )
    this.cache.drop(id)
    return (result.rowCount ?? 0) > 0
  }

  async removeMember(id: string, now = new Date()): Promise<boolean> {
    const result = await this.pool.query(
      `WITH u AS (UPDATE pv_members SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL
                  RETURNING id)
       SELECT pg_notify('${MEMBERS_CHANNEL}', id) FROM u`,
      [id, now.toISOString()],
    )
    this.cache.drop(id)
    return (result.rowCount ?? 0) > 0
  }

  async deleteMember(id: string): Promise<boolean> {
    const deleted = await inTransaction(this.pool, async (client) => {
      let result: pg.QueryResult | undefined
      for (const sql of DELETE_MEMBER_STATEMENTS) result = await client.query(sql, [id])
      return (result?.rowCount ?? 0) > 0
    })
    this.cache.drop(id)
    return deleted
  }

  async touchDevice(memberId: string, device: string, now: Date, connected: 0 | 1): Promise<void> {
    await this.touchDevices([{ member: memberId, device, now, connected }])
  }

  async touchDevices(touches: readonly DeviceTouch[]): Promise<void> {
    if (touches.length === 0) return
    // One statement for the batch (a turn's connects): touches of one device are folded first,
    // since one INSERT … ON CONFLICT may not update a row twice.
    const folded = new Map<
      string,
      { member: string; device: string; first: string; last: string; n: number }
    >()
    for (const t of touches) {
      const at = t.now.toISOString()
      const key = `${t.member}\n${t.device}`
      const seen = folded.get(key)
      if (!seen)
        folded.set(key, { member: t.member, device: t.device, first: at, last: at, n: t.connected })
      else {
        if (at < seen.first) seen.first = at
        if (at > seen.last) seen.last = at
        seen.n += t.connected
      }
    }
    // In (member, device) order: ON CONFLICT locks the rows one by one in input order, so two
    // nodes' batches holding the same rows in opposite orders could deadlock (review 2, P1).
    const rows = [...folded.values()].sort(
      (a, b) => compareText(a.member, b.member) || compareText(a.device, b.device),
    )
    await this.pool.query(
      `INSERT INTO pv_member_devices (member_id, device, first_seen, last_seen, connections)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[])
         AS t(member_id, device, first_seen, last_seen, connections)
       -- Only members still there: a touch queued before a deletion must not re-create its row.
       -- FOR KEY SHARE: a deletion open in another transaction holds the member row's lock, so
       -- this waits for it and then sees the row gone, rather than read around it and commit
       -- the erased member's device back after it (READ COMMITTED; issue 11 review, F3).
       WHERE EXISTS (SELECT 1 FROM pv_members m WHERE m.id = t.member_id FOR KEY SHARE)
       ON CONFLICT (member_id, device) DO UPDATE SET
         last_seen = GREATEST(pv_member_devices.last_seen, excluded.last_seen),
         connections = pv_member_devices.connections + excluded.connections`,
      [
        rows.map((r) => r.member),
        rows.map((r) => r.device),
        rows.map((r) => r.first),
        rows.map((r) => r.last),
        rows.map((r) => r.n),
      ],
    )
  }

  async listDevices(memberId: string): Promise<DeviceRecord[]> {
    const { rows } = await this.pool.query<{
      device: string
      first_seen: string
      last_seen: string
      connections: number
    }>(
      `SELECT device, first_seen, last_seen, connections FROM pv_member_devices
       WHERE member_id = $1 ORDER BY first_seen, device`,
      [memberId],
    )
    return rows.map((row) => ({
      device: row.device,
      firstSeen: row.first_seen,
      lastSeen: row.last_seen,
      connections: row.connections,
    }))
  }
}

/** Owner verifiers of the ids that exist (null: stored before ids were owned). */
async function ownersOf(
  db: Queryable,
  workspaceId: string,
  ids: readonly string[],
): Promise<Map<string, string | null>> {
  const { rows } = await db.query<{ id: string; owner_verifier: string | null }>(
    'SELECT id, owner_verifier FROM pv_shares WHERE workspace_id = $1 AND id = ANY($2)',
    [workspaceId, [...ids]],
  )
  return new Map(rows.map((row) => [row.id, row.owner_verifier]))
}

/** The ids among `shares` whose proof matches their stored owner. */
async function ownedIds(
  db: Queryable,
  workspaceId: string,
  shares: readonly { id: string; proof: string }[],
): Promise<Set<string>> {
  const owners = await ownersOf(
    db,
    workspaceId,
    shares.map((s) => s.id),
  )
  const owned = new Set<string>()
  for (const s of shares) {
    const verifier = owners.get(s.id)
    if (verifier != null && verifier === ownerVerifier(s.proof)) owned.add(s.id)
  }
  return owned
}

class PgShareStore implements ShareStore {
  constructor(private readonly pool: pg.Pool) {}

  async record(
    workspaceId: string,
    events: readonly (ShareEvent & { proof: string })[],
    receivedAt: Date,
  ): Promise<ShareRecordResult> {
    const at = receivedAt.toISOString()
    return inTransaction(this.pool, async (client) => {
      const stored = await ownersOf(
        client,
        workspaceId,
        events.map((e) => e.id),
      )
      const verifiers = checkOwners(events, (id) => stored.get(id))
      const result: ShareRecordResult = {
        accepted: 0,
        duplicates: 0,
        acceptedIds: [],
        duplicateIds: [],
      }
      const done = new Set<string>()
      for (const event of events) {
        if (done.has(event.id)) {
          result.duplicates++
          continue
        }
        done.add(event.id)
        const verifier = verifiers.get(event.id) as string
        if (stored.has(event.id)) {
          result.duplicates++
          result.duplicateIds.push(event.id)
          continue
        }
        const inserted = await client.query(
          `INSERT INTO pv_shares
             (workspace_id, id, owner_verifier, item_id, network, objective, campaign_id, shared_at, received_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING`,
          [
            workspaceId,
            event.id,
            verifier,
            event.itemId,
            event.network,
            event.objective,
            event.campaignId,
            event.sharedAt,
            at,
          ],
        )
        if ((inserted.rowCount ?? 0) === 1) {
          result.accepted++
          result.acceptedIds.push(event.id)
          continue
        }
        // Another node stored the id meanwhile (a re-sent report on two nodes at once).
        const owner = (await ownersOf(client, workspaceId, [event.id])).get(event.id)
        if (owner != null && owner !== verifier) throw new ShareConflictError([event.id])
        result.duplicates++
        result.duplicateIds.push(event.id)
      }
      return result
    })
  }

  async owns(workspaceId: string, id: string, proof: string): Promise<boolean> {
    return (await ownedIds(this.pool, workspaceId, [{ id, proof }])).has(id)
  }

  async summary(workspaceId: string): Promise<ShareSummary> {
    const { rows } = await this.pool.query<ShareSummaryRow>(
      `SELECT item_id, network, COUNT(*)::int AS n FROM pv_shares WHERE workspace_id = $1
       GROUP BY item_id, network`,
      [workspaceId],
    )
    return summaryOf(workspaceId, rows)
  }
}

/**
 * The daily visitor key, shared by the nodes through PostgreSQL (a visitor clicking through two
 * nodes is one visitor), random, kept for today and yesterday only: older rows are deleted, so
 * past visitor hashes cannot be recomputed from anything kept. Cached in memory for the day.
 */
class PgVisitorKeys {
  #day = -1
  #keys: Buffer[] = []

  constructor(private readonly pool: pg.Pool) {}

  async keysFor(at: Date): Promise<Buffer[]> {
    const day = Math.floor(at.getTime() / DAY_MS)
    if (day === this.#day) return this.#keys
    await this.pool.query(
      'INSERT INTO pv_visitor_keys (day, key) VALUES ($1, $2) ON CONFLICT (day) DO NOTHING',
      [day, randomBytes(32)],
    )
    await this.pool.query('DELETE FROM pv_visitor_keys WHERE day < $1', [day - 1])
    const { rows } = await this.pool.query<{ day: number; key: Buffer }>(
      'SELECT day, key FROM pv_visitor_keys WHERE day IN ($1, $2) ORDER BY day DESC',
      [day, day - 1],
    )
    this.#keys = rows.map((row) => row.key)
    this.#day = day
    return this.#keys
  }
}

const TARGET_COLUMNS = `url, campaign_id AS "campaignId", campaign_slug AS "campaignSlug", objective,
  source_kind AS "sourceKind"`

class PgLinkStore implements LinkStore {
  readonly #keys: PgVisitorKeys
  #clearedDay = -1

  constructor(private readonly pool: pg.Pool) {
    this.#keys = new PgVisitorKeys(pool)
  }

  async target(workspaceId: string, itemId: string): Promise<LinkTarget | null> {
    const { rows } = await this.pool.query<LinkTarget>(
      `SELECT ${TARGET_COLUMNS} FROM pv_link_items WHERE workspace_id = $1 AND item_id = $2`,
      [workspaceId, itemId],
    )
    return rows[0] ?? null
  }

  async putTargets(workspaceId: string, targets: Map<string, LinkTarget>): Promise<number> {
    if (targets.size === 0) return 0
    return inTransaction(this.pool, async (client) => {
      const { rows } = await client.query<LinkTarget & { item_id: string }>(
        `SELECT item_id, ${TARGET_COLUMNS} FROM pv_link_items
         WHERE workspace_id = $1 AND item_id = ANY($2)`,
        [workspaceId, [...targets.keys()]],
      )
      const old = new Map(rows.map((row) => [row.item_id, row]))
      let written = 0
      for (const [itemId, t] of targets) {
        if (sameTarget(old.get(itemId) ?? null, t)) continue
        await client.query(
          `INSERT INTO pv_link_items
             (workspace_id, item_id, url, campaign_id, campaign_slug, objective, source_kind)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (workspace_id, item_id) DO UPDATE SET url = excluded.url,
             campaign_id = excluded.campaign_id, campaign_slug = excluded.campaign_slug,
             objective = excluded.objective, source_kind = excluded.source_kind`,
          [workspaceId, itemId, t.url, t.campaignId, t.campaignSlug, t.objective, t.sourceKind],
        )
        written++
      }
      return written
    })
  }

  async recordClick(click: ClickInput): Promise<boolean> {
    const day = Math.floor(click.at.getTime() / DAY_MS)
    if (day !== this.#clearedDay) {
      this.#clearedDay = day
      await this.forgetOldVisitors(click.at)
    }
    const keys = await this.#keys.keysFor(click.at)
    const hashes = keys.map((k) => visitorHash(k, click.ip, click.uaFamily))
    const since = new Date(click.at.getTime() - DAY_MS).toISOString()
    // One round trip (pv_record_click): one share's clicks one at a time across nodes, so two
    // clicks of one visitor through two nodes at once are not both unique.
    const { rows } = await this.pool.query<{ unique: boolean }>(
      'SELECT pv_record_click($1, $2, $3, $4, $5, $6, $7, $8) AS "unique"',
      [
        click.workspaceId,
        click.shareId,
        click.itemId,
        click.network,
        click.at.toISOString(),
        hashes,
        since,
        click.id ?? null,
      ],
    )
    return rows[0]?.unique === true
  }

  async forgetOldVisitors(now: Date): Promise<number> {
    const before = new Date(now.getTime() - 2 * DAY_MS).toISOString()
    const result = await this.pool.query(
      'UPDATE pv_clicks SET visitor = NULL WHERE visitor IS NOT NULL AND at < $1',
      [before],
    )
    return result.rowCount ?? 0
  }

  async clickCount(workspaceId: string): Promise<{ total: number; unique: number }> {
    const { rows } = await this.pool.query<{ total: number; unique: number | null }>(
      'SELECT COUNT(*)::int AS total, SUM(is_unique)::int AS "unique" FROM pv_clicks WHERE workspace_id = $1',
      [workspaceId],
    )
    return { total: rows[0]?.total ?? 0, unique: rows[0]?.unique ?? 0 }
  }
}

async function linkShares(
  client: Queryable,
  workspaceId: string,
  memberId: string,
  shareIds: readonly string[],
): Promise<number> {
  let linked = 0
  for (const id of shareIds) {
    const result = await client.query(
      `INSERT INTO pv_share_members (workspace_id, share_id, member_id) VALUES ($1, $2, $3)
       ON CONFLICT (workspace_id, share_id) DO NOTHING`,
      [workspaceId, id, memberId],
    )
    linked += result.rowCount ?? 0
  }
  return linked
}

class PgResultsStore implements ResultsStore {
  constructor(private readonly pool: pg.Pool) {}

  async mine(
    workspaceId: string,
    shares: readonly { id: string; proof: string }[],
  ): Promise<MyResults> {
    const owned = await ownedIds(this.pool, workspaceId, shares)
    const result: MyResults = { clicks: [], conversions: [] }
    if (owned.size === 0) return result
    const ids = [...owned]
    const clicks = await this.pool.query<{ share_id: string; at: string; is_unique: number }>(
      `SELECT share_id, at, is_unique FROM pv_clicks
       WHERE workspace_id = $1 AND share_id = ANY($2) ORDER BY at`,
      [workspaceId, ids],
    )
    const conversions = await this.pool.query<{
      share_id: string
      idempotency_id: string
      at: string
      kind: string
      value: number | null
    }>(
      `SELECT share_id, idempotency_id, at, kind, value FROM pv_conversions
       WHERE workspace_id = $1 AND share_id = ANY($2) ORDER BY at`,
      [workspaceId, ids],
    )
    // In the order the shares were asked for, each one's rows by time (as SQLite answers).
    const done = new Set<string>()
    for (const { id } of shares) {
      if (!owned.has(id) || done.has(id)) continue
      done.add(id)
      for (const row of clicks.rows)
        if (row.share_id === id)
          result.clicks.push({ shareId: id, at: row.at, unique: row.is_unique === 1 })
      for (const row of conversions.rows)
        if (row.share_id === id)
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
    const { rows } = await this.pool.query(
      'SELECT 1 FROM pv_leaderboard WHERE workspace_id = $1 AND member_id = $2',
      [workspaceId, memberId],
    )
    return rows.length > 0
  }

  async memberLinks(
    workspaceId: string,
    memberId: string,
  ): Promise<{ optedAt: string; shareIds: string[] } | null> {
    const opted = await this.pool.query<{ opted_at: string }>(
      'SELECT opted_at FROM pv_leaderboard WHERE workspace_id = $1 AND member_id = $2',
      [workspaceId, memberId],
    )
    const row = opted.rows[0]
    if (!row) return null
    const links = await this.pool.query<{ share_id: string }>(
      `SELECT share_id FROM pv_share_members WHERE workspace_id = $1 AND member_id = $2
       ORDER BY share_id COLLATE "C"`,
      [workspaceId, memberId],
    )
    return { optedAt: row.opted_at, shareIds: links.rows.map((r) => r.share_id) }
  }

  async optIn(
    workspaceId: string,
    memberId: string,
    shares: readonly { id: string; proof: string }[],
    at: Date,
  ): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query(
        `INSERT INTO pv_leaderboard (workspace_id, member_id, opted_at) VALUES ($1, $2, $3)
         ON CONFLICT DO NOTHING`,
        [workspaceId, memberId, at.toISOString()],
      )
      const owned = await ownedIds(client, workspaceId, shares)
      return linkShares(
        client,
        workspaceId,
        memberId,
        shares.filter((s) => owned.has(s.id)).map((s) => s.id),
      )
    })
  }

  async optOut(workspaceId: string, memberId: string): Promise<number> {
    return inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM pv_leaderboard WHERE workspace_id = $1 AND member_id = $2', [
        workspaceId,
        memberId,
      ])
      const result = await client.query(
        'DELETE FROM pv_share_members WHERE workspace_id = $1 AND member_id = $2',
        [workspaceId, memberId],
      )
      return result.rowCount ?? 0
    })
  }

  async linkIfOptedIn(
    workspaceId: string,
    memberId: string,
    shareIds: readonly string[],
  ): Promise<number> {
    if (shareIds.length === 0 || !(await this.optedIn(workspaceId, memberId))) return 0
    return inTransaction(this.pool, (client) => linkShares(client, workspaceId, memberId, shareIds))
  }

  async createConversionKey(workspaceId: string, campaignId: string, at: Date): Promise<string> {
    const { key, hash } = newConversionKey()
    await this.pool.query(
      `INSERT INTO pv_conversion_keys (key_hash, workspace_id, campaign_id, created_at)
       VALUES ($1, $2, $3, $4)`,
      [hash, workspaceId, campaignId, at.toISOString()],
    )
    return key
  }

  async keyScope(key: string): Promise<{ workspaceId: string; campaignId: string } | null> {
    const { rows } = await this.pool.query<{ workspace_id: string; campaign_id: string }>(
      'SELECT workspace_id, campaign_id FROM pv_conversion_keys WHERE key_hash = $1',
      [conversionKeyHash(key)],
    )
    const row = rows[0]
    return row ? { workspaceId: row.workspace_id, campaignId: row.campaign_id } : null
  }

  async recordConversion(
    scope: { workspaceId: string; campaignId: string },
    input: ConversionInput,
    at: Date,
  ): Promise<{ counted: boolean; attribution: ConversionAttribution }> {
    const inserted = await this.pool.query(
      `INSERT INTO pv_conversions (workspace_id, idempotency_id, campaign_id, share_id, kind, value, at)
       VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING`,
      [
        scope.workspaceId,
        input.idempotencyId,
        scope.campaignId,
        input.shareId,
        input.kind,
        input.value,
        at.toISOString(),
      ],
    )
    const share =
      input.shareId === null
        ? undefined
        : (
            await this.pool.query<{ item_id: string; network: string }>(
              'SELECT item_id, network FROM pv_shares WHERE workspace_id = $1 AND id = $2',
              [scope.workspaceId, input.shareId],
            )
          ).rows[0]
    return {
      counted: inserted.rowCount === 1,
      attribution: {
        campaignId: scope.campaignId,
        shareId: input.shareId,
        itemId: share?.item_id ?? null,
        network: share?.network ?? null,
      },
    }
  }

  async conversionCount(workspaceId: string, campaignId: string): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>(
      'SELECT COUNT(*)::int AS n FROM pv_conversions WHERE workspace_id = $1 AND campaign_id = $2',
      [workspaceId, campaignId],
    )
    return rows[0]?.n ?? 0
  }
}

const PG_SHARES_SQL = `SELECT s.id, s.item_id, s.network, s.objective, s.campaign_id, s.shared_at,
         li.source_kind, sm.member_id
    FROM pv_shares s
    LEFT JOIN pv_link_items li ON li.workspace_id = s.workspace_id AND li.item_id = s.item_id
    LEFT JOIN pv_share_members sm ON sm.workspace_id = s.workspace_id AND sm.share_id = s.id
   WHERE s.workspace_id = $1`

// Hour of the week in UTC, as SQLite's strftime('%w') * 24 + strftime('%H') on the text.
const PG_CLICKS_SQL = (where: string) => `SELECT c.share_id, c.item_id, c.network,
         substr(c.at, 1, 10) AS day,
         (extract(dow FROM (c.at::timestamptz AT TIME ZONE 'UTC'))::int * 24
           + extract(hour FROM (c.at::timestamptz AT TIME ZONE 'UTC'))::int) AS how,
         COUNT(*)::int AS n, SUM(c.is_unique)::int AS u,
         li.objective, li.source_kind, li.campaign_id
    FROM pv_clicks c
    LEFT JOIN pv_link_items li ON li.workspace_id = c.workspace_id AND li.item_id = c.item_id
   WHERE c.workspace_id = $1${where}
   GROUP BY c.share_id, c.item_id, c.network, day, how, li.objective, li.source_kind,
            li.campaign_id`

class PgBoardSource implements BoardSource {
  constructor(private readonly pool: pg.Pool) {}

  /** Reads in one snapshot (REPEATABLE READ, read only). */
  async #snapshot<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect()
    try {
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY')
      const result = await fn(client)
      await client.query('COMMIT')
      return result
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {})
      throw error
    } finally {
      client.release()
    }
  }

  async #cursor(client: pg.PoolClient, workspaceId: string): Promise<BoardCursor> {
    const { rows } = await client.query<BoardCursor>(
      'SELECT seq::float8 AS seq, generation::float8 AS generation FROM pv_board_seq WHERE workspace_id = $1',
      [workspaceId],
    )
    return rows[0] ?? { seq: 0, generation: 0 }
  }

  async #optedIn(client: pg.PoolClient, workspaceId: string): Promise<string[]> {
    const opted = await client.query<{ member_id: string }>(
      `SELECT member_id FROM pv_leaderboard WHERE workspace_id = $1
       ORDER BY member_id COLLATE "C"`,
      [workspaceId],
    )
    return opted.rows.map((row) => row.member_id)
  }

  /** The same rows as sqliteBoardRows, and the cursor, in one snapshot. */
  async boardRows(workspaceId: string): Promise<BoardRows> {
    return this.#snapshot(async (client) => {
      // One snapshot: a row committed after it is read by the next delta, never twice.
      const cursor = await this.#cursor(client, workspaceId)
      const shares = await client.query<ShareRow>(PG_SHARES_SQL, [workspaceId])
      const clicks = await client.query<ClickRow>(PG_CLICKS_SQL(''), [workspaceId])
      const conversions = await client.query<ConversionRow>(
        'SELECT share_id, campaign_id, value, at FROM pv_conversions WHERE workspace_id = $1',
        [workspaceId],
      )
      return {
        shares: shares.rows,
        clicks: clicks.rows,
        conversions: conversions.rows,
        optedIn: await this.#optedIn(client, workspaceId),
        cursor,
      }
    })
  }

  async boardDelta(workspaceId: string, after: BoardCursor): Promise<BoardDelta | null> {
    return this.#snapshot(async (client) => {
      const cursor = await this.#cursor(client, workspaceId)
      if (cursor.generation !== after.generation) return null
      const optedIn = await this.#optedIn(client, workspaceId)
      if (cursor.seq === after.seq)
        return { shares: [], clicks: [], conversions: [], links: [], optedIn, cursor }
      const args = [workspaceId, after.seq]
      const shares = await client.query<ShareRow>(`${PG_SHARES_SQL} AND s.board_seq > $2`, args)
      const clicks = await client.query<ClickRow>(PG_CLICKS_SQL(' AND c.board_seq > $2'), args)
      const conversions = await client.query<ConversionRow>(
        `SELECT share_id, campaign_id, value, at FROM pv_conversions
         WHERE workspace_id = $1 AND board_seq > $2`,
        args,
      )
      const links = await client.query<{ share_id: string; member_id: string }>(
        `SELECT share_id, member_id FROM pv_share_members
         WHERE workspace_id = $1 AND board_seq > $2`,
        args,
      )
      return {
        shares: shares.rows,
        clicks: clicks.rows,
        conversions: conversions.rows,
        links: links.rows,
        optedIn,
        cursor,
      }
    })
  }
}

/**
 * The LISTEN connection: member changes from every node and the admin tool. While it is down
 * the member cache is off (every check reads PostgreSQL); when it comes back every listener
 * re-checks (notifications sent meanwhile are lost).
 */
class MemberListener {
  readonly #listeners = new Set<() => void>()
  #client: pg.Client | null = null
  #closed = false
  #retry: NodeJS.Timeout | null = null

  constructor(
    private readonly url: string,
    private readonly cache: MemberCache,
    private readonly log: Logger | undefined,
  ) {}

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url })
    client.on('error', (error) => {
      this.log?.warn('postgres member watch lost', { error: error.message })
      this.#lost(client)
    })
    client.on('end', () => this.#lost(client))
    client.on('notification', (message) => {
      if (message.channel !== MEMBERS_CHANNEL) return
      this.cache.drop(message.payload ?? null)
      this.#emit()
    })
    await client.connect()
    await client.query(`LISTEN ${MEMBERS_CHANNEL}`)
    if (this.#closed) {
      await client.end().catch(() => {})
      return
    }
    this.#client = client
    this.cache.setLive(true)
  }

  #lost(client: pg.Client): void {
    if (this.#client !== client) return
    this.#client = null
    this.cache.setLive(false)
    client.end().catch(() => {})
    this.#schedule()
  }

  #schedule(): void {
    if (this.#closed || this.#retry) return
    this.#retry = setTimeout(() => {
      this.#retry = null
      this.start().then(
        // Changes made while away were not heard: everyone re-checks.
        () => this.#emit(),
        () => this.#schedule(),
      )
    }, 1_000)
    this.#retry.unref()
  }

  #emit(): void {
    for (const listener of [...this.#listeners]) listener()
  }

  watch(onChange: () => void): () => void {
    this.#listeners.add(onChange)
    return () => this.#listeners.delete(onChange)
  }

  async close(): Promise<void> {
    this.#closed = true
    if (this.#retry) clearTimeout(this.#retry)
    const client = this.#client
    this.#client = null
    this.cache.setLive(false)
    await client?.end().catch(() => {})
  }
}

export type PgRelationalOptions = {
  url: string
  log?: Logger
  /** LISTEN for member changes (a relay node); the admin tool only writes (default false). */
  listen?: boolean
  /** The pool's query timeout (default 10 s; tests make a write time out sooner). */
  queryTimeoutMs?: number
  /** The erasure purge's timings (tests; storage/postgres/snapshots.ts vacuumTables). */
  purge?: PurgeOptions
}

/**
 * Open the PostgreSQL relational stores: migrate the schema (fails if PostgreSQL cannot be
 * reached) and, for a node, start listening for member changes.
 */
export async function openPgRelational(options: PgRelationalOptions): Promise<RelationalStores> {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: 8,
    connectionTimeoutMillis: 5_000,
    // A query that hangs (server stopped mid-answer) must fail, not hold an API call.
    query_timeout: options.queryTimeoutMs ?? 10_000,
  })
  // An idle client's connection dropping (server restart) lands here; without a listener it
  // would crash the relay. The next query opens a new connection.
  pool.on('error', (error) =>
    options.log?.warn('postgres connection lost', { error: error.message }),
  )
  const cache = new MemberCache()
  const listener = new MemberListener(options.url, cache, options.log)
  try {
    await migrate(pool)
    if (options.listen) await listener.start()
  } catch (error) {
    await listener.close()
    await pool.end().catch(() => {})
    throw error
  }
  return {
    kind: 'postgres',
    workspaces: new PgWorkspaceStore(pool, cache),
    shares: new PgShareStore(pool),
    links: new PgLinkStore(pool),
    results: new PgResultsStore(pool),
    board: new PgBoardSource(pool),
    watchMembers: (onChange) => listener.watch(onChange),
    // The tables a member erasure deletes from (admin.ts forgetMember).
    purgeErased: async () => {
      await vacuumTables(
        options.url,
        ['pv_members', 'pv_member_devices', 'pv_leaderboard', 'pv_share_members'],
        options.log ?? silentLogger,
        options.purge,
      )
    },
    close: async () => {
      await listener.close()
      await pool.end()
    },
  }
}
