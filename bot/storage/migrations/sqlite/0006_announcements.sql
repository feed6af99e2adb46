-- Announcements people opt into (issue 15).
-- Who wants to hear about what: one row per person and topic (a topic id from
-- content/subscriptions.yaml, or '*' for every topic). Erased by /delete.
CREATE TABLE subscriptions (
    id         INTEGER PRIMARY KEY AUTOINCREMENT, -- the broadcast cursor walks these, not user ids
    user_id    INTEGER NOT NULL,
    topic      TEXT    NOT NULL,
    language   TEXT    NOT NULL,           -- the language they read when subscribing
    created_at TEXT    NOT NULL,
    UNIQUE (user_id, topic)
);
CREATE INDEX subscriptions_topic ON subscriptions (topic, id);

-- One announcement from draft to final report. A running one carries a cursor over
-- subscriptions.id: the sender feeds the outbox in bounded batches from there, so a restart
-- continues where it stopped. Counts are kept here, so the report outlives the deliveries.
CREATE TABLE broadcasts (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    status          TEXT    NOT NULL DEFAULT 'draft'
                    CHECK (status IN ('draft', 'running', 'done', 'cancelled')),
    step            TEXT    NOT NULL DEFAULT 'text',   -- a draft's step: text, audience, preview
    version         INTEGER NOT NULL DEFAULT 0,        -- bumped on every change: stale buttons
    author_id       INTEGER,                           -- the admin (staff data, not a person's)
    chat_id         INTEGER NOT NULL,                  -- the staff chat it was written in
    thread_id       INTEGER,
    announcement_id TEXT,                              -- a prepared one (content/announcements)
    text            TEXT,                              -- or the typed text (Telegram HTML)
    language        TEXT,                              -- typed: whose subscribers; NULL = all
    topics          TEXT    NOT NULL DEFAULT '*',      -- comma-separated topic ids, '*' = all
    total           INTEGER NOT NULL DEFAULT 0,        -- recipients counted at confirmation
    cursor          INTEGER NOT NULL DEFAULT 0,        -- last subscriptions.id fed to the outbox
    fed_all         INTEGER NOT NULL DEFAULT 0,
    queued          INTEGER NOT NULL DEFAULT 0,
    sent            INTEGER NOT NULL DEFAULT 0,
    failed          INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    uncertain       INTEGER NOT NULL DEFAULT 0,
    skipped         INTEGER NOT NULL DEFAULT 0,
    progress_message_id INTEGER,
    created_at      TEXT    NOT NULL,
    started_at      TEXT,
    finished_at     TEXT
);
-- At most one announcement is sent at a time.
CREATE UNIQUE INDEX broadcasts_one_running ON broadcasts (status) WHERE status = 'running';

-- Who has (or is getting) a running announcement: one row per (broadcast, person), written
-- in the same transaction as the person's outbox row, so nobody is queued twice; 'sending'
-- is committed before the call, so a send cut off by a crash is never repeated. Deleted when
-- the announcement ends (the counts stay on the broadcast) and by /delete.
CREATE TABLE broadcast_deliveries (
    broadcast_id INTEGER NOT NULL,
    user_id      INTEGER NOT NULL,
    status       TEXT    NOT NULL DEFAULT 'queued'
                 CHECK (status IN ('queued', 'sending', 'sent', 'failed', 'blocked', 'uncertain', 'skipped')),
    PRIMARY KEY (broadcast_id, user_id)
);
CREATE INDEX broadcast_deliveries_user ON broadcast_deliveries (user_id);
