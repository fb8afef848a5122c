-- Accounts, sessions, audit trail and download jobs (PostgreSQL).
CREATE TABLE users (
    id                 BIGSERIAL PRIMARY KEY,
    username           TEXT        NOT NULL UNIQUE,
    email              TEXT        NOT NULL UNIQUE,
    full_name          TEXT,
    hashed_password    TEXT        NOT NULL,
    is_active          BOOLEAN     NOT NULL DEFAULT TRUE,
    is_admin           BOOLEAN     NOT NULL DEFAULT FALSE,
    session_generation BIGINT      NOT NULL DEFAULT 0,
    created_at         TIMESTAMPTZ NOT NULL,
    last_login         TIMESTAMPTZ
);

CREATE TABLE token_blacklist (
    jti        TEXT PRIMARY KEY,
    user_id    BIGINT REFERENCES users(id) ON DELETE CASCADE,
    expires_at TIMESTAMPTZ NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX token_blacklist_expires_at ON token_blacklist (expires_at);

CREATE TABLE audit_log (
    id         BIGSERIAL PRIMARY KEY,
    user_id    BIGINT REFERENCES users(id) ON DELETE SET NULL,
    username   TEXT,
    action     TEXT NOT NULL,
    ip_address TEXT,
    user_agent TEXT,
    details    JSONB NOT NULL DEFAULT '{}'::jsonb,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_log_user ON audit_log (user_id, id);
CREATE INDEX audit_log_action ON audit_log (action, id);

CREATE TABLE download_history (
    id               BIGSERIAL PRIMARY KEY,
    user_id          BIGINT  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    parent_id        BIGINT  REFERENCES download_history(id) ON DELETE CASCADE,
    url              TEXT    NOT NULL,
    format           TEXT    NOT NULL DEFAULT 'best',
    plugin           TEXT,
    title            TEXT,
    artist           TEXT,
    album            TEXT,
    duration         DOUBLE PRECISION,
    cover_url        TEXT,
    action           JSONB,
    status           TEXT    NOT NULL DEFAULT 'pending',
    progress         JSONB,
    file_path        TEXT,
    file_size        BIGINT,
    error            TEXT,
    attempts         INTEGER NOT NULL DEFAULT 0,
    run_after        TIMESTAMPTZ NOT NULL,
    worker_id        TEXT,
    heartbeat_at     TIMESTAMPTZ,
    cancel_requested BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMPTZ NOT NULL,
    started_at       TIMESTAMPTZ,
    completed_at     TIMESTAMPTZ
);
CREATE INDEX download_history_user ON download_history (user_id, id);
CREATE INDEX download_history_queue ON download_history (status, run_after, id);
