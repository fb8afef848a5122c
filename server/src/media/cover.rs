//! Which picture stands for a track: its album folder's `cover.jpg`, or the front cover
//! embedded in the file, served as a small square JPEG (never hot-linked from the site).

use super::open::{OpenedFile, open_in};
use crate::jobs::{
    album_tags::{CoverRead, read_track_tags},
    cover_art::{COVER_FILE_NAME, CoverArt, MAX_INPUT_BYTES},
};
use std::io::Read;
use std::os::fd::AsRawFd;
use std::path::Path;

/// Side of the served thumbnail, in pixels: sharp at the page's largest cover (an album's
/// header) on a phone's high-density screen, small enough for a list of them.
pub const THUMBNAIL_SIDE: u32 = 480;

/// The cover for the track at `relative`, whose file is `track` (already checked to be the
/// one its download placed). A set's track prefers the album's `cover.jpg`; a single
/// prefers its own picture, since its folder is the artist's and holds many albums.
pub fn find_cover(
    root: &Path,
    relative: &Path,
    track: OpenedFile,
    in_a_set: bool,
) -> Option<Vec<u8>> {
    let folder_cover = || folder_cover(root, relative);
    let embedded = || embedded_cover(&track);
    let picture = if in_a_set {
        folder_cover().or_else(embedded)
    } else {
        embedded().or_else(folder_cover)
    }?;
    match CoverArt::from_image_bytes_at_most(&picture, THUMBNAIL_SIDE) {
        Ok(cover) => Some(cover.jpeg().to_vec()),
        Err(e) => {
            tracing::debug!(error = %e, "a cover picture could not be used");
            None
        }
    }
}

/// `cover.jpg` beside the track, a regular file reached without following symlinks.
fn folder_cover(root: &Path, relative: &Path) -> Option<Vec<u8>> {
    let folder = relative.parent()?;
    let opened = open_in(root, folder, COVER_FILE_NAME.as_ref()).ok()?;
    let mut bytes = Vec::new();
    opened
        .file
        .take(MAX_INPUT_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    (bytes.len() <= MAX_INPUT_BYTES).then_some(bytes)
}

/// The front cover in the track's tags. Read through the descriptor already open
/// (`/proc/self/fd/N` reopens that very file, not whatever has its name now).
fn embedded_cover(track: &OpenedFile) -> Option<Vec<u8>> {
    let path = format!("/proc/self/fd/{}", track.file.as_raw_fd());
    read_track_tags(Path::new(&path), CoverRead::Load)
        .ok()?
        .front_cover
}
