//! Reads and fills in audio tags with lofty. Runs on the blocking pool: tag I/O reads and
//! rewrites whole files.

use std::path::{Path, PathBuf};

use lofty::config::WriteOptions;
use lofty::file::{AudioFile, TaggedFileExt};
use lofty::tag::{Accessor, Tag};

use super::model::TrackMetadataHint;

/// What the file says about itself.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileTags {
    pub title: Option<String>,
    pub artist: Option<String>,
    pub album: Option<String>,
    pub duration_seconds: Option<f64>,
}

/// Reads title, artist, album and duration. A file lofty cannot parse yields `None`s: a
/// container without tag support is still a valid download.
pub fn read_tags(path: &Path) -> FileTags {
    let Ok(file) = lofty::read_from_path(path) else {
        return FileTags::default();
    };
    let duration = file.properties().duration().as_secs_f64();
    let tag = file.primary_tag().or_else(|| file.first_tag());
    let clean = |v: Option<std::borrow::Cow<'_, str>>| {
        v.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
    };
    FileTags {
        title: tag.and_then(|t| clean(t.title())),
        artist: tag.and_then(|t| clean(t.artist())),
        album: tag.and_then(|t| clean(t.album())),
        duration_seconds: (duration > 0.0).then_some(duration),
    }
}

/// Writes the hint's title, artist and album where the file has none; never replaces what
/// the file already says. Returns whether the file was changed.
pub fn fill_missing_tags(
    path: &Path,
    hint: &TrackMetadataHint,
) -> Result<bool, Box<dyn std::error::Error + Send + Sync>> {
    let mut file = lofty::read_from_path(path)?;
    let tag_type = file.primary_tag_type();
    if file.tag(tag_type).is_none() {
        file.insert_tag(Tag::new(tag_type));
    }
    let Some(tag) = file.tag_mut(tag_type) else {
        return Ok(false);
    };
    let want = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    let mut changed = false;
    if tag.title().is_none_or(|t| t.trim().is_empty())
        && let Some(v) = want(&hint.title)
    {
        tag.set_title(v);
        changed = true;
    }
    if tag.artist().is_none_or(|t| t.trim().is_empty())
        && let Some(v) = want(&hint.artist)
    {
        tag.set_artist(v);
        changed = true;
    }
    if tag.album().is_none_or(|t| t.trim().is_empty())
        && let Some(v) = want(&hint.album)
    {
        tag.set_album(v);
        changed = true;
    }
    if changed {
        file.save_to_path(path, WriteOptions::default())?;
    }
    Ok(changed)
}

/// Fills missing tags (logging, not failing, when the format cannot be tagged) and reads
/// the result, on the blocking pool.
pub async fn tag_and_read(path: PathBuf, hint: TrackMetadataHint) -> FileTags {
    tokio::task::spawn_blocking(move || {
        if let Err(e) = fill_missing_tags(&path, &hint) {
            tracing::info!(error = %e, "could not write tags; keeping the file as it is");
        }
        read_tags(&path)
    })
    .await
    .unwrap_or_default()
}
