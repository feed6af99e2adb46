-- Several instances on one database (the shared store) hand each chat to one instance at a
-- time; SQLite serves one process, but keeps the same tables so one set of queries serves both.
CREATE TABLE lane_leases (
    lane  TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    until REAL NOT NULL          -- Unix seconds: after this another instance may take the lane
);

-- Scheduled jobs (SLA checks, retention) run once per schedule across instances.
CREATE TABLE jobs (
    name     TEXT PRIMARY KEY,
    last_run REAL NOT NULL DEFAULT 0
);
