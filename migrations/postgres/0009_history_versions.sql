-- A version number per user that changes whenever any of their downloads is added, changed or
-- removed. The bearer guard reads it with the session (one query), and the history page is
-- served from the instance's memory while it is unchanged (`server/src/history_pages.rs`).
-- The database keeps it, not the code, so no write path can forget it and every instance
-- behind one database sees the same number.
--
-- The bump is a DEFERRED constraint trigger: it runs at commit, after the transaction's
-- own row locks. An immediate trigger would take the version row's lock at the first
-- changed download and hold it while the transaction went on to lock more downloads, and a
-- set's cancel (parent, then its tracks) against a worker's progress update of one track
-- would then deadlock (`history_versions_do_not_deadlock` in tests/api).
--
-- At commit, one transaction can still touch several users' versions (recovering stale jobs
-- changes many users' downloads in one statement), and two such commits taking the version
-- rows in opposite orders would deadlock. So each commit first takes one transaction-level
-- advisory lock: only its holder ever locks version rows, and while bumping it waits for
-- nothing else (`versions_of_several_users_do_not_deadlock`). What that serialises is the
-- few microseconds of bumping at commit, not the transactions' work.
--
-- No foreign key to `users`: a user's deletion removes their downloads, and those bumps run
-- at commit, after the user row is gone. The row of a deleted user stays (16 bytes); ids
-- are never reused (BIGSERIAL), and if one were, its version would only go on increasing.
CREATE TABLE history_versions (
    user_id BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);

CREATE FUNCTION bump_history_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One lock for every commit that bumps; the key is an arbitrary constant of ours.
    PERFORM pg_advisory_xact_lock(7239654371520098562);
    IF TG_OP <> 'INSERT' THEN
        INSERT INTO history_versions (user_id, version) VALUES (OLD.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET version = history_versions.version + 1;
    END IF;
    IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.user_id IS DISTINCT FROM OLD.user_id) THEN
        INSERT INTO history_versions (user_id, version) VALUES (NEW.user_id, 1)
        ON CONFLICT (user_id) DO UPDATE SET version = history_versions.version + 1;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER download_history_bumps_version
    AFTER INSERT OR UPDATE OR DELETE ON download_history
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION bump_history_version();
