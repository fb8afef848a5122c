-- Sets made before 0005 have tracks but no `set_kind`. The history page asks for track counts
-- only for rows that are sets (`set_kind` set), so such an older set would lose its summary:
-- it becomes a playlist (what 0005's code calls a set it has no album information for).
-- No `.m3u8` is written for it: playlist files are written when a track ends.
UPDATE download_history SET set_kind = 'playlist'
WHERE set_kind IS NULL
  AND parent_id IS NULL
  AND id IN (SELECT parent_id FROM download_history WHERE parent_id IS NOT NULL);
