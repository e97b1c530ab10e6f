/**
 * The board's inputs and the columns whose change the board shows (board/counters.ts): one list,
 * from which SQLite's migration 7 (persistence/database.ts) and PostgreSQL's migration 2
 * (storage/postgres/relational.ts) generate their board_seq triggers. Each row added takes the
 * workspace's next seq; any other change (a deletion, an update of a listed column) moves the
 * generation. The text generated is the migrations' original, byte for byte.
 */
type Counted = {
  table: string
  /** SQLite: the WHERE that finds the new row again (its key, or its rowid). */
  row: string
  /** Columns whose update changes what the board shows. */
  watched: readonly string[]
}

const COUNTED: readonly Counted[] = [
  {
    table: 'shares',
    row: 'workspace_id = NEW.workspace_id AND id = NEW.id',
    watched: ['workspace_id', 'id', 'item_id', 'network', 'objective', 'campaign_id', 'shared_at'],
  },
  {
    table: 'clicks',
    row: 'rowid = NEW.rowid',
    watched: ['workspace_id', 'share_id', 'item_id', 'network', 'at', 'is_unique'],
  },
  {
    table: 'conversions',
    row: 'workspace_id = NEW.workspace_id AND idempotency_id = NEW.idempotency_id',
    watched: ['workspace_id', 'share_id', 'campaign_id', 'value', 'at'],
  },
  {
    table: 'share_members',
    row: 'workspace_id = NEW.workspace_id AND share_id = NEW.share_id',
    watched: ['workspace_id', 'share_id', 'member_id'],
  },
]

/** Facts about items (objective, campaign, kind): any insert, update or delete moves the generation. */
const LINK_ITEMS = {
  table: 'link_items',
  watched: ['workspace_id', 'item_id', 'campaign_id', 'objective', 'source_kind'],
} as const

/** The indexes, in the order the migrations made them. */
const INDEX_ORDER = ['clicks', 'shares', 'conversions', 'share_members'] as const

const bump = (who: 'NEW' | 'OLD') =>
  `     INSERT INTO board_seq (workspace_id, seq, generation) VALUES (${who}.workspace_id, 0, 1)
       ON CONFLICT (workspace_id) DO UPDATE SET generation = generation + 1;
   END;`

/** SQLite's migration 7. */
export function sqliteBoardSeqMigration(): string {
  const parts: string[] = [
    `CREATE TABLE board_seq (
     workspace_id TEXT PRIMARY KEY,
     seq INTEGER NOT NULL,
     generation INTEGER NOT NULL
   ) WITHOUT ROWID;`,
  ]
  for (const { table } of COUNTED)
    parts.push(`   ALTER TABLE ${table} ADD COLUMN board_seq INTEGER;`)
  for (const table of INDEX_ORDER)
    parts.push(`   CREATE INDEX ${table}_by_board_seq ON ${table}(workspace_id, board_seq);`)
  for (const { table, row } of COUNTED)
    parts.push(`   CREATE TRIGGER ${table}_board_seq AFTER INSERT ON ${table} BEGIN
     INSERT INTO board_seq (workspace_id, seq, generation) VALUES (NEW.workspace_id, 1, 0)
       ON CONFLICT (workspace_id) DO UPDATE SET seq = seq + 1;
     UPDATE ${table} SET board_seq = (SELECT seq FROM board_seq WHERE workspace_id = NEW.workspace_id)
      WHERE ${row};
   END;`)
  for (const { table, watched } of COUNTED) {
    parts.push(`   CREATE TRIGGER ${table}_board_gen_update AFTER UPDATE OF ${watched.join(', ')} ON ${table} BEGIN
${bump('OLD')}`)
    parts.push(`   CREATE TRIGGER ${table}_board_gen_delete AFTER DELETE ON ${table} BEGIN
${bump('OLD')}`)
  }
  const { table, watched } = LINK_ITEMS
  parts.push(`   CREATE TRIGGER ${table}_board_gen_insert AFTER INSERT ON ${table} BEGIN
${bump('NEW')}`)
  parts.push(`   CREATE TRIGGER ${table}_board_gen_update AFTER UPDATE OF ${watched.join(', ')} ON ${table} BEGIN
${bump('OLD')}`)
  parts.push(`   CREATE TRIGGER ${table}_board_gen_delete AFTER DELETE ON ${table} BEGIN
${bump('OLD')}`)
  return parts.join('\n')
}

/** PostgreSQL's migration 2 (tables prefixed pv_). */
export function postgresBoardSeqMigration(): string {
  const parts: string[] = [
    `CREATE TABLE pv_board_seq (
     workspace_id text PRIMARY KEY,
     seq bigint NOT NULL,
     generation bigint NOT NULL
   );`,
  ]
  for (const { table } of COUNTED)
    parts.push(`   ALTER TABLE pv_${table} ADD COLUMN board_seq bigint;`)
  for (const table of INDEX_ORDER)
    parts.push(`   CREATE INDEX pv_${table}_by_board_seq ON pv_${table}(workspace_id, board_seq);`)
  parts.push(`   CREATE FUNCTION pv_board_next_seq() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     INSERT INTO pv_board_seq AS b (workspace_id, seq, generation) VALUES (NEW.workspace_id, 1, 0)
       ON CONFLICT (workspace_id) DO UPDATE SET seq = b.seq + 1
       RETURNING b.seq INTO NEW.board_seq;
     RETURN NEW;
   END $$;
   CREATE FUNCTION pv_board_next_generation() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE ws text;
   BEGIN
     IF TG_OP = 'INSERT' THEN ws := NEW.workspace_id; ELSE ws := OLD.workspace_id; END IF;
     INSERT INTO pv_board_seq AS b (workspace_id, seq, generation) VALUES (ws, 0, 1)
       ON CONFLICT (workspace_id) DO UPDATE SET generation = b.generation + 1;
     RETURN NULL;
   END $$;`)
  for (const { table } of COUNTED)
    parts.push(`   CREATE TRIGGER pv_${table}_board_seq BEFORE INSERT ON pv_${table}
     FOR EACH ROW EXECUTE FUNCTION pv_board_next_seq();`)
  const gen = (table: string, events: string, watched: readonly string[]) =>
    `   CREATE TRIGGER pv_${table}_board_gen AFTER ${events} OF
       ${watched.join(', ')} ON pv_${table}
     FOR EACH ROW EXECUTE FUNCTION pv_board_next_generation();`
  for (const { table, watched } of COUNTED) parts.push(gen(table, 'DELETE OR UPDATE', watched))
  parts.push(gen(LINK_ITEMS.table, 'INSERT OR DELETE OR UPDATE', LINK_ITEMS.watched))
  return parts.join('\n')
}
