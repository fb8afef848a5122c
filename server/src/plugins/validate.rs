//! Everything a plugin returns is untrusted: `info()` is checked at load, every resolution
//! before it leaves the host (SEC-2 URLs, SEC-3 yt-dlp options, sizes, text).

use super::bindings::wit;
use super::types::{
    FetchAction, PluginCallError, PluginInfo, Resolution, ResolutionKind, ResolvedEntry,
    TrackMetadata,
};
use crate::{domain::ytdlp_options::validate_plugin_options, net::check_url_syntax};
use nas_music_plugin_sdk::pattern::UrlPattern;

const MAX_ENTRIES: usize = 10_000;
const MAX_TEXT_CHARS: usize = 512;

/// Checks plugin-chosen yt-dlp options against the one allowlist (SEC-3). Everything else,
/// `--exec`, `-o`, `--config-location` … included, is refused.
pub fn check_yt_dlp_options(options: &[String]) -> Result<(), String> {
    validate_plugin_options(options)
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Validates `info()`: a plain name, parsable patterns, concrete hosts (never `*`).
pub(crate) fn plugin_info(raw: wit::PluginInfo) -> Result<PluginInfo, String> {
    let name_ok = !raw.name.is_empty()
        && raw.name.len() <= 64
        && raw
            .name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !name_ok {
        return Err(format!(
            "plugin name {:?} must be 1-64 of [a-z0-9_-]",
            raw.name
        ));
    }
    if raw.patterns.is_empty() || raw.patterns.len() > 256 {
        return Err("a plugin needs between 1 and 256 URL patterns".into());
    }
    for pattern in &raw.patterns {
        UrlPattern::parse(pattern).map_err(|e| e.to_string())?;
    }
    for host in raw.hosts.iter().filter(|h| *h != "*") {
        let concrete = host.trim_start_matches("*.");
        let valid = !concrete.is_empty()
            && !concrete.contains('*')
            && concrete
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-.:".contains(&b));
        if !valid || raw.hosts.len() > 64 {
            return Err(format!(
                "declared host {host:?} is not a host name (wildcards only as *.domain)"
            ));
        }
    }
    Ok(PluginInfo {
        name: raw.name,
        version: text(&raw.version).unwrap_or_else(|| "0.0.0".into()),
        description: text(&raw.description).unwrap_or_default(),
        patterns: raw.patterns,
        priority: raw.priority,
        hosts: raw.hosts,
    })
}

/// Converts and validates a resolution (SEC-2, SEC-3, SEC-35: never panics).
pub(crate) fn resolution(raw: wit::Resolution) -> Result<Resolution, PluginCallError> {
    let invalid = |m: String| PluginCallError::InvalidOutput(m);
    let kind = match raw.kind {
        wit::ResolutionKind::Single => ResolutionKind::Single,
        wit::ResolutionKind::Playlist => ResolutionKind::Playlist,
        wit::ResolutionKind::Album => ResolutionKind::Album,
    };
    if raw.entries.is_empty() || raw.entries.len() > MAX_ENTRIES {
        return Err(invalid(format!(
            "{} entries (1 to {MAX_ENTRIES} expected)",
            raw.entries.len()
        )));
    }
    if kind == ResolutionKind::Single && raw.entries.len() != 1 {
        return Err(invalid(
            "a single resolution must have exactly one entry".into(),
        ));
    }
    // A set to expand stands alone: the host makes its entries.
    let several_entries = raw.entries.len() > 1;
    let mut entries = Vec::with_capacity(raw.entries.len());
    for entry in raw.entries {
        let action = match entry.action {
            wit::FetchAction::YtDlp(f) => {
                check_url_syntax(&f.url).map_err(|e| invalid(format!("entry URL: {e}")))?;
                check_yt_dlp_options(&f.options).map_err(invalid)?;
                FetchAction::YtDlp {
                    url: f.url,
                    options: f.options,
                }
            }
            wit::FetchAction::Direct(url) => {
                check_url_syntax(&url).map_err(|e| invalid(format!("entry URL: {e}")))?;
                FetchAction::Direct { url }
            }
            wit::FetchAction::YtDlpExpand(f) => {
                if several_entries {
                    return Err(invalid(
                        "a yt-dlp-expand action must be the resolution's only entry".into(),
                    ));
                }
                check_url_syntax(&f.url).map_err(|e| invalid(format!("set URL: {e}")))?;
                check_yt_dlp_options(&f.options).map_err(invalid)?;
                FetchAction::ExpandYtDlp {
                    url: f.url,
                    options: f.options,
                }
            }
        };
        entries.push(ResolvedEntry {
            metadata: metadata(entry.metadata),
            action,
        });
    }
    Ok(Resolution {
        metadata: metadata(raw.metadata),
        kind,
        entries,
    })
}

/// Cleans metadata: text trimmed, control characters dropped, lengths capped; a cover URL
/// that fails SEC-2 is dropped rather than failing the job.
fn metadata(raw: wit::TrackMetadata) -> TrackMetadata {
    TrackMetadata {
        title: raw.title.as_deref().and_then(text),
        artist: raw.artist.as_deref().and_then(text),
        album: raw.album.as_deref().and_then(text),
        album_artist: raw.album_artist.as_deref().and_then(text),
        track_number: raw.track_number.filter(|n| (1..=100_000).contains(n)),
        duration_seconds: raw
            .duration_seconds
            .filter(|d| d.is_finite() && (0.0..=1.0e6).contains(d)),
        cover_url: raw.cover_url.filter(|u| check_url_syntax(u).is_ok()),
    }
}

fn text(raw: &str) -> Option<String> {
    let cleaned: String = raw
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_TEXT_CHARS)
        .collect();
    let trimmed = cleaned.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_owned())
}

/// A plugin's error message, made safe to store and show.
pub(crate) fn message(raw: &str) -> String {
    text(raw).unwrap_or_else(|| "(no message)".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(url: &str) -> wit::ResolvedEntry {
        wit::ResolvedEntry {
            metadata: empty(),
            action: wit::FetchAction::Direct(url.into()),
        }
    }

    fn empty() -> wit::TrackMetadata {
        wit::TrackMetadata {
            title: Some(" \u{7}Title\n ".into()),
            artist: None,
            album: None,
            album_artist: None,
            track_number: Some(0),
            duration_seconds: Some(f64::NAN),
            cover_url: Some("javascript:alert(1)".into()),
        }
    }

    #[test]
    fn returned_urls_must_be_http_sec_2() {
        for url in ["file:///etc/passwd", "--exec=x", "ftp://a/b", ""] {
            let raw = wit::Resolution {
                metadata: empty(),
                kind: wit::ResolutionKind::Single,
                entries: vec![entry(url)],
            };
            assert!(
                matches!(resolution(raw), Err(PluginCallError::InvalidOutput(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn a_set_to_expand_is_checked_and_stands_alone_sec_2_sec_3() {
        let expand = |url: &str, options: &[&str]| wit::ResolvedEntry {
            metadata: empty(),
            action: wit::FetchAction::YtDlpExpand(wit::YtDlpFetch {
                url: url.into(),
                options: options.iter().map(|o| (*o).into()).collect(),
            }),
        };
        let ok = resolution(wit::Resolution {
            metadata: empty(),
            kind: wit::ResolutionKind::Album,
            entries: vec![expand("https://a.org/album", &["-x"])],
        })
        .unwrap();
        assert_eq!(
            ok.entries[0].action,
            FetchAction::ExpandYtDlp {
                url: "https://a.org/album".into(),
                options: vec!["-x".into()]
            }
        );
        for bad in [
            vec![expand("file:///etc/passwd", &[])],
            vec![expand("https://a.org/a", &["--exec", "x"])],
            // Sets are expanded by the host; a plugin cannot make one job fetch a playlist.
            vec![expand("https://a.org/a", &["--yes-playlist"])],
            vec![expand("https://a.org/a", &[]), entry("https://a.org/1.mp3")],
        ] {
            let raw = wit::Resolution {
                metadata: empty(),
                kind: wit::ResolutionKind::Playlist,
                entries: bad,
            };
            assert!(matches!(
                resolution(raw),
                Err(PluginCallError::InvalidOutput(_))
            ));
        }
    }

    #[test]
    fn metadata_is_cleaned_and_shapes_are_checked_sec_35() {
        let raw = wit::Resolution {
            metadata: empty(),
            kind: wit::ResolutionKind::Single,
            entries: vec![entry("https://a.org/x.mp3")],
        };
        let ok = resolution(raw).unwrap();
        assert_eq!(ok.metadata.title.as_deref(), Some("Title"));
        assert_eq!(ok.metadata.cover_url, None);
        assert_eq!(ok.metadata.duration_seconds, None);
        assert_eq!(ok.metadata.track_number, None);
        let two = wit::Resolution {
            metadata: empty(),
            kind: wit::ResolutionKind::Single,
            entries: vec![entry("https://a.org/1"), entry("https://a.org/2")],
        };
        assert!(resolution(two).is_err());
        let none = wit::Resolution {
            metadata: empty(),
            kind: wit::ResolutionKind::Album,
            entries: vec![],
        };
        assert!(resolution(none).is_err());
    }
}
