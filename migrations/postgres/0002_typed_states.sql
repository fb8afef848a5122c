-- Typed states: the database refuses any status, format or audit action the server does not
-- know (the same names as `DownloadStatus`, `AudioFormat` and `AuditAction`), and one active
-- download per user, URL and format is a unique index instead of a check-then-insert.

-- Rows written before the rule: of several active duplicates, the oldest stays.
UPDATE download_history AS d
SET status = 'cancelled', cancel_requested = FALSE, worker_id = NULL, progress = NULL,
    error = 'Cancelled: the same URL was already queued', completed_at = NOW()
WHERE d.parent_id IS NULL AND d.status IN ('pending', 'downloading')
  AND EXISTS (
    SELECT 1 FROM download_history o
    WHERE o.user_id = d.user_id AND o.url = d.url AND o.format = d.format
      AND o.parent_id IS NULL AND o.status IN ('pending', 'downloading') AND o.id < d.id
  );

ALTER TABLE download_history
    ADD CONSTRAINT download_history_status_known
        CHECK (status IN ('pending', 'downloading', 'completed', 'failed', 'cancelled')),
    ADD CONSTRAINT download_history_format_known
        CHECK (format IN ('best', 'mp3', 'm4a', 'opus', 'flac'));

ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed'));

CREATE UNIQUE INDEX download_history_active ON download_history (user_id, url, format)
    WHERE parent_id IS NULL AND status IN ('pending', 'downloading');
