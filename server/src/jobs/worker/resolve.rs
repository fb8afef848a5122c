//! Resolving a job through its plugin: one track becomes the job's action; a playlist or
//! album becomes child jobs in one transaction, and the parent completes.

use super::{JobRunner, StoredAction, action_url, hint_from_row};
use crate::{
    domain::{AudioFormat, Phase, Progress},
    jobs::{ExecutionError, FetchAction, TrackMetadataHint},
    plugins::ResolutionKind,
    store::{DownloadRow, NewDownload, ResolvedMetadata},
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
        let top = &resolution.metadata;
        if resolution.kind != ResolutionKind::Single || resolution.entries.len() > 1 {
            self.check_playlist_fits(job, resolution.entries.len())
                .await?;
            let children = resolution
                .entries
                .iter()
                .map(|entry| {
                    let m = &entry.metadata;
                    NewDownload {
                        user_id: job.user_id,
                        parent_id: Some(job.id),
                        url: action_url(&entry.action).to_owned(),
                        format,
                        plugin: Some(plugin.clone()),
                        title: m.title.clone(),
                        artist: m.artist.clone().or_else(|| top.artist.clone()),
                        album: m.album.clone().or_else(|| top.album.clone()),
                        duration: m.duration_seconds,
                        cover_url: m.cover_url.clone().or_else(|| top.cover_url.clone()),
                        action: serde_json::to_value(StoredAction::from(&entry.action)).ok(),
                    }
                })
                .collect::<Vec<_>>();
            let parent = ResolvedMetadata {
                title: top.title.clone(),
                artist: top.artist.clone(),
                album: top.album.clone(),
                duration: None,
                cover_url: top.cover_url.clone(),
                action: None,
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
