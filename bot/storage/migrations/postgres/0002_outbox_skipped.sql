-- An outbox item can be moot by the time it is due (its case was deleted, its topic exists
-- already): 'skipped', so that 'failed' keeps meaning Telegram refused it.
ALTER TABLE outbox DROP CONSTRAINT outbox_status_check;
ALTER TABLE outbox ADD CONSTRAINT outbox_status_check
    CHECK (status IN ('pending', 'sent', 'failed', 'unreachable', 'skipped'));
