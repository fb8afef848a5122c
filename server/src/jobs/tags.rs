//! Reads a file's basic tags (title, artist, album, duration) with lofty's generic view,
//! whatever the container: the fallback for files `album_tags` cannot write (e.g. WebM).
//! Blocking: callers run it on the blocking pool.

use std::path::Path;

use lofty::file::{AudioFile, TaggedFileExt};
use lofty::tag::Accessor;

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
