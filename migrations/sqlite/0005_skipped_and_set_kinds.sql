-- "Already have it" and set kinds (see the PostgreSQL migration of the same name). SQLite
-- cannot change a CHECK, so `download_history` and `audit_log` are rebuilt as in
-- 0002_typed_states.sql: create, copy (columns named, not `*`), drop, rename, re-index.
PRAGMA defer_foreign_keys = ON;

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
        CHECK (status IN ('pending', 'downloading', 'completed', 'failed', 'cancelled', 'skipped')),
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
    completed_at     TEXT,
    file_device      BIGINT,
    file_inode       BIGINT,
    album_artist     TEXT,
    track_number     INTEGER CHECK (track_number IS NULL OR track_number > 0),
    track_total      INTEGER CHECK (track_total IS NULL OR track_total > 0),
    disc_number      INTEGER CHECK (disc_number IS NULL OR disc_number > 0),
    release_year     INTEGER,
    set_title        TEXT,
    force_download   BOOLEAN NOT NULL DEFAULT FALSE,
    set_kind         TEXT
        CONSTRAINT download_history_set_kind_known CHECK (set_kind IN ('album', 'playlist'))
);
INSERT INTO download_history_new (
    id, user_id, parent_id, url, format, plugin, title, artist, album, duration, cover_url,
    action, status, progress, file_path, file_size, error, attempts, run_after, worker_id,
    heartbeat_at, cancel_requested, created_at, started_at, completed_at, file_device,
    file_inode, album_artist, track_number, track_total, disc_number, release_year, set_title)
SELECT
    id, user_id, parent_id, url, format, plugin, title, artist, album, duration, cover_url,
    action, status, progress, file_path, file_size, error, attempts, run_after, worker_id,
    heartbeat_at, cancel_requested, created_at, started_at, completed_at, file_device,
    file_inode, album_artist, track_number, track_total, disc_number, release_year, set_title
FROM download_history ORDER BY id;
DROP TABLE download_history;
ALTER TABLE download_history_new RENAME TO download_history;
CREATE INDEX download_history_user ON download_history (user_id, id);
CREATE INDEX download_history_queue ON download_history (status, run_after, id);
CREATE UNIQUE INDEX download_history_active ON download_history (user_id, url, format)
    WHERE parent_id IS NULL AND status IN ('pending', 'downloading');
CREATE INDEX download_history_user_status ON download_history (user_id, status);
CREATE INDEX download_history_user_started ON download_history (user_id, started_at);
CREATE INDEX download_history_parent_status ON download_history (parent_id, status);

CREATE TABLE audit_log_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    username   TEXT,
    action     TEXT NOT NULL CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed', 'library_rescanned')),
    ip_address TEXT,
    user_agent TEXT,
    details    TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL
);
INSERT INTO audit_log_new (id, user_id, username, action, ip_address, user_agent, details, created_at)
SELECT id, user_id, username, action, ip_address, user_agent, details, created_at
FROM audit_log ORDER BY id;
DROP TABLE audit_log;
ALTER TABLE audit_log_new RENAME TO audit_log;
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

-- A user's default format, used when a submission names none (NULL: `best`).
ALTER TABLE users ADD COLUMN default_format TEXT
    CONSTRAINT users_default_format_known CHECK (default_format IN ('best', 'mp3', 'm4a', 'opus', 'flac'));
