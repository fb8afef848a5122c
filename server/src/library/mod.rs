//! "Already have it": an in-memory index of the audio files under `OUTPUT_DIRECTORY`, so a
//! track the library holds (downloaded earlier or copied in by hand) need not be fetched
//! again.
//!
//! A track matches a query when
//! - its source URL (the tag [`crate::jobs::album_tags`] writes) equals the query's, compared
//!   without scheme, fragment, `www.`/`m.` host prefix and case of the host; or
//! - its artist and title give the same key as the query's ([`normalize`] documents the rule)
//!   and, when both durations are known, they differ by at most
//!   [`DURATION_TOLERANCE_SECONDS`]. A query without an artist matches by URL only.
//!
//! A match whose file has gone since it was indexed is dropped, not returned. The index is
//! filled by [`LibraryIndex::scan`] (at start, and on an admin rescan) and by
//! [`LibraryIndex::insert`] as downloads finish.

pub mod normalize;
mod scan;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use crate::jobs::{album_tags::TrackTags, worker::TrackLibrary};

pub use scan::{ScanLimits, ScanReport};

/// How far two known durations may be apart and still be the same track.
pub const DURATION_TOLERANCE_SECONDS: f64 = 2.0;

#[derive(Debug, Clone)]
struct IndexedTrack {
    key: Option<String>,
    url: Option<String>,
    duration_seconds: Option<f64>,
}

#[derive(Debug, Default)]
struct Inner {
    tracks: HashMap<PathBuf, IndexedTrack>,
    by_key: HashMap<String, Vec<PathBuf>>,
    by_url: HashMap<String, Vec<PathBuf>>,
}

impl Inner {
    fn remove(&mut self, path: &Path) {
        let Some(old) = self.tracks.remove(path) else {
            return;
        };
        let unlink = |map: &mut HashMap<String, Vec<PathBuf>>, k: Option<String>| {
            if let Some(k) = k
                && let Some(paths) = map.get_mut(&k)
            {
                paths.retain(|p| p != path);
                if paths.is_empty() {
                    map.remove(&k);
                }
            }
        };
        unlink(&mut self.by_key, old.key);
        unlink(&mut self.by_url, old.url);
    }
}

/// The index. Share it as `Arc<LibraryIndex>`; every method takes `&self`.
#[derive(Debug, Default)]
pub struct LibraryIndex {
    inner: RwLock<Inner>,
}

impl LibraryIndex {
    pub fn new() -> Self {
        Self::default()
    }

    /// Forgets the file.
    pub fn remove(&self, path: &Path) {
        self.write().remove(path);
    }

    /// How many files the index holds.
    pub fn len(&self) -> usize {
        self.read().tracks.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        // A panic while holding the lock leaves consistent maps (each update is one insert
        // or remove): keep serving.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The job runner's view of the index: what it looks up before fetching a track, and adds
/// when a download finishes.
impl TrackLibrary for LibraryIndex {
    /// Adds the file (or replaces what the index knew about it).
    fn insert(&self, path: PathBuf, tags: &TrackTags, duration_seconds: Option<f64>) {
        let key = match (&tags.artist, &tags.title) {
            (Some(artist), Some(title)) => normalize::track_key(artist, title),
            _ => None,
        };
        let url = tags.source_url.as_deref().and_then(url_key);
        let mut inner = self.write();
        inner.remove(&path);
        if let Some(k) = &key {
            inner
                .by_key
                .entry(k.clone())
                .or_default()
                .push(path.clone());
        }
        if let Some(u) = &url {
            inner
                .by_url
                .entry(u.clone())
                .or_default()
                .push(path.clone());
        }
        inner.tracks.insert(
            path,
            IndexedTrack {
                key,
                url,
                duration_seconds: duration_seconds.filter(|d| d.is_finite() && *d > 0.0),
            },
        );
    }

    /// The file the library already has for this track, if any (see the module
    /// documentation for the rule). Checks that the file still exists.
    fn find(
        &self,
        artist: Option<&str>,
        title: Option<&str>,
        duration_seconds: Option<f64>,
        source_url: Option<&str>,
    ) -> Option<PathBuf> {
        let candidates = {
            let inner = self.read();
            let mut out: Vec<PathBuf> = source_url
                .and_then(url_key)
                .and_then(|u| inner.by_url.get(&u))
                .cloned()
                .unwrap_or_default();
            let key = match (artist, title) {
                (Some(a), Some(t)) => normalize::track_key(a, t),
                _ => None,
            };
            if let Some(paths) = key.and_then(|k| inner.by_key.get(&k)) {
                let wanted = duration_seconds.filter(|d| d.is_finite() && *d > 0.0);
                out.extend(
                    paths
                        .iter()
                        .filter(|p| {
                            let have = inner
                                .tracks
                                .get(p.as_path())
                                .and_then(|t| t.duration_seconds);
                            match (wanted, have) {
                                (Some(w), Some(h)) => (w - h).abs() <= DURATION_TOLERANCE_SECONDS,
                                _ => true,
                            }
                        })
                        .cloned(),
                );
            }
            out
        };
        let mut gone = Vec::new();
        let found = candidates.into_iter().find(|p| {
            let exists = p.symlink_metadata().is_ok_and(|m| m.is_file());
            if !exists {
                gone.push(p.clone());
            }
            exists
        });
        if !gone.is_empty() {
            let mut inner = self.write();
            for p in &gone {
                inner.remove(p);
            }
        }
        found
    }
}

/// The comparable part of a source URL: host (lowercase, without `www.`/`m.`), path and
/// query; no scheme, fragment or credentials. Text that is not a URL compares trimmed.
fn url_key(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() {
        return None;
    }
    let Ok(url) = url::Url::parse(raw) else {
        return Some(raw.to_string());
    };
    let Some(host) = url.host_str() else {
        return Some(raw.to_string());
    };
    let host = host
        .strip_prefix("www.")
        .or_else(|| host.strip_prefix("m."))
        .unwrap_or(host);
    let port = url.port().map(|p| format!(":{p}")).unwrap_or_default();
    let query = url.query().map(|q| format!("?{q}")).unwrap_or_default();
    Some(format!("{host}{port}{}{query}", url.path()))
}

#[cfg(test)]
mod tests;
