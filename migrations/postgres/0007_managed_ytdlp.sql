-- Managed yt-dlp: every download records the yt-dlp version that fetched it (NULL for direct
-- downloads), and admins' updates, refused updates and rollbacks are audited.
ALTER TABLE download_history ADD COLUMN ytdlp_version TEXT;

ALTER TABLE audit_log DROP CONSTRAINT audit_log_action_known;
ALTER TABLE audit_log
    ADD CONSTRAINT audit_log_action_known CHECK (action IN (
        'user_registered', 'login_succeeded', 'login_failed', 'login_throttled', 'logout',
        'password_changed', 'user_updated', 'download_requested', 'download_cancelled',
        'download_retried', 'download_deleted', 'plugin_uploaded', 'plugin_enabled',
        'plugin_disabled', 'plugin_removed', 'library_rescanned', 'webhook_created',
        'webhook_updated', 'webhook_deleted', 'media_server_updated', 'media_server_deleted',
        'tool_updated',
        'tool_update_refused', 'tool_rolled_back'));
