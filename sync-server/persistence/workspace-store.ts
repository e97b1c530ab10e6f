import type { Member, Role, Workspace } from '../../common/model/member'
import type { Db } from './database'

type WorkspaceRow = { id: string; name: string }
type MemberRow = { id: string; workspace_id: string; display_name: string; role: Role }

/** Workspaces and issued memberships: plain relational tables in the relay's SQLite file. */
export class WorkspaceStore {
  readonly #db: Db

  constructor(db: Db) {
    this.#db = db
  }

  createWorkspace(workspace: Workspace, now = new Date()): void {
    this.#db
      .prepare('INSERT INTO workspaces (id, name, created_at) VALUES (?, ?, ?)')
      .run(workspace.id, workspace.name, now.toISOString())
  }

  getWorkspace(id: string): Workspace | null {
    const row = this.#db
      .prepare<[string], WorkspaceRow>('SELECT id, name FROM workspaces WHERE id = ?')
      .get(id)
    return row ? { id: row.id, name: row.name } : null
  }

  listWorkspaces(): Workspace[] {
    return this.#db
      .prepare<[], WorkspaceRow>('SELECT id, name FROM workspaces ORDER BY created_at')
      .all()
  }

  /** Record an issued membership; re-inviting a member updates its name, role and expiry. */
  upsertMember(member: Member, issuedAt: Date, expiresAt: Date): void {
    this.#db
      .prepare(
        `INSERT INTO members (id, workspace_id, display_name, role, issued_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name,
           role = excluded.role, issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
      )
      .run(
        member.id,
        member.workspaceId,
        member.displayName,
        member.role,
        issuedAt.toISOString(),
        expiresAt.toISOString(),
      )
  }

  getMember(id: string): Member | null {
    const row = this.#db
      .prepare<[string], MemberRow>(
        'SELECT id, workspace_id, display_name, role FROM members WHERE id = ?',
      )
      .get(id)
    return row
      ? { id: row.id, workspaceId: row.workspace_id, displayName: row.display_name, role: row.role }
      : null
  }
}
