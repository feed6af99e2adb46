-- What must survive a person's /delete to keep a block and the daily request limit: a keyed
-- hash of their Telegram id (never the id), the block flag and today's request count.
CREATE TABLE abuse (
    subject  TEXT    PRIMARY KEY,             -- HMAC-SHA256(key, user id), hex
    blocked  INTEGER NOT NULL DEFAULT 0,
    day      TEXT,                            -- the UTC date `requests` counts
    requests INTEGER NOT NULL DEFAULT 0
);

-- A finished update needs no lane (it names the chat, i.e. the person): only pending rows
-- are ordered by it.
UPDATE inbox SET lane = '' WHERE status != 'pending';

-- A finished outbox row needs neither its parameters (texts, chat ids) nor a person's chat
-- id: it stays only so that a replayed update enqueues nothing twice, then it is pruned.
UPDATE outbox SET payload = '{}', chat_id = CASE WHEN chat_id > 0 THEN 0 ELSE chat_id END
    WHERE status != 'pending';

-- A person's own actions are not audited under their id.
UPDATE audit_log SET actor_id = NULL WHERE action LIKE '%\_by\_person' ESCAPE '\';
