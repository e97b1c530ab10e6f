/**
 * Ordered schema migrations. Append only: never edit a migration that has shipped, add a new one.
 * Each runs in its own transaction together with its bookkeeping row, so a crash leaves the
 * database either before or after it.
 */
export type Migration = { version: number; name: string; sql: string }

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'doc log',
    sql: `
      -- Append-only Yjs updates; seq is global and monotonic, so "up to seq N" is well defined.
      CREATE TABLE doc_updates (
        seq  INTEGER PRIMARY KEY AUTOINCREMENT,
        doc  TEXT NOT NULL,
        data BLOB NOT NULL
      );
      CREATE INDEX doc_updates_doc ON doc_updates (doc, seq);
      -- One merged snapshot per document, covering every update up to upto_seq.
      CREATE TABLE doc_snapshots (
        doc        TEXT PRIMARY KEY,
        upto_seq   INTEGER NOT NULL,
        data       BLOB NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 2,
    name: 'queue table',
    sql: `
      -- Derived from the queue document (never edited directly): fast filtered, ordered reads.
      CREATE TABLE items (
        id          TEXT PRIMARY KEY,
        status      TEXT NOT NULL,
        objective   TEXT NOT NULL,
        priority    INTEGER NOT NULL,
        campaign_id TEXT,
        publish_at  TEXT,
        expires_at  TEXT,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL,
        fresh_at    TEXT NOT NULL,
        search_text TEXT NOT NULL,
        json        TEXT NOT NULL
      );
      CREATE INDEX items_order ON items (priority DESC, fresh_at DESC, id);
      CREATE INDEX items_status ON items (status);
      CREATE INDEX items_objective ON items (objective);
      CREATE INDEX items_campaign ON items (campaign_id);
      CREATE TABLE item_topics (
        item_id TEXT NOT NULL REFERENCES items (id) ON DELETE CASCADE,
        topic   TEXT NOT NULL,
        PRIMARY KEY (item_id, topic)
      );
      CREATE INDEX item_topics_topic ON item_topics (topic);
    `,
  },
  {
    version: 3,
    name: 'settings and session',
    sql: `
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      -- At most one joined workspace per device.
      CREATE TABLE session (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        relay_url  TEXT NOT NULL,
        token      TEXT NOT NULL,
        claims     TEXT NOT NULL,
        joined_at  TEXT NOT NULL
      );
    `,
  },
  {
    version: 4,
    name: 'shares, outbox and proposals',
    sql: `
      -- My shares, recorded at once and kept (personal stats stay on this device).
      -- id is the opaque share id that also travels as utm_content.
      CREATE TABLE shares (
        id           TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        item_id      TEXT NOT NULL,
        network      TEXT NOT NULL,
        objective    TEXT NOT NULL,
        campaign_id  TEXT,
        shared_at    TEXT NOT NULL
      );
      CREATE INDEX shares_item ON shares (workspace_id, item_id);
      -- What must reach the relay exactly once: id is the idempotency key the relay dedupes on.
      -- A row is pending (delivered_at and failed_at NULL), delivered, or failed for good
      -- (refused by the relay; kept, never retried on its own).
      CREATE TABLE outbox (
        id              TEXT PRIMARY KEY,
        kind            TEXT NOT NULL CHECK (kind IN ('share', 'proposal')),
        workspace_id    TEXT NOT NULL,
        member_id       TEXT NOT NULL,
        payload         TEXT NOT NULL,
        created_at      TEXT NOT NULL,
        attempts        INTEGER NOT NULL DEFAULT 0,
        next_attempt_at TEXT NOT NULL,
        last_error      TEXT,
        delivered_at    TEXT,
        failed_at       TEXT
      );
      CREATE INDEX outbox_pending ON outbox (workspace_id, member_id, next_attempt_at)
        WHERE delivered_at IS NULL AND failed_at IS NULL;
      -- My proposals as I wrote them; their fate is read from the queue document.
      CREATE TABLE proposals (
        id           TEXT PRIMARY KEY,
        workspace_id TEXT NOT NULL,
        member_id    TEXT NOT NULL,
        json         TEXT NOT NULL,
        proposed_at  TEXT NOT NULL
      );
      CREATE INDEX proposals_mine ON proposals (workspace_id, member_id, proposed_at);
    `,
  },
  {
    version: 5,
    name: 'feed poll status',
    sql: `
      -- The last poll of each shared feed source, as this device saw it (sources themselves live
      -- in the queue document; which entries were seen lives in feed_seen, see feeds/seen-store).
      CREATE TABLE studio_feed_status (
        source_id TEXT PRIMARY KEY,
        polled_at TEXT NOT NULL,
        status    TEXT NOT NULL,
        message   TEXT
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 6,
    name: 'device secret',
    sql: `
      -- A random secret of this device, never sent anywhere: each share report carries
      -- HMAC(secret, share id) as proof of ownership (the relay stores only a hash of it).
      CREATE TABLE device_secret (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        secret     BLOB NOT NULL,
        created_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 7,
    name: 'nudges and my clicks',
    sql: `
      -- Clicks on my own tracked links (issue 9 fills it from the relay; nudges/ reads it to learn
      -- when my audience is there). Only the network and the instant: no visitor data.
      CREATE TABLE my_clicks (
        id      INTEGER PRIMARY KEY,
        network TEXT NOT NULL,
        at      TEXT NOT NULL
      );
      CREATE INDEX my_clicks_at ON my_clicks (at);
      -- Every nudge this device showed and what the person did with it (kept locally, learned from).
      CREATE TABLE nudge_log (
        id         TEXT PRIMARY KEY,
        item_id    TEXT NOT NULL,
        network    TEXT NOT NULL,
        at         TEXT NOT NULL,
        outcome    TEXT CHECK (outcome IN ('opened', 'shared', 'dismissed', 'snoozed')),
        outcome_at TEXT
      ) WITHOUT ROWID;
      CREATE INDEX nudge_log_at ON nudge_log (at);
      -- Snooze is one row: until when no nudge is shown.
      CREATE TABLE nudge_state (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        snoozed_until TEXT
      );
    `,
  },
  {
    version: 8,
    name: 'image cache',
    sql: `
      -- Item images, fetched once by the core (public addresses only, bounded) and served to the
      -- windows, which load no third-party URL: an image host never sees employees' addresses,
      -- and images show offline. A failed fetch is remembered (bytes NULL) so it is not retried
      -- on every paint.
      CREATE TABLE image_cache (
        url          TEXT PRIMARY KEY,
        content_type TEXT,
        bytes        BLOB,
        error        TEXT,
        fetched_at   TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 9,
    name: 'my results',
    sql: `
      -- my_clicks (migration 7) now also holds which share a click is on, as the relay reported
      -- it: a fetch replaces a share's clicks as a whole, and nudges keep reading network and at.
      ALTER TABLE my_clicks ADD COLUMN share_id TEXT;
      ALTER TABLE my_clicks ADD COLUMN is_unique INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX my_clicks_share ON my_clicks (share_id);
      -- Sign-ups attributed to my shares (id: the sign-up system's idempotency id).
      CREATE TABLE my_conversions (
        id       TEXT PRIMARY KEY,
        share_id TEXT NOT NULL,
        kind     TEXT NOT NULL,
        value    REAL,
        at       TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX my_conversions_share ON my_conversions (share_id);
      -- When the relay last answered a results fetch (My stats says how fresh it is).
      CREATE TABLE results_fetch (
        id         INTEGER PRIMARY KEY CHECK (id = 1),
        fetched_at TEXT NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'leaderboard choice sent',
    sql: `
      -- The leaderboard choice the relay last acknowledged, per workspace: a change made offline
      -- (opting out above all, which removes my name) is sent again until the relay has it.
      CREATE TABLE leaderboard_sent (
        workspace_id TEXT PRIMARY KEY,
        opt_in       INTEGER NOT NULL,
        sent_at      TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 11,
    name: 'campaigns and workspace facts projected',
    sql: `
      -- The queue document's campaigns, derived like the items (validated JSON): the first
      -- screen of the queue (ranked with the campaigns' deadlines) is answered from SQLite alone,
      -- before the replicas load.
      CREATE TABLE campaigns (
        id   TEXT PRIMARY KEY,
        json TEXT NOT NULL
      ) WITHOUT ROWID;
      -- Small facts derived from the replicas for the same reason (the workspace's name), and
      -- whether the campaigns were ever projected (a table older than this has items but no
      -- campaigns yet: its first screen waits for the replicas once).
      CREATE TABLE projected_facts (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    name: 'first screen answers stored',
    sql: `
      -- status.get and settings.get as the first screen last answered them (validated JSON),
      -- with the build that wrote them: the next start sends them without loading the contract
      -- (core/first-screen-quick.ts). Any write to what they are read from deletes them in the
      -- same transaction, so a stored answer is never stale; the core writes them again.
      CREATE TABLE first_screen (
        method TEXT PRIMARY KEY,
        build  TEXT NOT NULL,
        json   TEXT NOT NULL
      ) WITHOUT ROWID;
      CREATE TRIGGER first_screen_settings_insert AFTER INSERT ON settings
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_settings_update AFTER UPDATE ON settings
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_settings_delete AFTER DELETE ON settings
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_session_insert AFTER INSERT ON session
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_session_update AFTER UPDATE ON session
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_session_delete AFTER DELETE ON session
        BEGIN DELETE FROM first_screen; END;
      -- Of the facts, the status reads the workspace's name (the campaigns' fact is rewritten at
      -- every campaign projection, and the quick first screen reads it itself).
      CREATE TRIGGER first_screen_facts_insert AFTER INSERT ON projected_facts
        WHEN NEW.key = 'workspace_name'
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_facts_update AFTER UPDATE ON projected_facts
        WHEN NEW.key = 'workspace_name' OR OLD.key = 'workspace_name'
        BEGIN DELETE FROM first_screen; END;
      CREATE TRIGGER first_screen_facts_delete AFTER DELETE ON projected_facts
        WHEN OLD.key = 'workspace_name'
        BEGIN DELETE FROM first_screen; END;
    `,
  },
]
