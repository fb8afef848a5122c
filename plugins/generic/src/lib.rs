//! `generic`: hands any http(s) URL nobody else claimed to yt-dlp (lowest priority).

use nas_music_plugin_sdk::prelude::*;

struct Generic;

/// Audio extraction, a single item even if the page is a playlist.
const OPTIONS: &[&str] = &[
    "--format",
    "bestaudio/best",
    "--extract-audio",
    "--no-playlist",
];

impl Extractor for Generic {
    const NAME: &'static str = "generic";
    const DESCRIPTION: &'static str = "Any other http(s) URL, handed to yt-dlp";
    const PATTERNS: &'static [&'static str] = &["http://*", "https://*"];
    const PRIORITY: i32 = -100;

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        Ok(single(metadata(), yt_dlp(url.as_str(), OPTIONS)))
    }
}

register_plugin!(Generic);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_http_url_goes_to_yt_dlp() {
        let url = Generic::parse("https://vimeo.com/12345").unwrap();
        let resolution = Generic::resolve(&url).unwrap();
        assert!(matches!(resolution.kind, ResolutionKind::Single));
        match &resolution.entries[0].action {
            FetchAction::YtDlp(f) => assert_eq!(f.url, "https://vimeo.com/12345"),
            FetchAction::Direct(_) => panic!("expected yt-dlp"),
        }
    }

    #[test]
    fn priority_is_the_lowest() {
        assert_eq!(Generic::PRIORITY, -100);
        assert!(Generic::parse("ftp://x.org/a").is_err());
    }
}
