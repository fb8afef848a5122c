-- Hand-off (issue 12): webhooks, their durable deliveries, and the media-server rescan
-- settings. The audit log learns the new configuration actions (keeping 0005's
-- `library_rescanned`); SQLite cannot change a CHECK in place, so `audit_log` is rebuilt as
-- in 0002 (create, copy with the columns named, drop, rename, re-index).
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
        'webhook_updated', 'webhook_deleted', 'media_server_updated', 'media_server_deleted')),
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

-- A webhook: a user's own (`user_id`), or global (NULL: set by an admin, sees every user's
-- downloads). `events` is a comma-separated list of `WebhookEvent` names.
CREATE TABLE webhooks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id    INTEGER REFERENCES users(id) ON DELETE CASCADE,
    url        TEXT    NOT NULL,
    secret     TEXT,
    events     TEXT    NOT NULL,
    enabled    BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TEXT    NOT NULL,
    updated_at TEXT    NOT NULL
);
CREATE INDEX webhooks_user ON webhooks (user_id, id);

-- One payload to one webhook, retried until delivered or out of attempts. The payload is
-- kept as sent, so every attempt carries the same bytes (and the same signature).
-- `dedupe_key` makes "album completed" one delivery per album and webhook even when two
-- last tracks end at once (NULLs never conflict).
CREATE TABLE webhook_deliveries (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    delivery_id      TEXT    NOT NULL UNIQUE,
    event            TEXT    NOT NULL
        CONSTRAINT webhook_deliveries_event_known
        CHECK (event IN ('completed', 'failed', 'album_completed')),
    download_id      BIGINT,
    dedupe_key       TEXT,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL DEFAULT 'pending'
        CONSTRAINT webhook_deliveries_status_known
        CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT    NOT NULL,
    claimed_by       TEXT,
    claimed_at       TEXT,
    last_status_code INTEGER,
    last_error       TEXT,
    created_at       TEXT    NOT NULL,
    finished_at      TEXT
);
CREATE UNIQUE INDEX webhook_deliveries_dedupe ON webhook_deliveries (webhook_id, dedupe_key);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at, id);
CREATE INDEX webhook_deliveries_hook ON webhook_deliveries (webhook_id, id);

-- The media servers told to rescan when music arrives: at most one of each kind.
CREATE TABLE media_servers (
    kind         TEXT    PRIMARY KEY
        CONSTRAINT media_servers_kind_known CHECK (kind IN ('subsonic', 'jellyfin')),
    base_url     TEXT    NOT NULL,
    username     TEXT,
    secret       TEXT    NOT NULL,
    library_path TEXT    NOT NULL,
    -- Subsonic/Navidrome: the library whose folders a targeted scan names (`target=<id>:<folder>`);
    -- NULL scans the whole library.
    library_id   BIGINT CHECK (library_id IS NULL OR library_id > 0),
    enabled      BOOLEAN NOT NULL DEFAULT TRUE,
    updated_at   TEXT    NOT NULL
);
