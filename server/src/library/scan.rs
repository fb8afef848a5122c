//! The background scan that fills the [`LibraryIndex`]: walks `OUTPUT_DIRECTORY` without
//! following symlinks, skips hidden folders (`.incomplete/` holds partial downloads) and
//! NAS metadata folders (`@eaDir`), reads each audio file's tags with lofty on the blocking
//! pool, and stops at a bound on files and depth.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::LibraryIndex;
use crate::jobs::album_tags::{CoverRead, read_track_tags};
use crate::jobs::output_path::extension_allowed;
use crate::jobs::worker::TrackLibrary;

/// Bounds on one scan.
#[derive(Debug, Clone, Copy)]
pub struct ScanLimits {
    /// Files read at most; the rest are not indexed (and the report says so).
    pub max_files: usize,
    /// Folder depth below the root.
    pub max_depth: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        Self {
            max_files: 200_000,
            max_depth: 24,
        }
    }
}

/// What a scan did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ScanReport {
    /// Audio files read and indexed.
    pub indexed: usize,
    /// Audio files whose tags could not be read (not indexed).
    pub unreadable: usize,
    /// Index entries dropped because their file is gone.
    pub removed: usize,
    /// Whether a bound stopped the scan early.
    pub truncated: bool,
}

impl LibraryIndex {
    /// Scans `root` on the blocking pool (see [`LibraryIndex::scan_blocking`]).
    pub async fn scan(self: Arc<Self>, root: PathBuf, limits: ScanLimits) -> ScanReport {
        let report = tokio::task::spawn_blocking(move || self.scan_blocking(&root, limits))
            .await
            .unwrap_or_default();
        tracing::info!(
            indexed = report.indexed,
            unreadable = report.unreadable,
            removed = report.removed,
            truncated = report.truncated,
            "library scanned"
        );
        report
    }

    /// Indexes every audio file under `root` (replacing what the index knew about each),
    /// then drops entries whose file no longer exists. Files arriving meanwhile through
    /// [`LibraryIndex::insert`] stay. Blocking.
    pub fn scan_blocking(&self, root: &Path, limits: ScanLimits) -> ScanReport {
        let mut report = ScanReport::default();
        let mut folders = vec![(root.to_path_buf(), 0usize)];
        let mut files_seen = 0usize;
        'walk: while let Some((folder, depth)) = folders.pop() {
            let Ok(entries) = std::fs::read_dir(&folder) else {
                continue;
            };
            for entry in entries.flatten() {
                // DirEntry::file_type does not follow symlinks: a link is neither.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let path = entry.path();
                if kind.is_dir() {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with('.') || name.starts_with('@') {
                        continue;
                    }
                    if depth + 1 > limits.max_depth {
                        report.truncated = true;
                        continue;
                    }
                    folders.push((path, depth + 1));
                } else if kind.is_file() && is_audio(&path) {
                    if files_seen >= limits.max_files {
                        report.truncated = true;
                        break 'walk;
                    }
                    files_seen += 1;
                    match read_track_tags(&path, CoverRead::Skip) {
                        Ok(on_file) => {
                            self.insert(path, &on_file.tags, on_file.duration_seconds);
                            report.indexed += 1;
                        }
                        Err(e) => {
                            tracing::debug!(path = %path.display(), error = %e, "not indexed");
                            report.unreadable += 1;
                        }
                    }
                }
            }
        }
        let known: Vec<PathBuf> = self.read().tracks.keys().cloned().collect();
        for path in known {
            if !path.symlink_metadata().is_ok_and(|m| m.is_file()) {
                self.remove(&path);
                report.removed += 1;
            }
        }
        report
    }
}

fn is_audio(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(extension_allowed)
}
