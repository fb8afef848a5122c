//! The job runner and the music library: "already have it" before a track is fetched, and a
//! playlist's `.m3u8` once its last track has ended.

use std::path::{Path, PathBuf};

use super::{JobRunner, TrackMetadataHint};
use crate::{
    domain::{DownloadStatus, SetKind},
    jobs::{
        album_tags::{CoverRead, read_track_tags},
        playlist_m3u::{PlaylistEntry, write_m3u},
    },
    store::DownloadRow,
};

/// The library file a job's track already is.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct LibraryMatch {
    /// Relative to the output folder.
    pub relative_path: PathBuf,
    pub duration_seconds: Option<f64>,
}

impl JobRunner {
    /// The library file this job's track already is, relative to the output folder: matched
    /// by the submitted URL (written into every downloaded file's tags), or by artist and
    /// title with the duration within tolerance (`library`). Files copied in by hand count.
    pub(super) async fn already_have(
        &self,
        job: &DownloadRow,
        hint: &TrackMetadataHint,
        duration: Option<f64>,
    ) -> Option<LibraryMatch> {
        let library = self.settings.library.clone();
        let (artist, title, url) = (hint.artist.clone(), hint.title.clone(), job.url.clone());
        // `find` checks that the file still exists, and the match's duration is read from
        // it (the playlist file lists it): file-system calls, off the runtime.
        let (found, duration) = tokio::task::spawn_blocking(move || {
            let found = library.find(artist.as_deref(), title.as_deref(), duration, Some(&url))?;
            let duration = read_track_tags(&found, CoverRead::Skip)
                .ok()
                .and_then(|t| t.duration_seconds);
            Some((found, duration))
        })
        .await
        .ok()??;
        let relative = found
            .strip_prefix(&self.settings.executor.output_directory)
            .ok()?;
        Some(LibraryMatch {
            relative_path: relative.to_path_buf(),
            duration_seconds: duration,
        })
    }

    /// When a playlist's last track has ended, (re)writes `<playlist title>.m3u8` next to its
    /// tracks (or in PLAYLIST_FOLDER), listing the downloaded and the skipped ones (a skipped track is listed at the
    /// library file it matched). Albums get no playlist file: the folder is the album.
    pub(super) async fn track_of_set_ended(&self, set: &DownloadRow) {
        if set.set_kind != Some(SetKind::Playlist) {
            return;
        }
        // Counted first (one grouped query): reading every track for each of a long playlist's
        // tracks as it ends would read the playlist once per track.
        let unfinished = self
            .store
            .child_status_counts(set.user_id, &[set.id])
            .await
            .map(|counts| {
                counts
                    .iter()
                    .any(|(_, status, n)| !status.is_final() && *n > 0)
            })
            .unwrap_or(false);
        if unfinished {
            return;
        }
        // Held from reading the tracks to writing the file: of two handlers, the later one
        // reads the newer list and writes last.
        let _one_writer = self.playlist_writes.lock().await;
        let tracks = match self.store.set_tracks(set.id).await {
            Ok(tracks) => tracks,
            Err(err) => {
                tracing::warn!(set = set.id, error = ?err, "could not read a playlist's tracks");
                return;
            }
        };
        if tracks.iter().any(|t| !t.status.is_final()) {
            return;
        }
        let out = self.settings.executor.output_directory.clone();
        let Some(folder) = self
            .settings
            .playlist_folder
            .clone()
            .or_else(|| playlist_folder(&tracks))
        else {
            return;
        };
        let entries: Vec<PlaylistEntry> = tracks
            .iter()
            .filter(|t| {
                matches!(
                    t.status,
                    DownloadStatus::Completed | DownloadStatus::Skipped
                )
            })
            .filter_map(|t| {
                Some(PlaylistEntry {
                    path: out.join(t.file_path.as_deref()?),
                    artist: t.artist.clone(),
                    title: t.title.clone(),
                    duration_seconds: t.duration,
                })
            })
            .collect();
        let title = set
            .title
            .clone()
            .or_else(|| tracks.first().and_then(|t| t.set_title.clone()))
            .unwrap_or_else(|| "Playlist".into());
        let written =
            tokio::task::spawn_blocking(move || write_m3u(&out, &folder, &title, &entries)).await;
        match written {
            Ok(Ok(path)) => {
                tracing::info!(set = set.id, path = %path.display(), "playlist file written")
            }
            Ok(Err(e)) => {
                tracing::warn!(set = set.id, error = %e, "could not write a playlist file")
            }
            Err(_) => {}
        }
    }
}

/// The folder the playlist's own downloads went to (else, when every track was skipped, the
/// first matched file's folder): where its `.m3u8` goes.
fn playlist_folder(tracks: &[DownloadRow]) -> Option<PathBuf> {
    let folder_of = |status: DownloadStatus| {
        tracks.iter().filter(|t| t.status == status).find_map(|t| {
            Path::new(t.file_path.as_deref()?)
                .parent()
                .map(Path::to_path_buf)
        })
    };
    folder_of(DownloadStatus::Completed).or_else(|| folder_of(DownloadStatus::Skipped))
}
