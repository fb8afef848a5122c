//! Everything a plugin returns is untrusted: `info()` is checked at load, every resolution
//! before it leaves the host (SEC-2 URLs, SEC-3 yt-dlp options, sizes, text). The checks on
//! plain values live in `nas_music_checks::plugin_output` (fuzzed, SEC-49); this module
//! converts the WIT records and applies them.

use super::bindings::wit;
use super::types::{
    FetchAction, PluginCallError, PluginInfo, Resolution, ResolutionKind, ResolvedEntry,
    TrackMetadata,
};
use crate::net::check_url_syntax;
pub use nas_music_checks::plugin_output::check_options as check_yt_dlp_options;
use nas_music_checks::plugin_output::{
    check_declared_hosts, check_entry_count, check_plugin_name, clean_text as text,
    duration_seconds, track_number,
};
use nas_music_plugin_sdk::pattern::UrlPattern;

/// Validates `info()`: a plain name, parsable patterns, concrete hosts (never `*`).
pub(crate) fn plugin_info(raw: wit::PluginInfo) -> Result<PluginInfo, String> {
    check_plugin_name(&raw.name)?;
    if raw.patterns.is_empty() || raw.patterns.len() > 256 {
        return Err("a plugin needs between 1 and 256 URL patterns".into());
    }
    for pattern in &raw.patterns {
        UrlPattern::parse(pattern).map_err(|e| e.to_string())?;
    }
    check_declared_hosts(&raw.hosts)?;
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
    check_entry_count(raw.entries.len(), kind == ResolutionKind::Single).map_err(invalid)?;
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
        track_number: track_number(raw.track_number),
        duration_seconds: duration_seconds(raw.duration_seconds),
        cover_url: raw.cover_url.filter(|u| check_url_syntax(u).is_ok()),
    }
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
