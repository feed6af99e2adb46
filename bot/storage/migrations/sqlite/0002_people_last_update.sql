-- The newest update whose effects on a person's state are committed: a replay of it (the
-- process died before the inbox row was marked done) is recognised and skipped.
ALTER TABLE people ADD COLUMN last_update_id INTEGER NOT NULL DEFAULT 0;
