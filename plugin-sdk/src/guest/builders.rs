//! Small constructors so a resolution fits on a few lines.

use super::{FetchAction, Resolution, ResolutionKind, ResolvedEntry, TrackMetadata, YtDlpFetch};

/// Metadata with every field empty.
pub fn metadata() -> TrackMetadata {
    TrackMetadata {
        title: None,
        artist: None,
        album: None,
        album_artist: None,
        track_number: None,
        duration_seconds: None,
        cover_url: None,
    }
}

/// Run yt-dlp on `url` with `options` (they must pass the host's allowlist, SEC-3).
pub fn yt_dlp(url: &str, options: &[&str]) -> FetchAction {
    FetchAction::YtDlp(YtDlpFetch {
        url: url.to_owned(),
        options: options.iter().map(|o| (*o).to_owned()).collect(),
    })
}

/// Download `url` directly over HTTP.
pub fn direct(url: &str) -> FetchAction {
    FetchAction::Direct(url.to_owned())
}

/// A one-track resolution.
pub fn single(metadata: TrackMetadata, action: FetchAction) -> Resolution {
    Resolution {
        metadata: metadata.clone(),
        kind: ResolutionKind::Single,
        entries: vec![ResolvedEntry { metadata, action }],
    }
}

/// A set (album, playlist, SoundCloud set, channel, RSS/Atom feed) that the host lists with
/// yt-dlp's flat listing: each entry becomes its own job, downloaded with yt-dlp and
/// `options` (they must pass the host's allowlist, SEC-3; `-I/--playlist-items`,
/// `--playlist-start` and `--playlist-end` choose the listed entries and are not passed on).
/// In `metadata`, `title` (the set's name), `album` and `album_artist` win over what the
/// listing says; `artist` stands in for an album artist neither names; `cover_url` is the
/// cover of entries without a thumbnail of their own; `track_number` is not used (each track
/// gets the site's number, else its position). `kind` is `Album` for albums and `Playlist` for
/// everything else (a playlist also gets an `.m3u8` next to its tracks). See the README.
pub fn expand_set(
    kind: ResolutionKind,
    metadata: TrackMetadata,
    url: &str,
    options: &[&str],
) -> Resolution {
    Resolution {
        metadata: metadata.clone(),
        kind,
        entries: vec![ResolvedEntry {
            metadata,
            action: FetchAction::YtDlpExpand(YtDlpFetch {
                url: url.to_owned(),
                options: options.iter().map(|o| (*o).to_owned()).collect(),
            }),
        }],
    }
}
