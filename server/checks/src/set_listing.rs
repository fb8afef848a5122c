//! yt-dlp's flat listing of a set (`--flat-playlist --dump-single-json`) read into a typed
//! listing: the set's album fields and one entry per track with its own URL. Pure (no I/O)
//! and total: any input, however hostile, yields a listing or an error, never a panic
//! (SEC-35; a fuzz target, SEC-49). Every entry URL passes the URL syntax check (SEC-2)
//! after yt-dlp's `#__youtubedl_smuggle=` fragment is removed.

use crate::plugin_output::clean_text as clean;
use crate::url_policy::check_url_syntax;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// The most bytes of JSON read from yt-dlp for one listing.
pub const MAX_LISTING_BYTES: usize = 32 << 20;
/// The fragment yt-dlp appends to URLs it passes data along with (`smuggle_url`).
const SMUGGLE_MARKER: &str = "#__youtubedl_smuggle=";

/// A set as listed: what applies to every track, and the tracks in the set's order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SetListing {
    /// The set's own title (album, playlist or feed name).
    pub title: Option<String>,
    /// The album name: the site's `album`, else the set's title.
    pub album: Option<String>,
    /// The site's album artist or artist, else the uploader or channel.
    pub album_artist: Option<String>,
    pub year: Option<i32>,
    pub cover_url: Option<String>,
    pub entries: Vec<ListedEntry>,
    /// How many entries the listing holds, usable or not.
    pub listed: usize,
    /// Entries left out: not an object, no usable http(s) URL, or past the cap.
    pub dropped: usize,
}

/// One track of a set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListedEntry {
    /// The entry's own URL, smuggled data removed, checked (SEC-2).
    pub url: String,
    pub title: Option<String>,
    pub artist: Option<String>,
    /// The site's track number, else the entry's 1-based position in the listing.
    pub track_number: u32,
    pub disc_number: Option<u32>,
    pub year: Option<i32>,
    pub duration_seconds: Option<f64>,
    pub cover_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    #[error("yt-dlp's listing is not valid JSON")]
    NotJson,
    #[error("yt-dlp did not list a set at this URL")]
    NotASet,
    #[error("the set lists no downloadable entries")]
    Empty,
}

/// The fields read from the top-level object; wrong types read as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawSet {
    #[serde(rename = "_type", deserialize_with = "text")]
    kind: Option<String>,
    #[serde(deserialize_with = "text")]
    title: Option<String>,
    #[serde(deserialize_with = "text")]
    album: Option<String>,
    #[serde(deserialize_with = "text")]
    album_artist: Option<String>,
    #[serde(deserialize_with = "text")]
    artist: Option<String>,
    #[serde(deserialize_with = "text")]
    uploader: Option<String>,
    #[serde(deserialize_with = "text")]
    channel: Option<String>,
    #[serde(deserialize_with = "number")]
    release_year: Option<f64>,
    #[serde(deserialize_with = "text")]
    release_date: Option<String>,
    #[serde(deserialize_with = "text")]
    upload_date: Option<String>,
    #[serde(deserialize_with = "raw_url")]
    thumbnail: Option<String>,
    #[serde(deserialize_with = "list")]
    thumbnails: Vec<Value>,
    #[serde(deserialize_with = "list")]
    entries: Vec<Value>,
}

/// The fields read from one entry; wrong types read as absent.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct RawEntry {
    #[serde(deserialize_with = "raw_url")]
    url: Option<String>,
    #[serde(deserialize_with = "raw_url")]
    webpage_url: Option<String>,
    #[serde(deserialize_with = "text")]
    title: Option<String>,
    #[serde(deserialize_with = "text")]
    track: Option<String>,
    #[serde(deserialize_with = "text")]
    artist: Option<String>,
    #[serde(deserialize_with = "text")]
    uploader: Option<String>,
    #[serde(deserialize_with = "number")]
    track_number: Option<f64>,
    #[serde(deserialize_with = "number")]
    disc_number: Option<f64>,
    #[serde(deserialize_with = "number")]
    release_year: Option<f64>,
    #[serde(deserialize_with = "number")]
    duration: Option<f64>,
    #[serde(deserialize_with = "raw_url")]
    thumbnail: Option<String>,
    #[serde(deserialize_with = "list")]
    thumbnails: Vec<Value>,
}

/// Reads yt-dlp's `--dump-single-json` output of a flat listing. Only the first
/// `max_entries + 1` entries are read in full, so a huge set costs no more than that; a
/// listing with more still reports more (the caller refuses it, SEC-41).
pub fn parse_flat_listing(json: &str, max_entries: usize) -> Result<SetListing, ListingError> {
    if json.len() > MAX_LISTING_BYTES {
        return Err(ListingError::NotJson);
    }
    let raw: RawSet = match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => {
            serde_json::from_value(Value::Object(map)).map_err(|_| ListingError::NotJson)?
        }
        Ok(_) => return Err(ListingError::NotASet),
        Err(_) => return Err(ListingError::NotJson),
    };
    if !matches!(raw.kind.as_deref(), Some("playlist" | "multi_video")) {
        return Err(ListingError::NotASet);
    }
    let year_of_set = raw
        .release_year
        .and_then(year)
        .or_else(|| raw.release_date.as_deref().and_then(year_of_date))
        .or_else(|| raw.upload_date.as_deref().and_then(year_of_date));
    let mut listing = SetListing {
        album: raw.album.clone().or_else(|| raw.title.clone()),
        title: raw.title,
        album_artist: raw
            .album_artist
            .or(raw.artist)
            .or(raw.uploader)
            .or(raw.channel),
        year: year_of_set,
        cover_url: raw
            .thumbnail
            .and_then(checked_url)
            .or_else(|| last_thumbnail(&raw.thumbnails)),
        entries: Vec::new(),
        listed: raw.entries.len(),
        dropped: 0,
    };
    let total = listing.listed;
    for (position, value) in raw.entries.into_iter().enumerate() {
        if listing.entries.len() > max_entries {
            // Past the cap: only the count matters now.
            listing.dropped += total - position;
            break;
        }
        let index = u32::try_from(position + 1).unwrap_or(u32::MAX);
        match entry(value, index) {
            Some(e) => listing.entries.push(e),
            None => listing.dropped += 1,
        }
    }
    if listing.entries.is_empty() {
        return Err(ListingError::Empty);
    }
    Ok(listing)
}

fn entry(value: Value, index: u32) -> Option<ListedEntry> {
    if !value.is_object() {
        return None;
    }
    let raw: RawEntry = serde_json::from_value(value).ok()?;
    let url = raw
        .url
        .and_then(checked_url)
        .or_else(|| raw.webpage_url.and_then(checked_url))?;
    Some(ListedEntry {
        url,
        title: raw.track.or(raw.title),
        artist: raw.artist.or(raw.uploader),
        track_number: raw
            .track_number
            .and_then(small_number)
            .unwrap_or(index)
            .max(1),
        disc_number: raw.disc_number.and_then(small_number),
        year: raw.release_year.and_then(year),
        duration_seconds: raw
            .duration
            .filter(|d| d.is_finite() && (0.0..=1.0e6).contains(d)),
        cover_url: raw
            .thumbnail
            .and_then(checked_url)
            .or_else(|| last_thumbnail(&raw.thumbnails)),
    })
}

/// Removes yt-dlp's smuggled data (`url#__youtubedl_smuggle=…`, appended to RSS entries)
/// and returns the real URL.
pub fn unsmuggle(url: &str) -> &str {
    match url.find(SMUGGLE_MARKER) {
        Some(at) => &url[..at],
        None => url,
    }
}

/// The URL without smuggled data if it passes the syntax check (SEC-2).
fn checked_url(raw: String) -> Option<String> {
    let real = unsmuggle(&raw);
    check_url_syntax(real).ok().map(|_| real.to_owned())
}

/// yt-dlp orders thumbnails from worst to best: the last usable one.
fn last_thumbnail(thumbnails: &[Value]) -> Option<String> {
    thumbnails.iter().rev().find_map(|t| {
        t.get("url")
            .and_then(Value::as_str)
            .and_then(|u| checked_url(u.to_owned()))
    })
}

fn small_number(n: f64) -> Option<u32> {
    (n.is_finite() && n.fract() == 0.0 && (1.0..=100_000.0).contains(&n)).then_some(n as u32)
}

fn year(n: f64) -> Option<i32> {
    (n.is_finite() && n.fract() == 0.0 && (1000.0..=9999.0).contains(&n)).then_some(n as i32)
}

/// `YYYYMMDD` (yt-dlp's date format) → the year.
fn year_of_date(date: &str) -> Option<i32> {
    let digits = date.get(..4)?;
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse::<f64>().ok().and_then(year)
}

/// A text field: strings only (numbers are not titles), control characters dropped,
/// trimmed, capped; empty reads as absent.
fn text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => clean(&s),
        _ => None,
    })
}

/// A URL field: the string as it is (a URL with control characters must be refused by the
/// syntax check, never repaired into another URL).
fn raw_url<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::String(s) => Some(s),
        _ => None,
    })
}

/// A number field: numbers, or strings holding one (some extractors give "3").
fn number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) if s.len() <= 32 => s.trim().parse::<f64>().ok(),
        _ => None,
    })
}

fn list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Value>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items,
        _ => Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const FEED: &str = r#"{
        "_type": "playlist", "id": "http://127.0.0.1:1/feed.xml", "title": "Probe Radio",
        "uploader": "Probe Host", "release_year": 2021,
        "entries": [
            {"_type": "url_transparent", "url": "http://127.0.0.1:1/a.mp3#__youtubedl_smuggle=%7B%22force_videoid%22%3A+%22ep1%22%7D", "title": "Episode One", "duration": 61.5},
            {"_type": "url_transparent", "url": "http://127.0.0.1:1/b.mp3", "title": "Episode Two", "track_number": 7, "disc_number": "2"},
            {"_type": "url", "url": "https://www.youtube.com/watch?v=x", "title": "Three", "thumbnails": [{"url": "https://i.ytimg.com/a.jpg"}, {"url": "javascript:1"}]}
        ]}"#;

    #[test]
    fn a_feed_lists_its_entries_with_album_fields_and_numbers() {
        let listing = parse_flat_listing(FEED, 500).unwrap();
        assert_eq!(listing.title.as_deref(), Some("Probe Radio"));
        assert_eq!(listing.album.as_deref(), Some("Probe Radio"));
        assert_eq!(listing.album_artist.as_deref(), Some("Probe Host"));
        assert_eq!(listing.year, Some(2021));
        assert_eq!(listing.entries.len(), 3);
        let [a, b, c] = &listing.entries[..] else {
            unreachable!()
        };
        assert_eq!(a.url, "http://127.0.0.1:1/a.mp3");
        assert_eq!(a.title.as_deref(), Some("Episode One"));
        assert_eq!(a.track_number, 1);
        assert_eq!(a.duration_seconds, Some(61.5));
        assert_eq!((b.track_number, b.disc_number), (7, Some(2)));
        assert_eq!(c.track_number, 3);
        assert_eq!(c.cover_url.as_deref(), Some("https://i.ytimg.com/a.jpg"));
    }

    #[test]
    fn smuggled_data_is_removed_from_entry_urls() {
        assert_eq!(
            unsmuggle("https://a.org/x.mp3#__youtubedl_smuggle=%7B%7D"),
            "https://a.org/x.mp3"
        );
        assert_eq!(
            unsmuggle("https://a.org/x#frag#__youtubedl_smuggle=1"),
            "https://a.org/x#frag"
        );
        assert_eq!(unsmuggle("https://a.org/x#y"), "https://a.org/x#y");
    }

    #[test]
    fn entry_urls_must_be_http_sec_2() {
        let json = r##"{"_type":"playlist","entries":[
            {"url":"file:///etc/passwd"},{"url":"--exec=touch pwned"},{"url":"ftp://a/b"},
            {"url":"http://a.org/x\n--exec"},{"url":"https://user:pw@a.org/x"},
            {"url":"#__youtubedl_smuggle=https://a.org"},
            {"url":"https://ok.org/1.mp3"}]}"##;
        let listing = parse_flat_listing(json, 500).unwrap();
        assert_eq!(listing.entries.len(), 1, "{:?}", listing.entries);
        assert_eq!(listing.entries[0].url, "https://ok.org/1.mp3");
        assert_eq!(listing.entries[0].track_number, 7, "its position");
        assert_eq!(listing.dropped, 6);
        let none = r#"{"_type":"playlist","entries":[{"url":"file:///etc/passwd"}]}"#;
        assert_eq!(parse_flat_listing(none, 500), Err(ListingError::Empty));
    }

    #[test]
    fn hostile_json_is_an_error_never_a_panic_sec_35() {
        let deep = "[".repeat(100_000);
        let cases = [
            "",
            "null",
            "[]",
            "\"playlist\"",
            "{",
            "{\"_type\": \"video\", \"url\": \"https://a.org\"}",
            "{\"_type\": \"playlist\"}",
            "{\"_type\": \"playlist\", \"entries\": 5}",
            "{\"_type\": \"playlist\", \"entries\": [1, null, \"x\", [], {}]}",
            "{\"_type\": [], \"entries\": [{\"url\": \"https://a.org\"}]}",
            deep.as_str(),
        ];
        for case in cases {
            assert!(parse_flat_listing(case, 500).is_err(), "{case:.40}");
        }
        let odd = r#"{"_type":"playlist","title":42,"release_year":"nope","entries":[
            {"url":"https://a.org/1","track_number":-3,"disc_number":1e300,"duration":"NaN",
             "release_year":99999999999,"title":{"x":1},"thumbnails":"no"},
            {"url":"https://a.org/2","track_number":4.5,"title":"\u0000\u0007  "}]}"#;
        let listing = parse_flat_listing(odd, 500).unwrap();
        assert_eq!(listing.title, None);
        let [a, b] = &listing.entries[..] else {
            unreachable!()
        };
        assert_eq!((a.track_number, a.disc_number, a.year), (1, None, None));
        assert_eq!(a.duration_seconds, None);
        assert_eq!((b.track_number, b.title.as_deref()), (2, None));
    }

    #[test]
    fn text_is_cleaned_and_capped() {
        let long = "é".repeat(2_000);
        let json = format!(
            r#"{{"_type":"playlist","title":" A\u0000\nB ","entries":[{{"url":"https://a.org/1","title":"{long}"}}]}}"#
        );
        let listing = parse_flat_listing(&json, 500).unwrap();
        assert_eq!(listing.title.as_deref(), Some("AB"));
        assert_eq!(
            listing.entries[0].title.as_ref().unwrap().chars().count(),
            512
        );
    }

    #[test]
    fn a_huge_set_is_read_only_past_the_cap_sec_41() {
        let entries: Vec<String> = (0..2_000)
            .map(|i| format!(r#"{{"url":"https://a.org/{i}"}}"#))
            .collect();
        let json = format!(
            r#"{{"_type":"playlist","entries":[{}]}}"#,
            entries.join(",")
        );
        let listing = parse_flat_listing(&json, 10).unwrap();
        assert_eq!(listing.entries.len(), 11, "one more than the cap");
        assert_eq!(listing.entries.len() + listing.dropped, 2_000);
        assert_eq!(listing.listed, 2_000);
    }

    #[test]
    fn fuzzed_bytes_never_panic_sec_35() {
        let alphabet: Vec<char> = "{}[]\":,0123456789.eE-+ _typelisturnh/#\\u\u{0}é"
            .chars()
            .collect();
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state
        };
        for _ in 0..5_000 {
            let len = (next() % 200) as usize;
            let s: String = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            let _ = parse_flat_listing(&s, 5);
            let _ = parse_flat_listing(&format!(r#"{{"_type":"playlist","entries":[{s}]}}"#), 5);
        }
    }
}
