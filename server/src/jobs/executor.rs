//! Runs one job from "fetch this" to a finished, tagged, safely named file: a private temp
//! folder under `OUTPUT_DIRECTORY`, the yt-dlp or native fetch, conversion, tags and a
//! square cover (`track_tagging`), the final no-overwrite move, and an album folder's
//! `cover.jpg`. The temp folder is removed on every exit path (SEC-7, SEC-30).

use std::path::{Path, PathBuf};

use tokio::sync::watch;
use tokio_util::sync::CancellationToken;

use super::album_layout::{AlbumValues, render_album_path};
use super::album_tags::TrackTags;
use super::beneath::IfTaken;
use super::convert::convert;
use super::cover_art::{CoverArt, write_album_cover};
use super::cover_fetch::fetch_cover;
use super::direct::run_direct;
use super::errors::classify_io;
use super::limits::first_breach;
use super::model::{
    AudioFormat, ExecutionError, ExecutionRequest, ExecutorConfig, FetchAction, Finished, Phase,
    Progress,
};
use super::output_path::{
    TemplateValues, extension_allowed, move_into_place, render_relative_path,
};
use super::temp_dirs::create_job_temp_dir;
use super::track_tagging::{TagRule, given_tags, tag_track};
use super::ytdlp::run_ytdlp;

/// Removes the temp folder when dropped, so even an aborted job future leaves nothing.
struct TempDirGuard(Option<PathBuf>);

impl TempDirGuard {
    async fn remove(mut self) {
        if let Some(dir) = self.0.take()
            && let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, dir = %dir.display(), "could not remove a job's temp folder");
        }
    }
}

impl Drop for TempDirGuard {
    fn drop(&mut self) {
        if let Some(dir) = self.0.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Runs one job. Progress snapshots go to `progress` (a few per second at most); `cancel`
/// stops the fetch, its process group and any conversion, and yields `ErrorClass::Cancelled`.
pub async fn execute(
    config: &ExecutorConfig,
    request: ExecutionRequest,
    progress: watch::Sender<Progress>,
    cancel: CancellationToken,
) -> Result<Finished, ExecutionError> {
    // The yt-dlp selected now runs this job to its end, whatever an update does meanwhile.
    let config = &config.pinned();
    progress.send_replace(Progress::phase(Phase::Resolving));
    // Absolute, so yt-dlp's `--paths` and ffmpeg's `file:` arguments mean the same folder
    // whatever the child's working directory.
    let output_directory =
        std::path::absolute(&config.output_directory).map_err(|e| classify_io(&e))?;
    let dir = {
        let out = output_directory.clone();
        let job = request.job_id;
        tokio::task::spawn_blocking(move || create_job_temp_dir(&out, job))
            .await
            .map_err(|_| ExecutionError::transient("Could not prepare the download, will retry"))?
            .map_err(|e| {
                tracing::error!(error = %e, "could not create the job's temp folder");
                classify_io(&e)
            })?
    };
    let guard = TempDirGuard(Some(dir.clone()));
    let result = run_within_limits(
        config,
        &request,
        &dir,
        &output_directory,
        &progress,
        &cancel,
    )
    .await;
    guard.remove().await;
    match &result {
        Ok(f) => {
            tracing::info!(job = %request.job_id, path = %f.relative_path.display(), "job finished")
        }
        Err(e) => {
            tracing::info!(job = %request.job_id, class = ?e.class, message = %e.message, "job failed")
        }
    }
    result
}

/// Runs the job while `limits::first_breach` watches it (SEC-41); a breach stops the fetch
/// (its whole process group) and becomes the job's error.
async fn run_within_limits(
    config: &ExecutorConfig,
    request: &ExecutionRequest,
    dir: &Path,
    volume: &Path,
    progress: &watch::Sender<Progress>,
    cancel: &CancellationToken,
) -> Result<Finished, ExecutionError> {
    let stop = cancel.child_token();
    let run = run_in(config, request, dir, progress, &stop);
    tokio::pin!(run);
    let watch = first_breach(
        config.limits.clone(),
        dir.to_path_buf(),
        volume.to_path_buf(),
    );
    tokio::select! {
        result = &mut run => result,
        breach = watch => {
            tracing::warn!(job = %request.job_id, ?breach, "job crossed a limit; stopping it");
            stop.cancel();
            let _ = run.await;
            Err(if breach.is_transient() {
                ExecutionError::transient(breach.message())
            } else {
                ExecutionError::permanent(breach.message())
            })
        }
    }
}

async fn run_in(
    config: &ExecutorConfig,
    request: &ExecutionRequest,
    dir: &Path,
    progress: &watch::Sender<Progress>,
    cancel: &CancellationToken,
) -> Result<Finished, ExecutionError> {
    let ytdlp_version = match &request.action {
        FetchAction::YtDlp { .. } => config.ytdlp.current().version.clone(),
        _ => None,
    };
    let mut file = match &request.action {
        FetchAction::YtDlp { url, options } => {
            run_ytdlp(config, url, options, request.format, dir, progress, cancel).await?
        }
        FetchAction::Direct { url } => {
            let file = run_direct(config, url, dir, progress, cancel).await?;
            if request.format != AudioFormat::Best {
                progress.send_replace(Progress::phase(Phase::Converting));
            }
            convert(
                &config.ffmpeg_path,
                &file,
                request.format,
                config.cancel_grace,
                cancel,
            )
            .await?
        }
        // The worker expands sets into child jobs before anything is executed.
        FetchAction::ExpandYtDlp { .. } => {
            return Err(ExecutionError::permanent(
                "This URL is a set of tracks; it cannot be downloaded as one file",
            ));
        }
    };
    if cancel.is_cancelled() {
        return Err(ExecutionError::cancelled());
    }

    let ext = file
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    if !extension_allowed(&ext) {
        tracing::warn!(file = %file.display(), "finished file has a refused extension");
        return Err(ExecutionError::permanent(
            "The download is not an audio or video file",
        ));
    }
    // Lower-case extensions keep "Song.MP3" and "Song.mp3" from coexisting.
    if file.extension().and_then(|e| e.to_str()) != Some(ext.as_str()) {
        let lowered = file.with_extension(&ext);
        tokio::fs::rename(&file, &lowered)
            .await
            .map_err(|e| classify_io(&e))?;
        file = lowered;
    }

    progress.send_replace(Progress::phase(Phase::Tagging));
    // Fetched only if the file brings no picture of its own (`tag_track` decides).
    let thumbnail = request
        .metadata
        .cover_url
        .as_deref()
        .map(|url| fetch_cover(config, url));
    let tagged = tag_track(
        file.clone(),
        given_tags(request),
        TagRule::for_request(request),
        thumbnail,
    )
    .await;

    progress.send_replace(Progress::phase(Phase::Finalizing));
    let relative = output_name(config, request, &tagged.tags, &ext);
    let size_bytes = tokio::fs::metadata(&file)
        .await
        .map_err(|e| classify_io(&e))?
        .len();
    let out = config.output_directory.clone();
    let (placed, identity) =
        tokio::task::spawn_blocking(move || move_into_place(&file, &out, &relative))
            .await
            .map_err(|_| {
                ExecutionError::transient("Could not write the file on the server, will retry")
            })?
            .map_err(|e| {
                tracing::error!(error = %e, "could not move the finished file into place");
                classify_io(&e)
            })?;
    if request.metadata.album_track.is_some()
        && let Some(cover) = tagged.cover.clone()
    {
        write_folder_cover(&config.output_directory, &placed, cover).await;
    }
    Ok(Finished {
        relative_path: placed,
        identity,
        size_bytes,
        duration_seconds: tagged.duration_seconds,
        title: tagged.tags.title.clone(),
        artist: tagged.tags.artist.clone(),
        album: tagged.tags.album.clone(),
        tags: tagged.tags,
        ytdlp_version,
    })
}

/// Writes the album folder's `cover.jpg` from a track's cover, unless the folder has one
/// (the first track's cover stands for the album). A failure is logged, not the job's.
async fn write_folder_cover(output_directory: &Path, placed: &Path, cover: CoverArt) {
    let Some(folder) = placed.parent().filter(|p| !p.as_os_str().is_empty()) else {
        return;
    };
    let (root, folder) = (output_directory.to_path_buf(), folder.to_path_buf());
    let written = tokio::task::spawn_blocking(move || {
        write_album_cover(&root, &folder, &cover, IfTaken::Keep)
    })
    .await;
    if let Ok(Err(e)) = written {
        tracing::info!(error = %e, "could not write the album folder's cover");
    }
}

/// The file's path relative to the output folder, from the tags the file ended with
/// (`track_tagging` decided which source won). Singles: `output_template`. A set's tracks:
/// `album_output_template`, with the set's album, album artist, year and numbers, so every
/// track of an album lands in the same folder whatever its own tags say.
fn output_name(
    config: &ExecutorConfig,
    request: &ExecutionRequest,
    tags: &TrackTags,
    ext: &str,
) -> std::path::PathBuf {
    let hint = &request.metadata;
    if let Some(album) = &hint.album_track {
        // The title and artist the file ended with (`track_tagging` decided which won).
        let title = tags.title.as_deref().or(hint.title.as_deref());
        let artist = tags.artist.as_deref().or(hint.artist.as_deref());
        return render_album_path(
            &config.album_output_template,
            &AlbumValues {
                title,
                artist,
                album: hint.album.as_deref().or(tags.album.as_deref()),
                album_artist: album.album_artist.as_deref(),
                year: album.year,
                track: album.track_number,
                disc: album.disc_number,
                user: &request.user,
            },
            ext,
        );
    }
    let title = tags.title.as_deref().or(hint.title.as_deref());
    let artist = tags.artist.as_deref().or(hint.artist.as_deref());
    let album = tags.album.as_deref().or(hint.album.as_deref());
    render_relative_path(
        &config.output_template,
        &TemplateValues {
            title,
            artist,
            album,
            user: &request.user,
        },
        ext,
    )
}
