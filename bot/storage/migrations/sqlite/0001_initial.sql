-- Durable inbox: every update is written here before its offset is confirmed to Telegram.
-- payload (which holds what the person wrote) is erased as soon as the update is handled.
CREATE TABLE inbox (
    update_id   INTEGER PRIMARY KEY,
    lane        TEXT    NOT NULL,              -- updates of one lane (chat) run in order
    payload     TEXT,
    status      TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    error       TEXT,                          -- exception type and message, never update text
    received_at TEXT    NOT NULL,
    finished_at TEXT
);
CREATE INDEX inbox_unfinished ON inbox (status, update_id) WHERE status = 'pending';

-- Messages that must arrive: written in the same transaction as the state change.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key      TEXT UNIQUE,               -- makes a replayed update enqueue nothing new
    chat_id         INTEGER NOT NULL,
    method          TEXT    NOT NULL,
    payload         TEXT    NOT NULL,          -- JSON parameters for the Bot API method
    kind            TEXT    NOT NULL DEFAULT 'notice',
    case_id         INTEGER,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'unreachable')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    error           TEXT,
    result_message_id INTEGER,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id) WHERE status = 'pending';

-- A person who wrote to the bot. Only what the service needs: no names, no usernames.
CREATE TABLE people (
    user_id         INTEGER PRIMARY KEY,
    language        TEXT,
    language_chosen INTEGER NOT NULL DEFAULT 0,
    audience        TEXT,
    audience_asked  INTEGER NOT NULL DEFAULT 0,
    state           TEXT,                      -- the step a typed answer belongs to
    state_data      TEXT,                      -- JSON, e.g. an intake draft
    state_version   INTEGER NOT NULL DEFAULT 0,
    phone           TEXT,
    unreachable     INTEGER NOT NULL DEFAULT 0,
    blocked         INTEGER NOT NULL DEFAULT 0,
    first_seen      TEXT    NOT NULL,
    last_seen       TEXT    NOT NULL
);

CREATE TABLE consents (
    user_id    INTEGER NOT NULL REFERENCES people (user_id) ON DELETE CASCADE,
    kind       TEXT    NOT NULL,
    version    TEXT    NOT NULL,
    given_at   TEXT    NOT NULL,
    PRIMARY KEY (user_id, kind)
);

-- "Was this helpful?": one vote per person and item, counted in reports.
CREATE TABLE feedback (
    user_id    INTEGER NOT NULL,
    item_id    TEXT    NOT NULL,
    language   TEXT    NOT NULL,
    helpful    INTEGER NOT NULL,
    created_at TEXT    NOT NULL,
    PRIMARY KEY (user_id, item_id)
);

-- A person's answers in an eligibility questionnaire, with the flow version they answered.
CREATE TABLE flow_sessions (
    user_id      INTEGER PRIMARY KEY,
    flow_id      TEXT    NOT NULL,
    flow_version INTEGER NOT NULL,
    answers      TEXT    NOT NULL DEFAULT '[]',
    started_at   TEXT    NOT NULL,
    updated_at   TEXT    NOT NULL
);

CREATE TABLE flow_results (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER,
    flow_id      TEXT    NOT NULL,
    flow_version INTEGER NOT NULL,
    answers      TEXT    NOT NULL,
    outcome      TEXT    NOT NULL,
    result       TEXT    NOT NULL,
    created_at   TEXT    NOT NULL
);
CREATE INDEX flow_results_user ON flow_results (user_id);

-- Support requests. The id is the case number people and caseworkers see (#123).
CREATE TABLE cases (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id           INTEGER,                -- NULL once anonymised or deleted
    source_update_id  INTEGER UNIQUE,         -- a replayed update never opens a second case
    category          TEXT    NOT NULL,
    language          TEXT    NOT NULL,
    audience          TEXT,
    region            TEXT,
    adults            INTEGER,
    children          INTEGER,
    vulnerabilities   TEXT    NOT NULL DEFAULT '',
    description       TEXT,
    status            TEXT    NOT NULL DEFAULT 'new',
    priority          INTEGER NOT NULL DEFAULT 1,
    assignee_id       INTEGER,
    team              TEXT    NOT NULL DEFAULT 'general',
    staff_chat_id     INTEGER,
    thread_id         INTEGER,
    card_message_id   INTEGER,
    services          TEXT    NOT NULL DEFAULT '',
    outcome           TEXT,
    rating            INTEGER,
    rating_comment    TEXT,
    flow_id           TEXT,
    flow_version      INTEGER,
    flow_answers      TEXT,
    flow_outcome      TEXT,
    created_at        TEXT    NOT NULL,
    first_response_at TEXT,
    resolved_at       TEXT,
    closed_at         TEXT,
    reminded_at       TEXT,
    escalated_at      TEXT,
    updated_at        TEXT    NOT NULL,
    deleted_at        TEXT
);
CREATE INDEX cases_user ON cases (user_id, status);
CREATE INDEX cases_queue ON cases (status, assignee_id, priority, created_at);
CREATE INDEX cases_thread ON cases (staff_chat_id, thread_id);
CREATE INDEX cases_created ON cases (created_at);

-- What was said in a case, both ways, and internal notes.
CREATE TABLE case_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    update_id       INTEGER UNIQUE,
    direction       TEXT    NOT NULL CHECK (direction IN ('in', 'out', 'note')),
    author_id       INTEGER,
    text            TEXT,
    media_kind      TEXT,
    file_id         TEXT,
    created_at      TEXT    NOT NULL
);
CREATE INDEX case_messages_case ON case_messages (case_id, id);

-- Which staff-chat message belongs to which case (reply-based relay without forum topics).
CREATE TABLE relay_map (
    staff_chat_id INTEGER NOT NULL,
    message_id    INTEGER NOT NULL,
    case_id       INTEGER NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    PRIMARY KEY (staff_chat_id, message_id)
);

-- Who did what to which case, for admins (/audit 123).
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    actor_id INTEGER,
    action   TEXT    NOT NULL,
    case_id  INTEGER,
    detail   TEXT,
    at       TEXT    NOT NULL
);
CREATE INDEX audit_case ON audit_log (case_id, id);

-- Small facts that survive restarts: the confirmed update offset, purge counters.
CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
