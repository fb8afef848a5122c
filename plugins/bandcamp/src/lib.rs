//! `bandcamp`: Bandcamp tracks and albums → yt-dlp audio extraction, with the title, artist,
//! album and artwork the page exposes (falling back to the URL offline).

use nas_music_plugin_sdk::prelude::*;

struct Bandcamp;

impl Extractor for Bandcamp {
    const NAME: &'static str = "bandcamp";
    const DESCRIPTION: &'static str = "Bandcamp tracks and albums";
    const PATTERNS: &'static [&'static str] = &["*.bandcamp.com/track/*", "*.bandcamp.com/album/*"];
    const PRIORITY: i32 = 10;
    const HOSTS: &'static [&'static str] = &["*.bandcamp.com"];

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let (kind, fallback) = classify(url)?;
        let meta = match http_get_text(url.as_str()) {
            Ok(html) => from_page(&html, fallback, &kind),
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
            // An album: the host lists it with yt-dlp and makes one job per track.
            _ => expand_set(kind, meta, url.as_str(), &AUDIO),
        })
    }
}

/// `/track/x` → single, `/album/x` → album. Until the page says, a track's artist is the
/// subdomain and its title the URL's slug. An album's names are left to the page or, offline,
/// to yt-dlp's listing: the plugin's album names win over the listing's, so a guess from the
/// URL (lower case, hyphens) would replace the real ones.
fn classify(url: &Url) -> Result<(ResolutionKind, TrackMetadata), ResolveError> {
    let mut meta = metadata();
    let host = url.host_str().unwrap_or_default();
    let mut segments = url.path_segments().into_iter().flatten();
    let kind = match (segments.next(), segments.next()) {
        (Some("track"), Some(slug)) if !slug.is_empty() => {
            meta.artist = host.strip_suffix(".bandcamp.com").map(str::to_owned);
            meta.title = Some(slug.replace('-', " "));
            ResolutionKind::Single
        }
        (Some("album"), Some(slug)) if !slug.is_empty() => ResolutionKind::Album,
        _ => {
            return Err(ResolveError::Unsupported(
                "not a Bandcamp track or album".into(),
            ));
        }
    };
    Ok((kind, meta))
}

/// Bandcamp's `og:title` reads "Title, by Artist"; `og:site_name` is the artist.
fn from_page(html: &str, fallback: TrackMetadata, kind: &ResolutionKind) -> TrackMetadata {
    let mut meta = fallback;
    if let Some(artist) = scrape::meta_content(html, "og:site_name") {
        meta.artist = Some(artist.clone());
        meta.album_artist = Some(artist);
    }
    if let Some(og) = scrape::meta_content(html, "og:title") {
        let name = og
            .rsplit_once(", by ")
            .map_or(og.as_str(), |(n, _)| n)
            .to_owned();
        match kind {
            ResolutionKind::Album => meta.album = Some(name),
            _ => meta.title = Some(name),
        }
    }
    meta.cover_url = scrape::meta_content(html, "og:image").or(meta.cover_url);
    meta
}

register_plugin!(Bandcamp);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tracks_and_albums_are_told_apart() {
        let track = Bandcamp::parse("https://artist.bandcamp.com/track/a-song").unwrap();
        let (kind, meta) = classify(&track).unwrap();
        assert!(matches!(kind, ResolutionKind::Single));
        assert_eq!(meta.artist.as_deref(), Some("artist"));
        assert_eq!(meta.title.as_deref(), Some("a song"));
        let album = Bandcamp::parse("https://artist.bandcamp.com/album/an-album").unwrap();
        let (kind, offline) = classify(&album).unwrap();
        assert!(matches!(kind, ResolutionKind::Album));
        // Offline, the listing names the album and its artist, not a guess from the URL.
        assert_eq!(
            (offline.album, offline.album_artist, offline.artist),
            (None, None, None)
        );
        assert!(Bandcamp::parse("https://artist.bandcamp.com/merch").is_err());
        assert!(Bandcamp::parse("https://bandcamp.com.evil.org/track/x").is_err());
    }

    #[test]
    fn page_metadata_beats_the_url() {
        let url = Bandcamp::parse("https://artist.bandcamp.com/album/an-album").unwrap();
        let (kind, fallback) = classify(&url).unwrap();
        let html = r#"<meta property="og:title" content="An Album, by The Artist">
            <meta property="og:site_name" content="The Artist"><meta property="og:image" content="https://f4.bcbits.com/img/a.jpg">"#;
        let meta = from_page(html, fallback, &kind);
        assert_eq!(meta.album.as_deref(), Some("An Album"));
        assert_eq!(meta.artist.as_deref(), Some("The Artist"));
        assert_eq!(
            meta.cover_url.as_deref(),
            Some("https://f4.bcbits.com/img/a.jpg")
        );
    }
}
