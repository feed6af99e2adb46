-- An outbox item can be moot by the time it is due (its case was deleted, its topic exists
-- already): 'skipped', so that 'failed' keeps meaning Telegram refused it. SQLite cannot
-- alter a CHECK constraint: the table is rebuilt, keeping ids and the id sequence.
CREATE TABLE outbox_rebuilt (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    dedupe_key      TEXT UNIQUE,               -- makes a replayed update enqueue nothing new
    chat_id         INTEGER NOT NULL,
    method          TEXT    NOT NULL,
    payload         TEXT    NOT NULL,          -- JSON parameters for the Bot API method
    kind            TEXT    NOT NULL DEFAULT 'notice',
    case_id         INTEGER,
    status          TEXT    NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sent', 'failed', 'unreachable', 'skipped')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TEXT    NOT NULL,
    error           TEXT,
    result_message_id INTEGER,
    created_at      TEXT    NOT NULL,
    sent_at         TEXT
);
INSERT INTO outbox_rebuilt (id, dedupe_key, chat_id, method, payload, kind, case_id, status, attempts,
                            next_attempt_at, error, result_message_id, created_at, sent_at)
    SELECT id, dedupe_key, chat_id, method, payload, kind, case_id, status, attempts,
           next_attempt_at, error, result_message_id, created_at, sent_at FROM outbox;
CREATE TEMP TABLE outbox_sequence AS SELECT seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
UPDATE sqlite_sequence SET seq = MAX(seq, COALESCE((SELECT seq FROM outbox_sequence), 0)) WHERE name = 'outbox';
DROP TABLE outbox_sequence;
CREATE INDEX outbox_due ON outbox (status, next_attempt_at, id) WHERE status = 'pending';
-- The oldest pending item of each chat (the sender's pick) without scanning the rest.
CREATE INDEX outbox_pending_chat ON outbox (chat_id, id) WHERE status = 'pending';
