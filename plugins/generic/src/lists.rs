//! Playlist files: an M3U (`.m3u`, `.m3u8`) or PLS (`.pls`) list of media links becomes a
//! playlist of direct downloads, read here because yt-dlp takes every `.m3u` for an HLS
//! stream. An HLS manifest (any `#EXT-X-` tag) is not a list: it stays with yt-dlp.
//!
//! Links are resolved against the list's URL, http(s) only, without duplicates, at most
//! `MAX_ENTRIES`; `#EXTINF:<seconds>,<artist> - <title>` (M3U) and `TitleN=` / `LengthN=`
//! (PLS) give each entry its title, artist and duration.

use nas_music_plugin_sdk::HttpResponse;
use nas_music_plugin_sdk::prelude::*;

/// The most entries taken from one list (the host's largest playlist cap).
pub const MAX_ENTRIES: usize = 10_000;

const M3U_TYPES: &[&str] = &["audio/x-mpegurl", "audio/mpegurl", "application/x-mpegurl"];
const PLS_TYPES: &[&str] = &["audio/x-scpls", "audio/scpls"];

/// A playlist of the list's links, or `None` when the response is not a list (or lists
/// nothing usable).
pub fn playlist_from_list(url: &Url, response: &HttpResponse) -> Option<Resolution> {
    let content_type = header(response, "content-type").unwrap_or_default();
    let path = url.path().to_ascii_lowercase();
    let text = String::from_utf8_lossy(&response.body);
    let body = text.trim_start_matches('\u{feff}').trim_start();
    let entries = if PLS_TYPES.iter().any(|t| content_type.starts_with(t))
        || path.ends_with(".pls")
        || body.to_ascii_lowercase().starts_with("[playlist]")
    {
        pls_entries(url, body)
    } else if M3U_TYPES.iter().any(|t| content_type.starts_with(t))
        || path.ends_with(".m3u")
        || path.ends_with(".m3u8")
        || body.starts_with("#EXTM3U")
    {
        m3u_entries(url, body)?
    } else {
        return None;
    };
    if entries.is_empty() {
        return None;
    }
    let mut meta = metadata();
    meta.title = m3u_directive(body, "#PLAYLIST:").or_else(|| scrape::title_from_path(url.path()));
    Some(Resolution {
        metadata: meta,
        kind: ResolutionKind::Playlist,
        entries,
    })
}

fn header(response: &HttpResponse, name: &str) -> Option<String> {
    response
        .headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.to_ascii_lowercase())
}

/// The entries of an extended or plain M3U; `None` for an HLS manifest.
fn m3u_entries(list: &Url, body: &str) -> Option<Vec<ResolvedEntry>> {
    if body.lines().any(|l| l.trim_start().starts_with("#EXT-X-")) {
        return None;
    }
    let mut entries = Entries::new(list);
    let mut info: Option<(Option<f64>, Option<String>)> = None;
    for line in body.lines().map(str::trim) {
        if let Some(rest) = line.strip_prefix("#EXTINF:") {
            let (seconds, display) = rest.split_once(',').unwrap_or((rest, ""));
            info = Some((seconds.trim().parse().ok(), clean(display)));
        } else if !line.is_empty() && !line.starts_with('#') {
            let (seconds, display) = info.take().unwrap_or((None, None));
            entries.push(line, display, seconds);
        }
    }
    Some(entries.done())
}

/// The entries of a PLS list, by their number (`File1`, `Title1`, `Length1`, …).
fn pls_entries(list: &Url, body: &str) -> Vec<ResolvedEntry> {
    let mut files: Vec<(u32, String)> = Vec::new();
    let mut titles = std::collections::HashMap::new();
    let mut lengths = std::collections::HashMap::new();
    for line in body.lines().map(str::trim) {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let numbered = |prefix: &str| key.strip_prefix(prefix)?.parse::<u32>().ok();
        if let Some(n) = numbered("file") {
            files.push((n, value.trim().to_owned()));
        } else if let Some(n) = numbered("title") {
            titles.insert(n, value.to_owned());
        } else if let Some(n) = numbered("length") {
            lengths.insert(n, value.trim().parse::<f64>().ok());
        }
    }
    files.sort_by_key(|(n, _)| *n);
    let mut entries = Entries::new(list);
    for (n, link) in files {
        let seconds = lengths.get(&n).copied().flatten();
        entries.push(&link, titles.get(&n).and_then(|t| clean(t)), seconds);
    }
    entries.done()
}

/// The value of an M3U directive such as `#PLAYLIST:`.
fn m3u_directive(body: &str, name: &str) -> Option<String> {
    body.lines()
        .find_map(|l| l.trim().strip_prefix(name))
        .and_then(clean)
}

/// Trimmed, control characters removed, at most 512 bytes; `None` when empty.
fn clean(text: &str) -> Option<String> {
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let text = text.trim();
    (!text.is_empty() && text.len() <= 512).then(|| text.to_owned())
}

/// Entries collected in order, without duplicates, bounded.
struct Entries<'a> {
    list: &'a Url,
    seen: std::collections::HashSet<String>,
    out: Vec<ResolvedEntry>,
}

impl<'a> Entries<'a> {
    fn new(list: &'a Url) -> Self {
        Self {
            list,
            seen: std::collections::HashSet::new(),
            out: Vec::new(),
        }
    }

    /// Adds `link` (resolved against the list) with its `display` text: `Artist - Title`
    /// when it has the separator, else the title. Non-http(s) links are left out.
    fn push(&mut self, link: &str, display: Option<String>, seconds: Option<f64>) {
        if self.out.len() >= MAX_ENTRIES {
            return;
        }
        let Ok(url) = self.list.join(link) else {
            return;
        };
        if !matches!(url.scheme(), "http" | "https") || !self.seen.insert(url.to_string()) {
            return;
        }
        let mut meta = metadata();
        match display.as_deref().and_then(|d| d.split_once(" - ")) {
            Some((artist, title)) => {
                meta.artist = clean(artist);
                meta.title = clean(title);
            }
            None => meta.title = display,
        }
        if meta.title.is_none() {
            meta.title = scrape::title_from_path(url.path());
        }
        meta.duration_seconds = seconds.filter(|s| s.is_finite() && *s > 0.0);
        self.out.push(ResolvedEntry {
            metadata: meta,
            action: direct(url.as_str()),
        });
    }

    fn done(self) -> Vec<ResolvedEntry> {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(content_type: &str, body: &str) -> HttpResponse {
        HttpResponse {
            status: 200,
            headers: vec![("Content-Type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        }
    }

    fn list_url(path: &str) -> Url {
        Url::parse(&format!("https://radio.example.org/lists/{path}")).unwrap()
    }

    fn urls(r: &Resolution) -> Vec<String> {
        r.entries
            .iter()
            .map(|e| match &e.action {
                FetchAction::Direct(u) => u.clone(),
                other => panic!("not direct: {other:?}"),
            })
            .collect()
    }

    #[test]
    fn an_extended_m3u_becomes_a_playlist_of_direct_entries_with_their_names() {
        let body = "#EXTM3U\n#PLAYLIST:Evening Set\n#EXTINF:215,Ana Lua - First Light\n\
                    01.mp3\n\n#EXTINF:-1,Untitled Take\nhttps://cdn.example.net/b.ogg\n\
                    # a comment\n/abs/c.flac\n01.mp3\nftp://example.org/d.mp3\n";
        let r = playlist_from_list(&list_url("set.m3u"), &response("text/plain", body)).unwrap();
        assert!(matches!(r.kind, ResolutionKind::Playlist));
        assert_eq!(r.metadata.title.as_deref(), Some("Evening Set"));
        assert_eq!(
            urls(&r),
            [
                "https://radio.example.org/lists/01.mp3",
                "https://cdn.example.net/b.ogg",
                "https://radio.example.org/abs/c.flac",
            ],
            "resolved, http(s) only, no duplicates"
        );
        let first = &r.entries[0].metadata;
        assert_eq!(first.artist.as_deref(), Some("Ana Lua"));
        assert_eq!(first.title.as_deref(), Some("First Light"));
        assert_eq!(first.duration_seconds, Some(215.0));
        let second = &r.entries[1].metadata;
        assert_eq!(
            (second.artist.as_deref(), second.title.as_deref()),
            (None, Some("Untitled Take"))
        );
        assert_eq!(second.duration_seconds, None, "-1 is unknown");
        assert_eq!(r.entries[2].metadata.title.as_deref(), Some("c"));
    }

    #[test]
    fn an_hls_manifest_is_not_a_list() {
        let body = "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\nseg1.ts\n";
        let hls = response("application/vnd.apple.mpegurl", body);
        assert!(playlist_from_list(&list_url("live.m3u8"), &hls).is_none());
    }

    #[test]
    fn a_pls_list_is_read_by_entry_number() {
        let body = "[playlist]\nFile2=two.mp3\nTitle2=Second\nFile1=http://stream.example.org:8000/one\n\
                    Title1=Station - Live\nLength1=-1\nLength2=180\nNumberOfEntries=2\nVersion=2\n";
        let r =
            playlist_from_list(&list_url("radio.pls"), &response("audio/x-scpls", body)).unwrap();
        assert_eq!(
            urls(&r),
            [
                "http://stream.example.org:8000/one",
                "https://radio.example.org/lists/two.mp3"
            ]
        );
        assert_eq!(r.entries[0].metadata.artist.as_deref(), Some("Station"));
        assert_eq!(r.entries[1].metadata.title.as_deref(), Some("Second"));
        assert_eq!(r.entries[1].metadata.duration_seconds, Some(180.0));
        assert_eq!(r.metadata.title.as_deref(), Some("radio"));
    }

    #[test]
    fn other_documents_and_empty_lists_are_not_lists() {
        let html = response("text/html", "<html><audio src=a.mp3></audio></html>");
        assert!(playlist_from_list(&list_url("page.html"), &html).is_none());
        let empty = response("audio/x-mpegurl", "#EXTM3U\n# nothing\n");
        assert!(playlist_from_list(&list_url("empty.m3u"), &empty).is_none());
    }

    #[test]
    fn a_huge_list_is_bounded_sec_42() {
        let body: String = (0..MAX_ENTRIES + 500)
            .map(|i| format!("t{i}.mp3\n"))
            .collect();
        let r =
            playlist_from_list(&list_url("big.m3u"), &response("audio/x-mpegurl", &body)).unwrap();
        assert_eq!(r.entries.len(), MAX_ENTRIES);
    }
}
