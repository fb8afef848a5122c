//! `generic`: the catch-all for http(s) URLs no other plugin claimed (lowest priority).
//!
//! It reads the page once. An HTML page with two or more `<audio>` elements becomes a
//! playlist: one direct download per element (its `src`, or its first http(s)
//! `<source src>`, resolved against the page URL, duplicates dropped), titled by the tag's
//! `title` or `data-title` attribute or else the file name, under the page's `<title>`.
//! An RSS or Atom feed (by its content type, or by its root element `<rss>`/`<feed>` when the
//! server calls it plain XML or text) is a set the host lists with yt-dlp (`expand_set`):
//! one job per item, so a podcast or a radio show's archive becomes one file per episode.
//! An M3U or PLS list of media links is read here (`lists`) into a playlist of direct
//! downloads (yt-dlp would take it for an HLS stream).
//! Everything else — the page cannot be fetched, is not HTML, has zero or one audio link —
//! goes to yt-dlp as a single item, as yt-dlp knows far more sites than this plugin does.
//!
//! `HOSTS = ["*"]`: users paste arbitrary pages, so this plugin may read any host. The host
//! still applies its address policy (no private addresses unless allowed), the body cap and
//! the deadline on every redirect hop; a site-specific plugin should declare its own hosts.

use nas_music_plugin_sdk::HttpResponse;
use nas_music_plugin_sdk::prelude::*;

mod lists;

struct Generic;

/// Audio extraction, a single item even if the page is a playlist.
const OPTIONS: &[&str] = &[
    "--format",
    "bestaudio/best",
    "--extract-audio",
    "--no-playlist",
];

/// What each item of a feed is downloaded with.
const FEED_ITEM_OPTIONS: &[&str] = &["--format", "bestaudio/best", "--extract-audio"];

/// Content types of feeds; `text/xml` and friends are checked by their root element.
const FEED_TYPES: &[&str] = &["application/rss+xml", "application/atom+xml"];
const XML_TYPES: &[&str] = &[
    "application/xml",
    "text/xml",
    "text/plain",
    "application/octet-stream",
];

impl Extractor for Generic {
    const NAME: &'static str = "generic";
    const DESCRIPTION: &'static str =
        "Any other http(s) URL: pages with several <audio> links as a playlist, else yt-dlp";
    const PATTERNS: &'static [&'static str] = &["http://*", "https://*"];
    const PRIORITY: i32 = -100;
    const HOSTS: &'static [&'static str] = &["*"];

    fn resolve(url: &Url) -> Result<Resolution, ResolveError> {
        let page = http_get(
            url.as_str(),
            &[(
                "Accept",
                "text/html, application/rss+xml, application/atom+xml, audio/x-mpegurl, audio/x-scpls, application/xml;q=0.9, */*;q=0.8",
            )],
        );
        Ok(resolution(url, page.ok()))
    }
}

register_plugin!(Generic);

/// A feed to expand; a playlist when `page` is an M3U/PLS list or an HTML page with two or
/// more audio links; else yt-dlp on `url`.
fn resolution(url: &Url, page: Option<HttpResponse>) -> Resolution {
    let page = page.filter(|r| (200..300).contains(&r.status));
    if let Some(feed) = page.as_ref().and_then(|r| feed(url, r)) {
        return feed;
    }
    if let Some(list) = page
        .as_ref()
        .and_then(|r| lists::playlist_from_list(url, r))
    {
        return list;
    }
    page.filter(|r| is_html(&r.headers))
        .and_then(|r| playlist_from_page(url, &String::from_utf8_lossy(&r.body)))
        .unwrap_or_else(|| single(metadata(), yt_dlp(url.as_str(), OPTIONS)))
}

/// An RSS or Atom feed becomes a set for the host to list; its title names the album.
fn feed(url: &Url, response: &HttpResponse) -> Option<Resolution> {
    let content_type = response
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        .map(|(_, value)| value.to_ascii_lowercase())
        .unwrap_or_default();
    let declared = FEED_TYPES.iter().any(|t| content_type.starts_with(t));
    let maybe = content_type.is_empty() || XML_TYPES.iter().any(|t| content_type.starts_with(t));
    let text = String::from_utf8_lossy(&response.body);
    if !(declared || (maybe && is_feed_document(&text))) {
        return None;
    }
    let mut meta = metadata();
    meta.title = scrape::title(&text);
    meta.album = meta.title.clone();
    // yt-dlp does not report a feed's author; podcasts name it in <itunes:author>, Atom
    // feeds in <author><name>.
    meta.album_artist = element_text(&text, "itunes:author").or_else(|| {
        let lower = text.to_ascii_lowercase();
        let author = lower.find("<author")?;
        element_text(text.get(author..)?, "name")
    });
    Some(expand_set(
        ResolutionKind::Playlist,
        meta,
        url.as_str(),
        FEED_ITEM_OPTIONS,
    ))
}

/// The trimmed, entity-decoded text of the first `<name>…</name>` element (no nesting).
fn element_text(text: &str, name: &str) -> Option<String> {
    let lower = text.to_ascii_lowercase();
    let open = format!("<{name}>");
    let start = lower.find(&open)? + open.len();
    let end = start + lower.get(start..)?.find(&format!("</{name}>"))?;
    let raw = text.get(start..end)?.trim();
    let raw = raw
        .strip_prefix("<![CDATA[")
        .and_then(|r| r.strip_suffix("]]>"))
        .unwrap_or(raw);
    let value = scrape::unescape(raw.trim());
    (!value.is_empty() && value.len() <= 512).then_some(value)
}

/// Whether the document's root element is `<rss>` or `<feed>` (after the XML declaration,
/// comments, processing instructions and a doctype).
fn is_feed_document(text: &str) -> bool {
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    for _ in 0..64 {
        if let Some(after) = rest.strip_prefix("<?") {
            rest = after.split_once("?>").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!--") {
            rest = after.split_once("-->").map_or("", |(_, r)| r).trim_start();
        } else if let Some(after) = rest.strip_prefix("<!") {
            rest = after.split_once('>').map_or("", |(_, r)| r).trim_start();
        } else {
            break;
        }
    }
    let Some(tag) = rest.strip_prefix('<') else {
        return false;
    };
    let name: String = tag
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, ':' | '-' | '_'))
        .collect::<String>()
        .to_ascii_lowercase();
    // A namespace prefix (`<atom:feed>`) names the same element.
    let local = name.rsplit(':').next().unwrap_or("");
    matches!(local, "rss" | "feed")
}

fn is_html(headers: &[(String, String)]) -> bool {
    headers.iter().any(|(name, value)| {
        name.eq_ignore_ascii_case("content-type")
            && ["text/html", "application/xhtml+xml"]
                .iter()
                .any(|t| value.to_ascii_lowercase().starts_with(t))
    })
}

/// A playlist of the page's audio links, or `None` when it has fewer than two.
fn playlist_from_page(page: &Url, html: &str) -> Option<Resolution> {
    let links = audio_links(page, html);
    if links.len() < 2 {
        return None;
    }
    let entries = links
        .into_iter()
        .map(|(link, title)| {
            let mut meta = metadata();
            meta.title = title.or_else(|| scrape::title_from_path(link.path()));
            ResolvedEntry {
                metadata: meta,
                action: direct(link.as_str()),
            }
        })
        .collect();
    let mut meta = metadata();
    meta.title = scrape::title(html);
    Some(Resolution {
        metadata: meta,
        kind: ResolutionKind::Playlist,
        entries,
    })
}

/// The most links taken from one page: the host's largest playlist cap
/// (MAX_PLAYLIST_ENTRIES); it refuses larger playlists anyway.
const MAX_LINKS: usize = 10_000;

/// One link per `<audio>` element — its `src`, else its first `<source src>` — resolved
/// against the page, http(s) only, without duplicates; with the tag's `title`/`data-title`.
/// Linear in the page (a set remembers what was seen) and bounded: a page with 100,000
/// `<audio>` tags costs one pass, not a quadratic scan that runs into the deadline (SEC-42).
fn audio_links(page: &Url, html: &str) -> Vec<(Url, Option<String>)> {
    let mut links: Vec<(Url, Option<String>)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for element in audio_elements(html) {
        if links.len() >= MAX_LINKS {
            break;
        }
        let element_tags = [tags(element, "audio"), tags(element, "source")].concat();
        let Some((link, tag)) = element_tags
            .iter()
            .find_map(|tag| Some((media_link(page, tag)?, *tag)))
        else {
            continue;
        };
        if !seen.insert(link.as_str().to_owned()) {
            continue;
        }
        // The source's own title, else the `<audio>` element's.
        let title = [tag, element_tags[0]]
            .iter()
            .find_map(|t| title_attribute(t));
        links.push((link, title));
    }
    links
}

/// A tag's `src`, resolved against the page, if it is an http(s) URL.
fn media_link(page: &Url, tag: &str) -> Option<Url> {
    let src = scrape::unescape(scrape::attribute(tag, "src")?.trim());
    let link = page.join(&src).ok()?;
    matches!(link.scheme(), "http" | "https").then_some(link)
}

fn title_attribute(tag: &str) -> Option<String> {
    let title = scrape::attribute(tag, "title").or_else(|| scrape::attribute(tag, "data-title"))?;
    let title = scrape::unescape(title.trim());
    (!title.is_empty()).then_some(title)
}

/// Each `<audio>` element's source text, up to its `</audio>` (or the next `<audio>`).
fn audio_elements(html: &str) -> Vec<&str> {
    let lower = html.to_ascii_lowercase();
    let starts = tag_starts(&lower, "audio");
    starts
        .iter()
        .enumerate()
        .map(|(i, &start)| {
            let limit = starts.get(i + 1).copied().unwrap_or(html.len());
            let end = lower[start..limit]
                .find("</audio")
                .map_or(limit, |e| start + e);
            &html[start..end]
        })
        .collect()
}

/// The text of each `<name …>` tag in `html`, without its closing `>`.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    tag_starts(&html.to_ascii_lowercase(), name)
        .into_iter()
        .filter_map(|start| Some(&html[start..start + html[start..].find('>')?]))
        .collect()
}

/// Where each `<name` tag starts in lower-cased HTML (`<audio …`, not `<audiox`).
fn tag_starts(lower: &str, name: &str) -> Vec<usize> {
    let open = format!("<{name}");
    lower
        .match_indices(&open)
        .map(|(i, _)| i)
        .filter(|&i| {
            let next = lower.as_bytes().get(i + open.len());
            next.is_none_or(|b| b.is_ascii_whitespace() || b"/>".contains(b))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page() -> Url {
        Url::parse("https://example.org/albums/live/index.html").unwrap()
    }

    fn links(html: &str) -> Vec<(String, Option<String>)> {
        audio_links(&page(), html)
            .into_iter()
            .map(|(url, title)| (url.to_string(), title))
            .collect()
    }

    #[test]
    fn a_page_with_100k_audio_tags_is_read_in_one_pass_and_bounded_sec_42() {
        // Every second tag repeats the one before: 50,000 distinct links in 100,000 tags.
        let html: String = (0..100_000)
            .map(|i| format!("<audio src=\"/t/{}.mp3\"></audio>", i / 2))
            .collect();
        let found = audio_links(&page(), &html);
        assert_eq!(found.len(), MAX_LINKS);
        assert_eq!(found[1].0.path(), "/t/1.mp3", "duplicates are skipped");
        let distinct: std::collections::HashSet<_> = found.iter().map(|(u, _)| u).collect();
        assert_eq!(distinct.len(), MAX_LINKS);
    }

    #[test]
    fn relative_and_absolute_links_are_resolved_against_the_page() {
        let html = r#"<AUDIO controls SRC="01%20Intro.mp3"></AUDIO>
            <audio src='/shared/two.ogg'></audio>
            <audio src=https://cdn.example.net/three.m4a?a=1&amp;b=2></audio>"#;
        assert_eq!(
            links(html),
            [
                (
                    "https://example.org/albums/live/01%20Intro.mp3".into(),
                    None
                ),
                ("https://example.org/shared/two.ogg".into(), None),
                ("https://cdn.example.net/three.m4a?a=1&b=2".into(), None),
            ]
        );
    }

    #[test]
    fn one_link_per_audio_element_from_its_sources_without_duplicates() {
        let html = r#"<audio title="First &amp; Best"><source src="a.ogg"><source src="a.mp3"></audio>
            <audio><source data-title="Second" src="b.mp3"></audio>
            <audio src="a.ogg"></audio>
            <picture><source srcset="x.webp"></picture><audiox src="no.mp3">"#;
        assert_eq!(
            links(html),
            [
                (
                    "https://example.org/albums/live/a.ogg".into(),
                    Some("First & Best".into())
                ),
                (
                    "https://example.org/albums/live/b.mp3".into(),
                    Some("Second".into())
                ),
            ]
        );
    }

    #[test]
    fn non_http_links_are_refused() {
        let html = r#"<audio src="javascript:alert(1)"></audio><audio src="data:audio/mp3;base64,AA"></audio>
            <audio src="ftp://example.org/a.mp3"></audio><audio src="blob:https://example.org/x"></audio>
            <audio><source src="file:///etc/passwd"><source src="ok.mp3"></audio>"#;
        assert_eq!(
            links(html),
            [("https://example.org/albums/live/ok.mp3".into(), None)]
        );
    }

    #[test]
    fn two_links_make_a_playlist_titled_by_the_page() {
        let html = r#"<html><head><title>Live &amp; Loud</title></head><body>
            <audio src="/media/My_Song.mp3"></audio><audio src="b.flac" title="B side"></audio>"#;
        let playlist = playlist_from_page(&page(), html).unwrap();
        assert!(matches!(playlist.kind, ResolutionKind::Playlist));
        assert_eq!(playlist.metadata.title.as_deref(), Some("Live & Loud"));
        let entries: Vec<_> = playlist
            .entries
            .iter()
            .map(|e| match &e.action {
                FetchAction::Direct(url) => (url.as_str(), e.metadata.title.as_deref()),
                FetchAction::YtDlp(_) | FetchAction::YtDlpExpand(_) => {
                    panic!("expected direct downloads")
                }
            })
            .collect();
        assert_eq!(
            entries,
            [
                ("https://example.org/media/My_Song.mp3", Some("My Song")),
                ("https://example.org/albums/live/b.flac", Some("B side")),
            ]
        );
    }

    #[test]
    fn zero_or_one_link_is_not_a_playlist() {
        let one = r#"<title>One</title><audio src="a.mp3"></audio><audio src="a.mp3"></audio>"#;
        assert!(playlist_from_page(&page(), one).is_none());
        assert!(playlist_from_page(&page(), "<p>no audio here</p>").is_none());
    }

    #[test]
    fn only_html_responses_are_scanned() {
        let header = |v: &str| vec![("Content-Type".to_owned(), v.to_owned())];
        assert!(is_html(&header("text/html; charset=utf-8")));
        assert!(is_html(&header("application/xhtml+xml")));
        assert!(!is_html(&header("audio/mpeg")));
        assert!(!is_html(&[]));
    }

    #[test]
    fn broken_markup_does_not_panic() {
        for html in [
            "<audio",
            "<audio src=",
            "<audio><source",
            "<audio src='é",
            "é<audio>é",
        ] {
            let _ = playlist_from_page(&page(), html);
        }
    }

    fn response(status: u16, content_type: &str, body: &str) -> Option<HttpResponse> {
        Some(HttpResponse {
            status,
            headers: vec![("content-type".into(), content_type.into())],
            body: body.as_bytes().to_vec(),
        })
    }

    #[test]
    fn an_html_page_with_two_links_is_a_playlist_and_anything_else_goes_to_yt_dlp() {
        let url = Generic::parse("https://example.org/albums/live/index.html").unwrap();
        let two = r#"<audio src="a.mp3"></audio><audio src="b.mp3"></audio>"#;
        let playlist = resolution(&url, response(200, "text/html", two));
        assert!(matches!(playlist.kind, ResolutionKind::Playlist));
        assert_eq!(playlist.entries.len(), 2);
        for page in [
            None,                                            // unreachable
            response(404, "text/html", two),                 // an error page
            response(200, "text/plain", two),                // not HTML
            response(200, "text/html", "<audio src=a.mp3>"), // one link
        ] {
            let single = resolution(&url, page);
            assert!(matches!(single.kind, ResolutionKind::Single));
            match &single.entries[..] {
                [entry] => assert!(
                    matches!(&entry.action, FetchAction::YtDlp(f) if f.url == url.as_str() && f.options == OPTIONS)
                ),
                _ => panic!("expected one entry"),
            }
        }
    }

    #[test]
    fn feeds_are_sets_for_the_host_to_list() {
        let url = Generic::parse("https://example.org/podcast/feed").unwrap();
        let rss = "<?xml version=\"1.0\"?>\n<!-- a feed -->\n<rss version=\"2.0\"><channel><title>Probe &amp; Radio</title><itunes:author><![CDATA[ Probe Host ]]></itunes:author></channel></rss>";
        let atom = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Atom Show</title><author><name>Probe Host</name></author></feed>";
        for (content_type, body, title) in [
            ("application/rss+xml; charset=utf-8", rss, "Probe & Radio"),
            ("text/xml", rss, "Probe & Radio"),
            ("application/xml", atom, "Atom Show"),
            ("application/atom+xml", atom, "Atom Show"),
        ] {
            let set = resolution(&url, response(200, content_type, body));
            match &set.entries[..] {
                [entry] => assert!(
                    matches!(&entry.action, FetchAction::YtDlpExpand(f) if f.url == url.as_str() && f.options == FEED_ITEM_OPTIONS),
                    "{content_type}"
                ),
                _ => panic!("expected one entry"),
            }
            assert_eq!(set.metadata.title.as_deref(), Some(title));
            assert_eq!(set.metadata.album.as_deref(), Some(title));
            assert_eq!(set.metadata.album_artist.as_deref(), Some("Probe Host"));
        }
        // XML that is not a feed, and a feed-looking HTML page, are not sets.
        for (content_type, body) in [
            ("text/xml", "<playlist><title>x</title></playlist>"),
            ("text/html", rss),
            ("text/xml", "<?xml"),
            ("text/plain", ""),
        ] {
            let other = resolution(&url, response(200, content_type, body));
            assert!(
                !matches!(&other.entries[0].action, FetchAction::YtDlpExpand(_)),
                "{content_type} {body}"
            );
        }
    }

    #[test]
    fn priority_is_the_lowest() {
        assert_eq!(Generic::PRIORITY, -100);
        assert!(Generic::parse("ftp://x.org/a").is_err());
    }
}
