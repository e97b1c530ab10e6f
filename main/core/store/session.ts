import { z } from 'zod'
import { RelayUrl, TokenClaims } from '../../../common/model/invitation'
import type { Db } from './database'

/** The joined workspace as stored: where the relay is, the token, and what the token says. */
export const StoredSession = z.object({
  relayUrl: RelayUrl,
  token: z.string().min(10),
  claims: TokenClaims,
  joinedAt: z.string(),
})
export type StoredSession = z.infer<typeof StoredSession>

type Row = { relay_url: string; token: string; claims: string; joined_at: string }

export class SessionStore {
  private readonly selectRow
  private readonly upsertRow
  private readonly deleteRow

  constructor(db: Db) {
    this.selectRow = db.prepare<[], Row>(
      'SELECT relay_url, token, claims, joined_at FROM session WHERE id = 1',
    )
    this.upsertRow = db.prepare<[string, string, string, string]>(
      `INSERT INTO session (id, relay_url, token, claims, joined_at) VALUES (1, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET relay_url = excluded.relay_url, token = excluded.token,
         claims = excluded.claims, joined_at = excluded.joined_at`,
    )
    this.deleteRow = db.prepare('DELETE FROM session')
  }

  /** The stored session, or null (never joined, or the row is unreadable). */
  get(): StoredSession | null {
    const row = this.selectRow.get()
    if (!row) return null
    let claims: unknown
    try {
      claims = JSON.parse(row.claims)
    } catch {
      return null
    }
    const parsed = StoredSession.safeParse({
      relayUrl: row.relay_url,
      token: row.token,
      claims,
      joinedAt: row.joined_at,
    })
    return parsed.success ? parsed.data : null
  }

  set(session: StoredSession): void {
    const valid = StoredSession.parse(session)
    this.upsertRow.run(valid.relayUrl, valid.token, JSON.stringify(valid.claims), valid.joinedAt)
  }

  clear(): void {
    this.deleteRow.run()
  }
}
