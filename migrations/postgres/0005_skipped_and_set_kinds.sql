-- "Already have it": a track the library already holds ends `skipped` (its `file_path` is
-- the file it matched); `force_download` asks the runner not to look. A set's parent says
-- whether it is an album or a playlist (`set_kind`): playlists also get an `.m3u8`.
-- Admins can rescan the library index (`library_rescanned` in the audit log). Users pick a
-- default format.
ALTER TABLE download_history DROP CONSTRAINT download_history_status_known;
ALTER TABLE download_history
    ADD CONSTRAINT download_history_status_known
        CHECK (status IN ('pending', 'downloading', 'completed', 'failed', 'cancelled', 'skipped'));
ALTER TABLE download_history ADD COLUMN force_download BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE download_history ADD COLUMN set_kind TEXT
    CONSTRAINT download_history_set_kind_known CHECK (set_kind IN ('album', 'playlist'));

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_known;
ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed', 'library_rescanned'));

-- A user's default format, used when a submission names none (NULL: `best`).
ALTER TABLE users ADD COLUMN default_format TEXT
    CONSTRAINT users_default_format_known CHECK (default_format IN ('best', 'mp3', 'm4a', 'opus', 'flac'));
