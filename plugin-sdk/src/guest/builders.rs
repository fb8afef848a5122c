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
/// `options` (they must pass the host's allowlist, SEC-3). `metadata` (the set's title as
/// `album`, its `album_artist`, cover) fills what the listing does not say. `kind` is
/// `Album` for albums and `Playlist` for everything else.
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
