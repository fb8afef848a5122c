//! A set's tracks (the children of an album, playlist or feed download), in album order.
//!
//! The store has no "children of" query yet, and this change leaves the store alone; the
//! children are found in the owner's history instead. A set's children are created after
//! it, so they all have larger ids, and the history comes newest first: reading pages until
//! a row older than the set appears finds every child. Bounded by `MAX_ROWS_SCANNED`.
// TODO: a `parent_id` filter on `list_downloads` would make this one query.

use crate::{
    error::AppResult,
    store::{DownloadFilter, DownloadRow, PageRequest, Store},
};

/// Rows read at most while looking for a set's tracks.
const MAX_ROWS_SCANNED: u32 = 10_000;
const PER_PAGE: u32 = 100;

/// The tracks of `set` (the owner's row), ordered by disc, track number, then id.
pub async fn tracks_of(store: &dyn Store, set: &DownloadRow) -> AppResult<Vec<DownloadRow>> {
    let mut tracks = Vec::new();
    // Cheap first: a track, or a row without children, has no tracks to look for.
    if set.parent_id.is_some()
        || store
            .child_status_counts(set.user_id, &[set.id])
            .await?
            .is_empty()
    {
        return Ok(tracks);
    }
    for page in 1..=MAX_ROWS_SCANNED / PER_PAGE {
        let rows = store
            .list_downloads(
                set.user_id,
                DownloadFilter::default(),
                PageRequest {
                    page,
                    per_page: PER_PAGE,
                },
            )
            .await?
            .items;
        let reached_older = rows.len() < PER_PAGE as usize || rows.iter().any(|r| r.id <= set.id);
        tracks.extend(rows.into_iter().filter(|r| r.parent_id == Some(set.id)));
        if reached_older {
            break;
        }
    }
    tracks.sort_by_key(|t| {
        (
            t.disc_number.unwrap_or(1),
            t.track_number.unwrap_or(i32::MAX),
            t.id,
        )
    });
    Ok(tracks)
}
