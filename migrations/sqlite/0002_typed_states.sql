-- Typed states (see the PostgreSQL migration of the same name). SQLite cannot add a CHECK
-- to an existing table, so `download_history` and `audit_log` are rebuilt: create, copy,
-- drop, rename (https://www.sqlite.org/lang_altertable.html#otheralter). sqlx runs this in
-- a transaction with foreign keys on, so the new table's self-reference names the new table
-- (the rename rewrites it): dropping the old table cannot cascade into the copy.
PRAGMA defer_foreign_keys = ON;

UPDATE download_history AS d
SET status = 'cancelled', cancel_requested = FALSE, worker_id = NULL, progress = NULL,
    error = 'Cancelled: the same URL was already queued',
    completed_at = strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
WHERE d.parent_id IS NULL AND d.status IN ('pending', 'downloading')
  AND EXISTS (
    SELECT 1 FROM download_history o
    WHERE o.user_id = d.user_id AND o.url = d.url AND o.format = d.format
      AND o.parent_id IS NULL AND o.status IN ('pending', 'downloading') AND o.id < d.id
  );

CREATE TABLE download_history_new (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id          INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id        INTEGER REFERENCES download_history_new(id) ON DELETE CASCADE,
    url              TEXT    NOT NULL,
    format           TEXT    NOT NULL DEFAULT 'best'
        CONSTRAINT download_history_format_known
        CHECK (format IN ('best', 'mp3', 'm4a', 'opus', 'flac')),
    plugin           TEXT,
    title            TEXT,
    artist           TEXT,
    album            TEXT,
    duration         DOUBLE PRECISION,
    cover_url        TEXT,
    action           TEXT,
    status           TEXT    NOT NULL DEFAULT 'pending'
        CONSTRAINT download_history_status_known
        CHECK (status IN ('pending', 'downloading', 'completed', 'failed', 'cancelled')),
    progress         TEXT,
    file_path        TEXT,
    file_size        BIGINT,
    error            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_after        TEXT    NOT NULL,
    worker_id        TEXT,
    heartbeat_at     TEXT,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TEXT    NOT NULL,
    started_at       TEXT,
    completed_at     TEXT
);
INSERT INTO download_history_new SELECT * FROM download_history ORDER BY id;
DROP TABLE download_history;
ALTER TABLE download_history_new RENAME TO download_history;
CREATE INDEX download_history_user ON download_history (user_id, id);
CREATE INDEX download_history_queue ON download_history (status, run_after, id);
CREATE UNIQUE INDEX download_history_active ON download_history (user_id, url, format)
    WHERE parent_id IS NULL AND status IN ('pending', 'downloading');

CREATE TABLE audit_log_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    username   TEXT,
    action     TEXT NOT NULL CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed')),
    ip_address TEXT,
    user_agent TEXT,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
INSERT INTO audit_log_new SELECT * FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);
