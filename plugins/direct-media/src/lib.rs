//! `direct-media`: URLs whose path ends in an audio extension are downloaded directly.

use nas_music_plugin_sdk::prelude::*;

struct DirectMedia;

impl Extractor for DirectMedia {
    const NAME: &'static str = "direct-media";
    const DESCRIPTION: &'static str = "Direct HTTP download of audio file URLs";
    const PATTERNS: &'static [&'static str] = &[
        "*/*.mp3", "*/*.flac", "*/*.ogg", "*/*.oga", "*/*.opus", "*/*.m4a", "*/*.aac", "*/*.wav",
        "*/*.aiff", "*/*.aif", "*/*.alac", "*/*.wma", "*/*.mka",
    ];
    const PRIORITY: i32 = 50;

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let mut meta = metadata();
        meta.title = scrape::title_from_path(url.path());
        Ok(single(meta, direct(url.as_str())))
    }
}

register_plugin!(DirectMedia);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audio_file_urls_are_downloaded_directly_with_a_title() {
        let url =
            DirectMedia::parse("https://cdn.example.org/music/My%20Song_01.MP3?sig=x").unwrap();
        let resolution = DirectMedia::resolve(&url).unwrap();
        assert_eq!(resolution.metadata.title.as_deref(), Some("My Song 01"));
        assert!(
            matches!(&resolution.entries[0].action, FetchAction::Direct(u) if u == url.as_str())
        );
    }

    #[test]
    fn pages_and_video_files_are_not_claimed() {
        assert!(DirectMedia::parse("https://example.org/song.mp3/page").is_err());
        assert!(DirectMedia::parse("https://example.org/index.html").is_err());
        assert!(DirectMedia::parse("https://example.org/a.flac").is_ok());
    }

    #[test]
    fn odd_paths_do_not_panic() {
        for p in ["/", "/%", "/%zz.mp3", "/.mp3", "/%FF%FE.mp3"] {
            let _ = scrape::title_from_path(p);
        }
        assert_eq!(scrape::title_from_path("/.mp3"), None);
    }
}
