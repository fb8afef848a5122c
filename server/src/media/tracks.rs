//! A set's tracks (the children of an album, playlist or feed download), in album order.

use crate::{
    error::AppResult,
    store::{DownloadRow, Store},
};

/// The tracks of `set` (a row the caller has already found to be the owner's), ordered by
/// disc, track number, then listing order. A track has no tracks.
pub async fn tracks_of(store: &dyn Store, set: &DownloadRow) -> AppResult<Vec<DownloadRow>> {
    if set.parent_id.is_some() {
        return Ok(Vec::new());
    }
    let tracks = store.set_tracks(set.id).await?;
    // Children always belong to their set's owner; the filter keeps that true here even if
    // the database were edited by hand.
    Ok(tracks
        .into_iter()
        .filter(|t| t.user_id == set.user_id)
        .collect())
}
