//! `youtube`: YouTube and YouTube Music videos, shorts and playlists → yt-dlp audio
//! extraction. Title, channel and thumbnail come from oEmbed when it is reachable; without
//! network the resolution still succeeds with the canonical URL.

use nas_music_plugin_sdk::prelude::*;

struct YouTube;

const AUDIO: [&str; 3] = ["--format", "bestaudio/best", "--extract-audio"];

/// What a YouTube URL points at.
#[derive(Debug, PartialEq)]
enum Target {
    Video(String),
    Playlist(String),
}

impl Extractor for YouTube {
    const NAME: &'static str = "youtube";
    const DESCRIPTION: &'static str = "YouTube / YouTube Music videos, shorts and playlists";
    const PATTERNS: &'static [&'static str] = &[
        "*.youtube.com/watch*",
        "*.youtube.com/shorts/*",
        "*.youtube.com/live/*",
        "*.youtube.com/playlist*",
        "*.youtube.com/embed/*",
        "youtu.be/*",
    ];
    const PRIORITY: i32 = 10;
    const HOSTS: &'static [&'static str] = &["www.youtube.com"];

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        match target(url)? {
            Target::Video(id) => {
                let canonical = format!("https://www.youtube.com/watch?v={id}");
                let mut options = AUDIO.to_vec();
                options.push("--no-playlist");
                Ok(single(oembed(&canonical), yt_dlp(&canonical, &options)))
            }
            Target::Playlist(list) => {
                // The host lists the playlist with yt-dlp (listing it here would need the
                // YouTube API) and downloads each entry as its own job.
                let canonical = format!("https://www.youtube.com/playlist?list={list}");
                // YouTube Music album playlists have ids starting with OLAK5uy_.
                let kind = if list.starts_with("OLAK5uy_") {
                    ResolutionKind::Album
                } else {
                    ResolutionKind::Playlist
                };
                Ok(expand_set(kind, metadata(), &canonical, &AUDIO))
            }
        }
    }
}

fn target(url: &Url) -> Result<Target, ResolveError> {
    let query = |key: &str| {
        url.query_pairs()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.into_owned())
    };
    let segments: Vec<&str> = url.path_segments().map(|s| s.collect()).unwrap_or_default();
    let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
    let id = if host == "youtu.be" {
        segments.first().map(|s| (*s).to_owned())
    } else {
        match segments.as_slice() {
            ["watch", ..] => query("v"),
            ["shorts" | "live" | "embed", id, ..] => Some((*id).to_owned()),
            ["playlist", ..] => {
                return query("list")
                    .filter(|l| valid_id(l, 10..=64))
                    .map(Target::Playlist)
                    .ok_or_else(|| ResolveError::Unsupported("playlist URL without list=".into()));
            }
            _ => None,
        }
    };
    match id {
        Some(id) if valid_id(&id, 11..=11) => Ok(Target::Video(id)),
        Some(_) => Err(ResolveError::NotFound(
            "not a valid YouTube video id".into(),
        )),
        None => Err(ResolveError::Unsupported(
            "not a YouTube video or playlist URL".into(),
        )),
    }
}

fn valid_id(id: &str, len: std::ops::RangeInclusive<usize>) -> bool {
    len.contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Metadata from oEmbed, or empty metadata (logged) when it cannot be fetched.
fn oembed(canonical: &str) -> TrackMetadata {
    let endpoint = Url::parse_with_params(
        "https://www.youtube.com/oembed",
        [("format", "json"), ("url", canonical)],
    );
    match endpoint.map(|e| http_get_json(e.as_str())) {
        Ok(Ok(json)) => metadata_from_oembed(&json),
        Ok(Err(e)) => {
            log(
                nas_music_plugin_sdk::LogLevel::Warn,
                &format!("oEmbed unavailable: {e:?}"),
            );
            metadata()
        }
        Err(_) => metadata(),
    }
}

fn metadata_from_oembed(json: &nas_music_plugin_sdk::serde_json::Value) -> TrackMetadata {
    let mut meta = metadata();
    meta.title = scrape::json_str(json, "title");
    meta.artist = scrape::json_str(json, "author_name")
        .map(|a| a.strip_suffix(" - Topic").map(str::to_owned).unwrap_or(a));
    meta.cover_url = scrape::json_str(json, "thumbnail_url");
    meta
}

register_plugin!(YouTube);

#[cfg(test)]
mod tests {
    use super::*;

    fn t(raw: &str) -> Result<Target, ResolveError> {
        target(&YouTube::parse(raw)?)
    }

    #[test]
    fn every_video_url_shape_yields_the_video_id() {
        let v = || format!("{:?}", Target::Video("dQw4w9WgXcQ".into()));
        for raw in [
            "https://www.youtube.com/watch?v=dQw4w9WgXcQ&t=1",
            "https://youtube.com/watch?feature=x&v=dQw4w9WgXcQ",
            "https://m.youtube.com/watch?v=dQw4w9WgXcQ",
            "https://music.youtube.com/watch?v=dQw4w9WgXcQ&list=RDAMVM",
            "https://youtu.be/dQw4w9WgXcQ?si=abc",
            "https://www.youtube.com/shorts/dQw4w9WgXcQ",
            "https://www.youtube.com/live/dQw4w9WgXcQ",
        ] {
            assert_eq!(format!("{:?}", t(raw).unwrap()), v(), "{raw}");
        }
    }

    #[test]
    fn playlists_are_recognised() {
        let got = t("https://music.youtube.com/playlist?list=PLx0sYbCqOb8TBPRdmBHs5Iftvv9TPboYG");
        assert!(matches!(got, Ok(Target::Playlist(l)) if l.starts_with("PLx0")));
    }

    #[test]
    fn other_urls_are_refused() {
        assert!(t("https://www.youtube.com/watch?v=short").is_err());
        assert!(t("https://www.youtube.com/watch").is_err());
        assert!(YouTube::parse("https://www.youtube.com/@channel").is_err());
        assert!(YouTube::parse("https://notyoutube.com/watch?v=dQw4w9WgXcQ").is_err());
    }

    #[test]
    fn oembed_fields_become_metadata() {
        let json = nas_music_plugin_sdk::serde_json::json!({
            "title": "Song", "author_name": "Artist - Topic", "thumbnail_url": "https://i.ytimg.com/x.jpg"
        });
        let meta = metadata_from_oembed(&json);
        assert_eq!(meta.title.as_deref(), Some("Song"));
        assert_eq!(meta.artist.as_deref(), Some("Artist"));
        assert_eq!(meta.cover_url.as_deref(), Some("https://i.ytimg.com/x.jpg"));
    }
}
