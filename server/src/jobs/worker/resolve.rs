//! Resolving a job through its plugin: one track becomes the job's action; a playlist or
//! album becomes child jobs in one transaction, and the parent completes. A set the plugin
//! asks the host to expand is listed with yt-dlp first (`jobs::ytdlp_listing`).

use super::{JobRunner, StoredAction, hint_from_row};
use crate::{
    domain::{AudioFormat, Phase, Progress, SetKind},
    jobs::{ExecutionError, FetchAction, TrackMetadataHint, ytdlp_listing::list_set},
    plugins::{Resolution, ResolutionKind, TrackMetadata},
    store::{AlbumTrack, DownloadRow, NewDownload, ResolvedMetadata},
};
use tokio_util::sync::CancellationToken;

impl JobRunner {
    /// Calls the job's plugin. Returns the updated row with the single entry's action, or
    /// `None` when a playlist was expanded into child jobs.
    pub(super) async fn resolve(
        &self,
        job: &DownloadRow,
        format: AudioFormat,
        cancel: &CancellationToken,
    ) -> Result<Option<(DownloadRow, (FetchAction, TrackMetadataHint))>, ExecutionError> {
        let plugin = match &job.plugin {
            Some(p) => p.clone(),
            None => url::Url::parse(&job.url)
                .ok()
                .and_then(|u| self.plugins.route(&u))
                .ok_or_else(|| ExecutionError::permanent("No extractor plugin handles this URL"))?,
        };
        let resolution = tokio::select! {
            _ = cancel.cancelled() => return Err(ExecutionError::cancelled()),
            r = self.plugins.resolve(&plugin, &job.url) => r,
        };
        let resolution = resolution.map_err(|e| {
            let message = e.user_message();
            if e.is_transient() {
                ExecutionError::transient(message)
            } else {
                ExecutionError::permanent(message)
            }
        })?;
        if let Some(FetchAction::ExpandYtDlp { url, options }) =
            resolution.entries.first().map(|e| &e.action)
        {
            let children = self
                .list_children(job, &plugin, format, &resolution, url, options, cancel)
                .await?;
            self.save_children(
                job,
                &resolution.metadata,
                set_kind(resolution.kind),
                children,
            )
            .await?;
            return Ok(None);
        }
        let top = &resolution.metadata;
        if resolution.kind != ResolutionKind::Single || resolution.entries.len() > 1 {
            self.check_playlist_fits(job, resolution.entries.len())
                .await?;
            let total = i32::try_from(resolution.entries.len()).ok();
            let children = resolution
                .entries
                .iter()
                .enumerate()
                .map(|(index, entry)| {
                    let m = &entry.metadata;
                    NewDownload {
                        user_id: job.user_id,
                        parent_id: Some(job.id),
                        url: entry.action.url().to_owned(),
                        format,
                        plugin: Some(plugin.clone()),
                        title: m.title.clone(),
                        artist: m.artist.clone().or_else(|| top.artist.clone()),
                        album: m.album.clone().or_else(|| top.album.clone()),
                        duration: m.duration_seconds,
                        cover_url: m.cover_url.clone().or_else(|| top.cover_url.clone()),
                        album_track: AlbumTrack {
                            album_artist: m
                                .album_artist
                                .clone()
                                .or_else(|| top.album_artist.clone()),
                            // The plugin's number, else the entry's position.
                            track_number: m
                                .track_number
                                .and_then(|n| i32::try_from(n).ok())
                                .or_else(|| i32::try_from(index + 1).ok()),
                            track_total: total,
                            set_title: top.title.clone(),
                            ..AlbumTrack::default()
                        },
                        action: serde_json::to_value(StoredAction::from(&entry.action)).ok(),
                        force: job.force_download,
                    }
                })
                .collect::<Vec<_>>();
            self.save_children(job, top, set_kind(resolution.kind), children)
                .await?;
            return Ok(None);
        }
        let entry = resolution.entries.first().ok_or_else(|| {
            ExecutionError::permanent("The plugin found nothing to download at this URL")
        })?;
        let m = &entry.metadata;
        let meta = ResolvedMetadata {
            title: m.title.clone().or_else(|| top.title.clone()),
            artist: m.artist.clone().or_else(|| top.artist.clone()),
            album: m.album.clone().or_else(|| top.album.clone()),
            duration: m.duration_seconds.or(top.duration_seconds),
            cover_url: m.cover_url.clone().or_else(|| top.cover_url.clone()),
            action: serde_json::to_value(StoredAction::from(&entry.action)).ok(),
            set_kind: None,
        };
        let row = self
            .store
            .save_resolution(job.id, &self.worker_id, meta)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "saving a resolution failed");
                ExecutionError::transient("Could not save the track's details")
            })?
            .ok_or_else(ExecutionError::cancelled)?;
        let hint = hint_from_row(&row);
        self.publish(&row, Some(Progress::phase(Phase::Resolving)))
            .await;
        Ok(Some((row, (entry.action.clone(), hint))))
    }

    /// Lists a set with yt-dlp (same argv and egress rules as a download) and turns each
    /// entry into a child job carrying the set's album fields and its own URL and title.
    #[allow(clippy::too_many_arguments)]
    async fn list_children(
        &self,
        job: &DownloadRow,
        plugin: &str,
        format: AudioFormat,
        resolution: &Resolution,
        url: &str,
        options: &[String],
        cancel: &tokio_util::sync::CancellationToken,
    ) -> Result<Vec<NewDownload>, ExecutionError> {
        let limits = &self.settings.executor.limits;
        let listing = list_set(
            &self.settings.executor,
            url,
            options,
            limits.max_playlist_entries,
            cancel,
        )
        .await?;
        // Refuse the whole set by its listed size (not only the usable entries), SEC-41.
        self.check_playlist_fits(job, listing.listed.max(listing.entries.len()))
            .await?;
        if listing.dropped > 0 {
            tracing::info!(
                job = job.id,
                dropped = listing.dropped,
                "set entries left out"
            );
        }
        let top = &resolution.metadata;
        let album = top.album.clone().or_else(|| listing.album.clone());
        let album_artist = top
            .album_artist
            .clone()
            .or_else(|| listing.album_artist.clone())
            .or_else(|| top.artist.clone());
        let set_title = top.title.clone().or_else(|| listing.title.clone());
        let total = i32::try_from(listing.entries.len()).ok();
        // One year for the whole set, so its tracks share one album folder: the set's, else
        // the entries' when they all agree.
        let year = listing.year.or_else(|| {
            let mut years = listing.entries.iter().filter_map(|e| e.year);
            let first = years.next()?;
            years.all(|y| y == first).then_some(first)
        });
        // Options for each entry's own download: the listing consumed the item selection.
        let entry_options: Vec<String> = strip_item_selection(options);
        Ok(listing
            .entries
            .into_iter()
            .map(|entry| {
                let action = FetchAction::YtDlp {
                    url: entry.url.clone(),
                    options: entry_options.clone(),
                };
                NewDownload {
                    user_id: job.user_id,
                    parent_id: Some(job.id),
                    url: entry.url,
                    format,
                    plugin: Some(plugin.to_owned()),
                    title: entry.title,
                    artist: entry.artist.or_else(|| album_artist.clone()),
                    album: album.clone(),
                    duration: entry.duration_seconds,
                    cover_url: entry
                        .cover_url
                        .or_else(|| top.cover_url.clone())
                        .or_else(|| listing.cover_url.clone()),
                    album_track: AlbumTrack {
                        album_artist: album_artist.clone(),
                        track_number: i32::try_from(entry.track_number).ok(),
                        track_total: total,
                        disc_number: entry.disc_number.and_then(|n| i32::try_from(n).ok()),
                        release_year: year,
                        set_title: set_title.clone(),
                    },
                    action: serde_json::to_value(StoredAction::from(&action)).ok(),
                    force: job.force_download,
                }
            })
            .collect())
    }

    /// Saves a set's children and completes the parent, in one transaction; tells the owner.
    async fn save_children(
        &self,
        job: &DownloadRow,
        top: &TrackMetadata,
        kind: SetKind,
        children: Vec<NewDownload>,
    ) -> Result<(), ExecutionError> {
        let parent = ResolvedMetadata {
            title: top.title.clone().or_else(|| {
                children
                    .first()
                    .and_then(|c| c.album_track.set_title.clone())
            }),
            artist: top.artist.clone(),
            album: top
                .album
                .clone()
                .or_else(|| children.first().and_then(|c| c.album.clone())),
            duration: None,
            cover_url: top
                .cover_url
                .clone()
                .or_else(|| children.first().and_then(|c| c.cover_url.clone())),
            action: None,
            set_kind: Some(kind),
        };
        let rows = self
            .store
            .expand_playlist(job.id, &self.worker_id, parent, children)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "expanding a playlist failed");
                ExecutionError::transient("Could not save the playlist's tracks")
            })?;
        if let Ok(Some(parent_row)) = self.store.download_for_user(job.id, job.user_id).await {
            self.publish(&parent_row, None).await;
        }
        for row in &rows {
            self.publish(row, None).await;
        }
        self.wake();
        Ok(())
    }

    /// SEC-41: a playlist larger than MAX_PLAYLIST_ENTRIES, or one that would take its owner
    /// past MAX_QUEUED_DOWNLOADS_PER_USER, is refused as a whole (no partial album).
    async fn check_playlist_fits(
        &self,
        job: &DownloadRow,
        entries: usize,
    ) -> Result<(), ExecutionError> {
        let limits = &self.settings.executor.limits;
        if entries > limits.max_playlist_entries {
            return Err(ExecutionError::permanent(format!(
                "This playlist has {entries} entries; the server takes at most {} per playlist (MAX_PLAYLIST_ENTRIES)",
                limits.max_playlist_entries
            )));
        }
        let active = self
            .store
            .count_active_downloads(job.user_id)
            .await
            .map_err(|e| {
                tracing::error!(error = ?e, "counting a user's downloads failed");
                ExecutionError::transient("Could not check the download queue")
            })?;
        // The parent itself is active and leaves the queue when it expands.
        let after = usize::try_from(active)
            .unwrap_or(usize::MAX)
            .saturating_sub(1)
            .saturating_add(entries);
        if after > limits.max_active_per_user as usize {
            return Err(ExecutionError::permanent(format!(
                "This playlist's {entries} entries would take your queue past the server's limit of {} downloads; try again when some have finished",
                limits.max_active_per_user
            )));
        }
        Ok(())
    }
}

/// What the parent of a set is: an album when the plugin says so, else a playlist (a
/// playlist, channel or feed; its tracks also get an `.m3u8`).
fn set_kind(kind: ResolutionKind) -> SetKind {
    match kind {
        ResolutionKind::Album => SetKind::Album,
        ResolutionKind::Playlist | ResolutionKind::Single => SetKind::Playlist,
    }
}

/// The options an entry's own download gets: the plugin's, without the playlist-item
/// selection (it chose which entries were listed; on a single entry it would select nothing).
fn strip_item_selection(options: &[String]) -> Vec<String> {
    let mut out = Vec::with_capacity(options.len());
    let mut skip_value = false;
    for o in options {
        if std::mem::take(&mut skip_value) {
            continue;
        }
        let name = o.split('=').next().unwrap_or(o);
        if matches!(
            name,
            "-I" | "--playlist-items" | "--playlist-start" | "--playlist-end"
        ) {
            skip_value = !o.contains('=');
            continue;
        }
        out.push(o.clone());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::strip_item_selection;

    #[test]
    fn entries_do_not_inherit_the_item_selection() {
        let options: Vec<String> = [
            "-I",
            "1:3",
            "-x",
            "--playlist-end=4",
            "--audio-format",
            "mp3",
        ]
        .map(String::from)
        .into();
        assert_eq!(
            strip_item_selection(&options),
            ["-x", "--audio-format", "mp3"].map(String::from)
        );
    }
}
