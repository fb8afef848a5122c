//! A finished download's tags, decided once: what the job knows (the plugin's or the set
//! listing's metadata, the album fields, the source URL) is combined with what the file
//! already says, field by field, and written with `album_tags`; the file's front cover is
//! made square (`cover_art`) and embedded again, or, when the file has none, the track's
//! thumbnail (`cover_fetch`) is. Runs on the blocking pool, on the file in the
//! job's temp folder, before it is moved into place.
//!
//! # Which metadata wins
//! - A set's track (album, playlist, feed entry): the set's values win for the album, album
//!   artist, numbering and year, so every track of an album agrees whatever each file says.
//! - Title and artist: for a track fetched with yt-dlp (YouTube-like sites, feed entries),
//!   the plugin's or listing's values win, yt-dlp's embedded tags filling the gaps; for a
//!   direct media file (a single, or an entry of a page's or an M3U/PLS list), the file's own
//!   good tags win (usually written by whoever published the file; a page's link text or a
//!   file name is a guess), the plugin's values filling what the file lacks.
//! - A direct single's other fields follow the same rule as its title: the file's first.
//!
//! The source URL written is the submitted one, so a second submission finds the file in
//! the library index (`library`). One exception keeps publishers' files intact: a direct file
//! that already has every field the job knows is not rewritten at all (the index still knows
//! it by its URL while the server runs, and by artist, title and duration after a restart).

use std::path::{Path, PathBuf};

use super::album_tags::{
    CoverRead, Precedence, TagError, TagsOnFile, TrackTags, read_track_tags, write_track_tags,
};
use super::cover_art::CoverArt;
use super::model::{ExecutionRequest, FetchAction};

/// The tags a track ended with, as read back from the file.
#[derive(Debug, Clone, Default)]
pub struct TaggedTrack {
    pub tags: TrackTags,
    pub duration_seconds: Option<f64>,
    /// The square JPEG front cover now embedded (or the file's own, when it keeps it), for
    /// the album folder's `cover.jpg`.
    pub cover: Option<CoverArt>,
}

/// Whether the file's own title and artist win over the given ones (a direct media file).
pub fn file_names_first(request: &ExecutionRequest) -> bool {
    matches!(request.action, FetchAction::Direct { .. })
}

/// Whose values win for this job's other fields (see the module documentation).
pub fn precedence(request: &ExecutionRequest) -> Precedence {
    match (&request.metadata.album_track, &request.action) {
        (Some(_), _) => Precedence::PreferGiven,
        (None, FetchAction::Direct { .. }) => Precedence::PreferFile,
        (None, _) => Precedence::PreferGiven,
    }
}

/// What the job knows about the track.
pub fn given_tags(request: &ExecutionRequest) -> TrackTags {
    let hint = &request.metadata;
    let album = hint.album_track.as_ref();
    let number = |n: Option<u32>| n.filter(|n| *n > 0);
    TrackTags {
        title: hint.title.clone(),
        artist: hint.artist.clone(),
        album: hint.album.clone(),
        album_artist: album.and_then(|a| a.album_artist.clone()),
        track: number(album.and_then(|a| a.track_number)),
        track_total: number(album.and_then(|a| a.track_total)),
        disc: number(album.and_then(|a| a.disc_number)),
        year: album
            .and_then(|a| a.year)
            .and_then(|y| u16::try_from(y).ok())
            .filter(|y| *y > 0),
        genre: None,
        source_url: Some(request.source_url.clone()).filter(|u| !u.is_empty()),
    }
}

/// Tags the file (see the module documentation) and reads back what it now says. A file
/// whose tags cannot be written (a container lofty does not write, such as WebM) is kept as
/// it is, and what can be read from it is returned, filled with the given values.
/// `thumbnail` is awaited only when the file has no usable picture of its own, so a track
/// that brings its cover costs no fetch.
pub async fn tag_track(
    path: PathBuf,
    given: TrackTags,
    rule: TagRule,
    thumbnail: Option<impl Future<Output = Option<CoverArt>>>,
) -> TaggedTrack {
    let fallback = TaggedTrack {
        tags: given.clone(),
        ..TaggedTrack::default()
    };
    let read_path = path.clone();
    let read = tokio::task::spawn_blocking(move || read_before(&read_path)).await;
    let Ok(read) = read else {
        return fallback;
    };
    let thumbnail = match (&read, thumbnail) {
        (Ok((_, None)), Some(fetch)) => fetch.await,
        _ => None,
    };
    tokio::task::spawn_blocking(move || match read {
        Ok((before, own)) => finish(&path, given, rule, before, own, thumbnail),
        Err(e) => untaggable(&path, &given, rule.precedence, &e),
    })
    .await
    .unwrap_or(fallback)
}

/// The file's tags, and its own picture made square (when it has a usable one).
fn read_before(path: &Path) -> Result<(TagsOnFile, Option<CoverArt>), TagError> {
    let before = read_track_tags(path, CoverRead::Load)?;
    let own = before.front_cover.as_deref().and_then(|bytes| {
        CoverArt::from_image_bytes(bytes)
            .inspect_err(|e| tracing::info!(error = %e, "the file's cover is not usable"))
            .ok()
    });
    Ok((before, own))
}

/// How a job's values and the file's combine: see [`file_names_first`] and [`precedence`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TagRule {
    pub file_names_first: bool,
    pub precedence: Precedence,
}

impl TagRule {
    pub fn for_request(request: &ExecutionRequest) -> Self {
        Self {
            file_names_first: file_names_first(request),
            precedence: precedence(request),
        }
    }
}

/// Writes the combined tags and the cover (the file's own picture made square, else the
/// thumbnail) and reads back what the file now says.
fn finish(
    path: &Path,
    mut given: TrackTags,
    rule: TagRule,
    before: TagsOnFile,
    own: Option<CoverArt>,
    thumbnail: Option<CoverArt>,
) -> TaggedTrack {
    let precedence = rule.precedence;
    if rule.file_names_first {
        given.title = before.tags.title.clone().or(given.title);
        given.artist = before.tags.artist.clone().or(given.artist);
    }
    let given = &given;
    // A cover the file lacks (the thumbnail) must be written even into a file whose own tags
    // say everything.
    let adds_cover = own.is_none() && thumbnail.is_some();
    let cover = own.or(thumbnail);
    // The index knows the file by the submitted URL even when it is not written into it.
    let with_source = |mut tags: TrackTags| {
        tags.source_url = given.source_url.clone().or(tags.source_url);
        tags
    };
    if precedence == Precedence::PreferFile
        && !adds_cover
        && says_everything_given(&before.tags, given)
    {
        return TaggedTrack {
            tags: with_source(before.tags),
            duration_seconds: before.duration_seconds,
            cover,
        };
    }
    if let Err(e) = write_track_tags(path, given, cover.as_ref(), precedence) {
        return untaggable(path, given, precedence, &e);
    }
    match read_track_tags(path, CoverRead::Skip) {
        Ok(after) => TaggedTrack {
            tags: with_source(after.tags),
            duration_seconds: after.duration_seconds.or(before.duration_seconds),
            cover,
        },
        Err(e) => untaggable(path, given, precedence, &e),
    }
}

/// Whether the file already has every field the job knows (the source URL aside): then a
/// file whose own tags win is kept byte for byte, as its publisher made it.
fn says_everything_given(file: &TrackTags, given: &TrackTags) -> bool {
    fn has<T>(given: &Option<T>, file: &Option<T>) -> bool {
        given.is_none() || file.is_some()
    }
    has(&given.title, &file.title)
        && has(&given.artist, &file.artist)
        && has(&given.album, &file.album)
        && has(&given.album_artist, &file.album_artist)
        && has(&given.track, &file.track)
        && has(&given.track_total, &file.track_total)
        && has(&given.disc, &file.disc)
        && has(&given.year, &file.year)
        && has(&given.genre, &file.genre)
}

/// The result for a file that keeps its own tags: the generic reader's view of it, combined
/// with the given values by the same rule.
fn untaggable(path: &Path, given: &TrackTags, precedence: Precedence, e: &TagError) -> TaggedTrack {
    tracing::info!(error = %e, "could not write tags; keeping the file as it is");
    let file = super::tags::read_tags(path);
    let pick = |given: &Option<String>, file: Option<String>| match precedence {
        Precedence::PreferGiven => given.clone().or(file),
        Precedence::PreferFile => file.or_else(|| given.clone()),
    };
    TaggedTrack {
        tags: TrackTags {
            title: pick(&given.title, file.title),
            artist: pick(&given.artist, file.artist),
            album: pick(&given.album, file.album),
            ..given.clone()
        },
        duration_seconds: file.duration_seconds,
        cover: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::model::{AlbumTrackHint, AudioFormat, TrackMetadataHint};

    fn request(action: FetchAction, album_track: Option<AlbumTrackHint>) -> ExecutionRequest {
        ExecutionRequest {
            job_id: uuid::Uuid::nil(),
            action,
            metadata: TrackMetadataHint {
                title: Some("Given Title".into()),
                artist: Some("Given Artist".into()),
                album: Some("Given Album".into()),
                cover_url: None,
                album_track,
            },
            format: AudioFormat::Best,
            user: "alice".into(),
            source_url: "https://example.com/track".into(),
        }
    }

    fn direct() -> FetchAction {
        FetchAction::Direct {
            url: "https://example.com/a.mp3".into(),
        }
    }

    fn ytdlp() -> FetchAction {
        FetchAction::YtDlp {
            url: "https://example.com/watch".into(),
            options: Vec::new(),
        }
    }

    #[test]
    fn set_tracks_and_site_singles_prefer_the_given_values_direct_files_their_own() {
        let track = AlbumTrackHint::default();
        assert_eq!(
            precedence(&request(direct(), Some(track.clone()))),
            Precedence::PreferGiven
        );
        assert_eq!(
            precedence(&request(ytdlp(), Some(track))),
            Precedence::PreferGiven
        );
        assert_eq!(precedence(&request(ytdlp(), None)), Precedence::PreferGiven);
        assert_eq!(precedence(&request(direct(), None)), Precedence::PreferFile);
    }

    #[test]
    fn a_file_says_everything_when_it_has_each_field_the_job_knows() {
        let given = TrackTags {
            title: Some("T".into()),
            artist: Some("A".into()),
            source_url: Some("https://example.com/t".into()),
            ..TrackTags::default()
        };
        let mut file = TrackTags {
            title: Some("Other title".into()),
            artist: Some("Other artist".into()),
            album: Some("Album the job does not know".into()),
            ..TrackTags::default()
        };
        assert!(
            says_everything_given(&file, &given),
            "values may differ, and the URL is not needed"
        );
        file.artist = None;
        assert!(!says_everything_given(&file, &given));
    }

    #[test]
    fn given_tags_carry_the_album_fields_and_the_submitted_url() {
        let tags = given_tags(&request(
            ytdlp(),
            Some(AlbumTrackHint {
                album_artist: Some("Band".into()),
                track_number: Some(2),
                track_total: Some(9),
                disc_number: Some(0),
                year: Some(2021),
            }),
        ));
        assert_eq!(tags.album_artist.as_deref(), Some("Band"));
        assert_eq!((tags.track, tags.track_total), (Some(2), Some(9)));
        assert_eq!(tags.disc, None, "a zero disc number is no disc number");
        assert_eq!(tags.year, Some(2021));
        assert_eq!(
            tags.source_url.as_deref(),
            Some("https://example.com/track")
        );
    }
}
