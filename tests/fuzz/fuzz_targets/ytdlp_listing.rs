//! SEC-49 (SEC-2, SEC-35): yt-dlp's flat listing of a set (`--dump-single-json`), whatever
//! a site or an extractor put in it, is read without a panic into entries whose URLs are
//! checked http(s) URLs without smuggled data, within the cap.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nas_music_checks::set_listing::parse_flat_listing;
use nas_music_checks::url_policy::check_url_syntax;

fuzz_target!(|input: (u8, &str)| {
    let (cap, json) = input;
    let cap = usize::from(cap);
    let Ok(listing) = parse_flat_listing(json, cap) else {
        return;
    };
    assert!(!listing.entries.is_empty());
    // The parser reads one entry past the cap so that the caller can refuse the set whole.
    assert!(
        listing.entries.len() <= cap + 1,
        "{} entries read with a cap of {cap}",
        listing.entries.len()
    );
    assert!(listing.entries.len() <= cap || listing.listed > cap);
    assert!(listing.listed >= listing.entries.len());
    for entry in &listing.entries {
        assert!(check_url_syntax(&entry.url).is_ok(), "{:?}", entry.url);
        assert!(
            !entry.url.contains("#__youtubedl_smuggle="),
            "{:?}",
            entry.url
        );
        assert!(entry.track_number >= 1);
        if let Some(d) = entry.duration_seconds {
            assert!(d.is_finite() && d >= 0.0);
        }
        for text in [&entry.title, &entry.artist].into_iter().flatten() {
            assert!(!text.chars().any(char::is_control), "{text:?}");
        }
    }
});
