//! A download's media as its owner's browser reads it: the audio file (streamed in byte
//! ranges), its cover, and a set's tracks. Links for `<audio>`/`<img>` are signed per user,
//! session and download (`links.rs`); files are opened beneath OUTPUT_DIRECTORY without
//! following symlinks and only while they are the file the download placed (`open.rs`,
//! SEC-43). Knows nothing of HTTP: `api::download_files` maps its answers.

pub mod cover;
pub mod links;
pub mod open;
pub mod range;
pub mod tracks;

use crate::{
    downloads::OwnFile,
    error::{AppError, AppResult},
    store::{DownloadRow, Store},
};
use open::{OpenError, OpenedFile};
use std::{path::PathBuf, sync::Arc};

/// Reading users' downloaded files.
pub struct MediaService {
    pub store: Arc<dyn Store>,
    pub output_directory: PathBuf,
    pub links: links::MediaLinks,
}

impl MediaService {
    /// The owner's download `id` (404 for anyone else's, SEC-17), with its file's identity.
    pub async fn download(&self, user_id: i64, id: i64) -> AppResult<DownloadRow> {
        self.store
            .download_for_user(id, user_id)
            .await?
            .ok_or_else(|| AppError::NotFound("Download not found".into()))
    }

    /// Opens a completed download's file for reading (404 when it has none, or when the
    /// file at its path is no longer the one it placed).
    pub async fn open_file(&self, row: &DownloadRow) -> AppResult<OpenedFile> {
        let Some(relative) = row.file_path.as_deref() else {
            return Err(no_file());
        };
        let own = OwnFile::of(row, relative).map_err(|_| no_file())?;
        let root = self.output_directory.clone();
        let opened = tokio::task::spawn_blocking(move || {
            open::open_recorded(&root, &own.relative, own.recorded)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("opening a file: {e}")))?;
        opened.map_err(|e| match e {
            OpenError::Gone => no_file(),
            OpenError::Io(e) => {
                AppError::Internal(anyhow::Error::new(e).context("opening a download's file"))
            }
        })
    }

    /// A square JPEG for the download: a track's album cover or embedded picture; for a
    /// set, its first completed track's. 404 when there is none.
    pub async fn cover(&self, row: &DownloadRow) -> AppResult<Vec<u8>> {
        let track = if row.file_path.is_some() {
            row.clone()
        } else {
            let tracks = tracks::tracks_of(&*self.store, row).await?;
            let first = tracks
                .iter()
                .find(|t| t.file_path.is_some())
                .ok_or_else(no_cover)?;
            // Listings leave the file's identity out; read the track itself.
            self.download(row.user_id, first.id).await?
        };
        let opened = self.open_file(&track).await.map_err(|e| match e {
            AppError::NotFound(_) => no_cover(),
            other => other,
        })?;
        let relative = PathBuf::from(track.file_path.as_deref().unwrap_or_default());
        let (root, in_a_set) = (self.output_directory.clone(), track.parent_id.is_some());
        tokio::task::spawn_blocking(move || cover::find_cover(&root, &relative, opened, in_a_set))
            .await
            .map_err(|e| AppError::Internal(anyhow::anyhow!("reading a cover: {e}")))?
            .ok_or_else(no_cover)
    }
}

fn no_file() -> AppError {
    AppError::NotFound("This download has no file to play".into())
}

fn no_cover() -> AppError {
    AppError::NotFound("No cover for this download".into())
}
