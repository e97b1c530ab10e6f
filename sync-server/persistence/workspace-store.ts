import type Database from 'better-sqlite3'
import type { Member, Role, Workspace } from '../../common/model/member'
import type { Db } from './database'

type WorkspaceRow = { id: string; name: string }
export type MemberRow = {
  id: string
  workspace_id: string
  display_name: string
  role: Role
  generation: number
  issued_at: string
  expires_at: string
  removed_at: string | null
}
type DeviceRow = { device: string; first_seen: string; last_seen: string; connections: number }

/** A membership as the relay holds it: who, which role, and which tokens still count. */
export type MemberRecord = Member & {
  /** Tokens carry it as `gen`; a lower one was issued before the latest invitation. */
  generation: number
  issuedAt: string
  expiresAt: string
  removedAt: string | null
}

export type DeviceRecord = {
  device: string
  firstSeen: string
  lastSeen: string
  connections: number
}

export type MemberSummary = MemberRecord & { devices: number; lastSeen: string | null }

export const MEMBER_COLUMNS =
  'id, workspace_id, display_name, role, generation, issued_at, expires_at, removed_at'

export function toRecord(row: MemberRow): MemberRecord {
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    displayName: row.display_name,
    role: row.role,
    generation: row.generation,
    issuedAt: row.issued_at,
    expiresAt: row.expires_at,
    removedAt: row.removed_at,
  }
}

/**
 * Workspaces and issued memberships. Asynchronous so that PostgreSQL can hold them (several
 * nodes on several machines, storage/postgres/relational.ts); the embedded default is SQLite
 * (SqliteWorkspaceStore). Every implementation passes tests/relay/relational-contract.test.ts.
 */
export interface WorkspaceStore {
  createWorkspace(workspace: Workspace, now?: Date): Promise<void>
  getWorkspace(id: string): Promise<Workspace | null>
  listWorkspaces(): Promise<Workspace[]>
  /**
   * Record an issued invitation. Inviting an existing member again is a re-invitation: name, role
   * and expiry are replaced, a removal is lifted, and the generation goes up so that every token
   * issued before is refused. Resolves with the generation the new token must carry.
   */
  upsertMember(member: Member, issuedAt: Date, expiresAt: Date): Promise<number>
  getMember(id: string): Promise<Member | null>
  getMemberRecord(id: string): Promise<MemberRecord | null>
  /**
   * getMemberRecord without a promise, where the store reads synchronously (SQLite): an upgrade
   * is then decided in the HTTP parser's own turn, as the stock server accepts (issue 11.3).
   */
  getMemberRecordNow?(id: string): MemberRecord | null
  /** Members of a workspace with how many devices connected and when one was last seen. */
  listMembers(workspaceId: string): Promise<MemberSummary[]>
  countMembers(): Promise<number>
  /** A role change keeps the generation: the member's devices renew into the new role. */
  setRole(id: string, role: Role): Promise<boolean>
  /** Removal keeps the row (refusals then say "removed"); a later invitation lifts it. */
  removeMember(id: string, now?: Date): Promise<boolean>
  /** Forget a member entirely: the membership and its device records. */
  deleteMember(id: string): Promise<boolean>
  /** A device connected (`connected` = 1) or was last seen now (0). */
  touchDevice(memberId: string, device: string, now: Date, connected: 0 | 1): Promise<void>
  /** Several touches in one transaction (one commit for a turn's connects, not one each). */
  touchDevices(touches: readonly DeviceTouch[]): Promise<void>
  listDevices(memberId: string): Promise<DeviceRecord[]>
}

export type DeviceTouch = { member: string; device: string; now: Date; connected: 0 | 1 }

/** The member record without the bookkeeping (what most callers need). */
export function memberOf(record: MemberRecord | null): Member | null {
  return record
    ? {
        id: record.id,
        workspaceId: record.workspaceId,
        displayName: record.displayName,
        role: record.role,
      }
    : null
}

/** Workspaces and issued memberships: plain relational tables in the relay's SQLite file. */
export class SqliteWorkspaceStore implements WorkspaceStore {
  readonly #db: Db
  readonly #selectMember
  readonly #touchDevice
  #selectWorkspace: Database.Statement<[string], WorkspaceRow> | null = null

  constructor(db: Db) {
    this.#db = db
    // Read on every upgrade and API call (revocation): prepared once.
    this.#selectMember = db.prepare<[string], MemberRow>(
      `SELECT ${MEMBER_COLUMNS} FROM members WHERE id = ?`,
    )
    this.#touchDevice = db.prepare<[{ member: string; device: string; now: string; n: number }]>(
      // Only for a member still there: a touch queued before a deletion (live-access batches
      // them) must not bring the erased member's device record back.
      `INSERT INTO member_devices (member_id, device, first_seen, last_seen, connections)
       SELECT @member, @device, @now, @now, @n WHERE EXISTS (SELECT 1 FROM members WHERE id = @member)
       ON CONFLICT (member_id, device) DO UPDATE SET last_seen = excluded.last_seen,
         connections = connections + excluded.connections`,
    )
  }

  async createWorkspace(workspace: Workspace, now = new Date()): Promise<void> {
    this.#db
      .prepare('INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)')
      .run(workspace.id, workspace.name, now.toISOString())
  }

  async getWorkspace(id: string): Promise<Workspace | null> {
    // Read twice per upgrade: prepared once (compiling it was a visible part of a connect).
    this.#selectWorkspace ??= this.#db.prepare<[string], WorkspaceRow>(
      'SELECT id, name FROM workspaces WHERE id = ?',
    )
    const row = this.#selectWorkspace.get(id)
    return row ? { id: row.id, name: row.name } : null
  }

  async listWorkspaces(): Promise<Workspace[]> {
    return this.#db
      .prepare<[], WorkspaceRow>('SELECT id, name FROM workspaces ORDER BY created_at')
      .all()
  }

  /**
   * Record an issued invitation. Inviting an existing member again is a re-invitation: name, role
   * and expiry are replaced, a removal is lifted, and the generation goes up so that every token
   * issued before is refused. Returns the generation the new token must carry.
   */
  async upsertMember(member: Member, issuedAt: Date, expiresAt: Date): Promise<number> {
    const row = this.#db
      .prepare<[string, string, string, string, string, string], { generation: number }>(
        `INSERT INTO members (id, workspace_id, display_name, role, issued_at, expires_at, generation)
         VALUES (?, ?, ?, ?, ?, ?, 1)
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
           role = excluded.role, issued_at = excluded.issued_at, expires_at = excluded.expires_at,
           generation = members.generation + 1, removed_at = NULL
         RETURNING generation`,
      )
      .get(
        member.id,
        member.workspaceId,
        member.displayName,
        member.role,
        issuedAt.toISOString(),
        expiresAt.toISOString(),
      )
    return row?.generation ?? 1
  }

  async getMember(id: string): Promise<Member | null> {
    return memberOf(await this.getMemberRecord(id))
  }

  async getMemberRecord(id: string): Promise<MemberRecord | null> {
    return this.getMemberRecordNow(id)
  }

  getMemberRecordNow(id: string): MemberRecord | null {
    const row = this.#selectMember.get(id)
    return row ? toRecord(row) : null
  }

  /** Members of a workspace with how many devices connected and when one was last seen. */
  async listMembers(workspaceId: string): Promise<MemberSummary[]> {
    const rows = this.#db
      .prepare<[string], MemberRow & { devices: number; last_seen: string | null }>(
        `SELECT ${MEMBER_COLUMNS.split(', ')
          .map((c) => `m.${c}`)
          .join(', ')},
           (SELECT COUNT(*) FROM member_devices d WHERE d.member_id = m.id) AS devices,
           (SELECT MAX(last_seen) FROM member_devices d WHERE d.member_id = m.id) AS last_seen
         FROM members m WHERE m.workspace_id = ? ORDER BY m.display_name, m.id`,
      )
      .all(workspaceId)
    return rows.map((row) => ({ ...toRecord(row), devices: row.devices, lastSeen: row.last_seen }))
  }

  async countMembers(): Promise<number> {
    return this.#db.prepare<[], { n: number }>('SELECT count(*) AS n FROM members').get()?.n ?? 0
  }

  /** A role change keeps the generation: the member's devices renew into the new role. */
  async setRole(id: string, role: Role): Promise<boolean> {
    return this.#db.prepare('UPDATE members SET role = ? WHERE id = ?').run(role, id).changes > 0
  }

  /** Removal keeps the row (refusals then say "removed"); a later invitation lifts it. */
  async removeMember(id: string, now = new Date()): Promise<boolean> {
    return (
      this.#db
        .prepare('UPDATE members SET removed_at = ? WHERE id = ? AND removed_at IS NULL')
        .run(now.toISOString(), id).changes > 0
    )
  }

  /** Forget a member entirely: the membership and its device records. */
  async deleteMember(id: string): Promise<boolean> {
    return this.#db.transaction(() => {
      this.#db.prepare('DELETE FROM member_devices WHERE member_id = ?').run(id)
      return this.#db.prepare('DELETE FROM members WHERE id = ?').run(id).changes > 0
    })()
  }

  /** A device connected (`connected` = 1) or was last seen now (0). */
  async touchDevice(memberId: string, device: string, now: Date, connected: 0 | 1): Promise<void> {
    this.#touchDevice.run({ member: memberId, device, now: now.toISOString(), n: connected })
  }

  /** Several touches in one transaction (one commit for a turn's connects, not one each). */
  async touchDevices(touches: readonly DeviceTouch[]): Promise<void> {
    this.#db.transaction(() => {
      for (const t of touches)
        this.#touchDevice.run({
          member: t.member,
          device: t.device,
          now: t.now.toISOString(),
          n: t.connected,
        })
    })()
  }

  async listDevices(memberId: string): Promise<DeviceRecord[]> {
    return this.#db
      .prepare<[string], DeviceRow>(
        `SELECT device, first_seen, last_seen, connections FROM member_devices
         WHERE member_id = ? ORDER BY first_seen, device`,
      )
      .all(memberId)
      .map((row) => ({
        device: row.device,
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        connections: row.connections,
      }))
  }
}
