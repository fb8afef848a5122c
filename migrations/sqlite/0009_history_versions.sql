-- A version number per user that changes whenever any of their downloads is added, changed or
-- removed (see the PostgreSQL migration of the same name for why the database keeps it).
-- SQLite has one writer at a time, so plain AFTER triggers cannot deadlock.
--
-- A later migration that rebuilds `download_history` (create, copy, drop, rename) drops
-- these triggers with the old table and must create them again.
CREATE TABLE history_versions (
    user_id INTEGER PRIMARY KEY,
    version INTEGER NOT NULL
);

CREATE TRIGGER download_history_insert_bumps_version AFTER INSERT ON download_history
BEGIN
    INSERT INTO history_versions (user_id, version) VALUES (NEW.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER download_history_update_bumps_version AFTER UPDATE ON download_history
BEGIN
    INSERT INTO history_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
    INSERT INTO history_versions (user_id, version)
    SELECT NEW.user_id, 1 WHERE NEW.user_id IS NOT OLD.user_id
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;

CREATE TRIGGER download_history_delete_bumps_version AFTER DELETE ON download_history
BEGIN
    INSERT INTO history_versions (user_id, version) VALUES (OLD.user_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET version = version + 1;
END;
