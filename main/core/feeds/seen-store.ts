import type Database from 'better-sqlite3'

/** Which entries of which source were already turned into drafts, so re-polls add nothing. */
export interface SeenStore {
  has(sourceId: string, guid: string): boolean
  add(sourceId: string, guid: string): void
}

/** In memory, for tests and for a core that has no database yet. */
export class MemorySeenStore implements SeenStore {
  private readonly seen = new Map<string, Set<string>>()

  has(sourceId: string, guid: string): boolean {
    return this.seen.get(sourceId)?.has(guid) ?? false
  }

  add(sourceId: string, guid: string): void {
    let guids = this.seen.get(sourceId)
    if (guids === undefined) {
      guids = new Set()
      this.seen.set(sourceId, guids)
    }
    guids.add(guid)
  }
}

/**
 * Persistent seen-set in the core's SQLite file. The table is created here (IF NOT EXISTS) so the
 * feeds module does not depend on the store's migration list; WITHOUT ROWID keeps the primary key
 * the only index.
 */
export class SqliteSeenStore implements SeenStore {
  private readonly hasStatement: Database.Statement<[string, string]>
  private readonly addStatement: Database.Statement<[string, string, string]>
  private readonly forgetStatement: Database.Statement<[string]>

  constructor(
    db: Database.Database,
    private readonly now: () => Date = () => new Date(),
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS feed_seen (
      source_id TEXT NOT NULL,
      guid TEXT NOT NULL,
      seen_at TEXT NOT NULL,
      PRIMARY KEY (source_id, guid)
    ) WITHOUT ROWID`)
    this.hasStatement = db.prepare('SELECT 1 FROM feed_seen WHERE source_id = ? AND guid = ?')
    this.addStatement = db.prepare(
      'INSERT OR IGNORE INTO feed_seen (source_id, guid, seen_at) VALUES (?, ?, ?)',
    )
    this.forgetStatement = db.prepare('DELETE FROM feed_seen WHERE source_id = ?')
  }

  has(sourceId: string, guid: string): boolean {
    return this.hasStatement.get(sourceId, guid) !== undefined
  }

  add(sourceId: string, guid: string): void {
    this.addStatement.run(sourceId, guid, this.now().toISOString())
  }

  /** When a source is removed, so that adding it again imports its entries again. */
  forgetSource(sourceId: string): void {
    this.forgetStatement.run(sourceId)
  }
}
