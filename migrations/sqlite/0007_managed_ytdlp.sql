-- Managed yt-dlp (see the PostgreSQL migration of the same name). SQLite cannot change a
-- CHECK, so `audit_log` is rebuilt as in 0005_skipped_and_set_kinds.sql: create, copy
-- (columns named), drop, rename, re-index.
ALTER TABLE download_history ADD COLUMN ytdlp_version TEXT;

PRAGMA defer_foreign_keys = ON;

CREATE TABLE audit_log_new (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id) ON DELETE SET NULL,
    username   TEXT,
    action     TEXT NOT NULL CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed', 'library_rescanned', 'webhook_created',
        'webhook_updated', 'webhook_deleted', 'media_server_updated', 'media_server_deleted',
        'tool_updated',
        'tool_update_refused', 'tool_rolled_back')),
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
