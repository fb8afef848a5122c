-- Sets expanded on the host (albums, playlists, feeds): each child carries its album fields,
-- so its file is named and tagged as an album track. The album name itself stays in `album`.
ALTER TABLE download_history ADD COLUMN album_artist TEXT;
ALTER TABLE download_history ADD COLUMN track_number INTEGER CHECK (track_number IS NULL OR track_number > 0);
ALTER TABLE download_history ADD COLUMN track_total INTEGER CHECK (track_total IS NULL OR track_total > 0);
ALTER TABLE download_history ADD COLUMN disc_number INTEGER CHECK (disc_number IS NULL OR disc_number > 0);
ALTER TABLE download_history ADD COLUMN release_year INTEGER;
-- The title of the set the track was listed in (the album, playlist or feed name).
ALTER TABLE download_history ADD COLUMN set_title TEXT;

-- A set's status summarises its children (N of M done, failed): counted per page of parents.
CREATE INDEX download_history_parent_status ON download_history (parent_id, status);
