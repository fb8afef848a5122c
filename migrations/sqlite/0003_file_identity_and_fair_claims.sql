-- SEC-43: which file a completed download wrote (device and inode, beside file_size), so a
-- delete removes that file only, never another one that later took its name.
ALTER TABLE download_history ADD COLUMN file_device BIGINT;
ALTER TABLE download_history ADD COLUMN file_inode BIGINT;

-- SEC-41: fair claiming asks, per waiting job, how many of its owner's jobs run and when the
-- owner's last job started.
CREATE INDEX download_history_user_status ON download_history (user_id, status);
CREATE INDEX download_history_user_started ON download_history (user_id, started_at);
