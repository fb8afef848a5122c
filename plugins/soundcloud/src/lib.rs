//! `soundcloud`: SoundCloud tracks and sets → yt-dlp audio extraction, with the title,
//! artist and artwork the page exposes (falling back to the URL's slugs offline).

use nas_music_plugin_sdk::prelude::*;

struct SoundCloud;

const RESERVED: &[&str] = &[
    "discover",
    "search",
    "stream",
    "upload",
    "you",
    "charts",
    "tracks",
    "albums",
    "reposts",
    "likes",
    "followers",
    "following",
    "popular-tracks",
    "comments",
];

impl Extractor for SoundCloud {
    const NAME: &'static str = "soundcloud";
    const DESCRIPTION: &'static str = "SoundCloud tracks and sets";
    const PATTERNS: &'static [&'static str] = &["*.soundcloud.com/*/*", "on.soundcloud.com/*"];
    const PRIORITY: i32 = 10;
    const HOSTS: &'static [&'static str] = &["soundcloud.com", "*.soundcloud.com"];

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let (kind, fallback) = classify(url)?;
        let meta = match http_get_text(url.as_str()) {
            Ok(html) => from_page(&html, fallback),
            Err(e) => {
                log(
                    nas_music_plugin_sdk::LogLevel::Warn,
                    &format!("page unavailable: {e:?}"),
                );
                fallback
            }
        };
        const AUDIO: [&str; 3] = ["--format", "bestaudio/best", "--extract-audio"];
        Ok(match kind {
            ResolutionKind::Single => {
                let options = [AUDIO.as_slice(), &["--no-playlist"]].concat();
                single(meta, yt_dlp(url.as_str(), &options))
            }
            // An set: the host lists it with yt-dlp and makes one job per track.
            _ => expand_set(kind, meta, url.as_str(), &AUDIO),
        })
    }
}

/// Track (`/artist/track`) or set (`/artist/sets/name`), with slug-derived metadata.
fn classify(url: &Url) -> Result<(ResolutionKind, TrackMetadata), ResolveError> {
    let segments: Vec<&str> = url
        .path_segments()
        .map(|s| s.filter(|s| !s.is_empty()).collect())
        .unwrap_or_default();
    let mut meta = metadata();
    let unslug = |s: &str| s.replace(['-', '_'], " ");
    if url.host_str() == Some("on.soundcloud.com") {
        return Ok((ResolutionKind::Single, meta)); // a short link; yt-dlp follows it
    }
    match segments.as_slice() {
        [artist, "sets", set, ..] => {
            meta.artist = Some(unslug(artist));
            meta.album = Some(unslug(set));
            Ok((ResolutionKind::Playlist, meta))
        }
        [artist, track, ..] if !RESERVED.contains(artist) && !RESERVED.contains(track) => {
            meta.artist = Some(unslug(artist));
            meta.title = Some(unslug(track));
            Ok((ResolutionKind::Single, meta))
        }
        _ => Err(ResolveError::Unsupported(
            "not a SoundCloud track or set URL".into(),
        )),
    }
}

/// Prefers what the page says over the slugs.
fn from_page(html: &str, fallback: TrackMetadata) -> TrackMetadata {
    let mut meta = fallback;
    if let Some(title) = scrape::meta_content(html, "og:title") {
        if meta.album.is_some() {
            meta.album = Some(title);
        } else {
            meta.title = Some(title);
        }
    }
    if let Some(artist) = scrape::meta_content(html, "soundcloud:user")
        .and_then(|u| u.rsplit('/').next().map(str::to_owned))
        .or_else(|| scrape::meta_content(html, "twitter:audio:artist_name"))
    {
        meta.artist = Some(artist);
    }
    meta.cover_url = scrape::meta_content(html, "og:image").or(meta.cover_url);
    meta
}

register_plugin!(SoundCloud);

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(raw: &str) -> Option<String> {
        let url = SoundCloud::parse(raw).ok()?;
        classify(&url).ok().map(|(k, _)| format!("{k:?}"))
    }

    #[test]
    fn tracks_and_sets_are_told_apart() {
        assert_eq!(
            kind("https://soundcloud.com/artist-x/my-song").as_deref(),
            Some("ResolutionKind::Single")
        );
        assert_eq!(
            kind("https://soundcloud.com/artist-x/sets/my-ep").as_deref(),
            Some("ResolutionKind::Playlist")
        );
        assert_eq!(
            kind("https://m.soundcloud.com/artist-x/my-song").as_deref(),
            Some("ResolutionKind::Single")
        );
        assert_eq!(kind("https://soundcloud.com/discover/sets"), None);
        assert_eq!(kind("https://soundcloud.com/artist-x"), None);
    }

    #[test]
    fn page_metadata_beats_slugs() {
        let url = SoundCloud::parse("https://soundcloud.com/artist-x/my-song").unwrap();
        let (_, fallback) = classify(&url).unwrap();
        assert_eq!(fallback.title.as_deref(), Some("my song"));
        let html = r#"<meta property="og:title" content="My Song"><meta property="og:image" content="https://i1.sndcdn.com/a.jpg">
            <meta property="twitter:audio:artist_name" content="Artist X">"#;
        let meta = from_page(html, fallback);
        assert_eq!(meta.title.as_deref(), Some("My Song"));
        assert_eq!(meta.artist.as_deref(), Some("Artist X"));
        assert_eq!(
            meta.cover_url.as_deref(),
            Some("https://i1.sndcdn.com/a.jpg")
        );
    }
}
