//! Test fixture: a plugin built against the frozen 0.2.0 interface, straight from
//! wit-bindgen (no SDK), proving the host keeps accepting it after 0.3.0 added a
//! `fetch-action` case (the host binds 0.2.0 with its own types and converts).

wit_bindgen::generate!({
    path: "../../../plugin-sdk/wit-frozen/0.2.0",
    world: "plugin",
});

use exports::nas_music::extractor::extractor::Guest;
use nas_music::extractor::host;
use nas_music::extractor::types::*;

struct Legacy;

impl Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "fixture-legacy-v0-2".into(),
            version: "0.2.0".into(),
            description: "built against nas-music:extractor@0.2.0".into(),
            patterns: vec!["legacy2.fixture.test/*".into()],
            priority: 0,
            hosts: vec![],
        }
    }

    fn resolve(url: String) -> Result<Resolution, ResolveError> {
        if host::log_enabled(LogLevel::Info) {
            host::log(LogLevel::Info, "legacy 0.2.0 plugin resolving");
        }
        let metadata = TrackMetadata {
            title: Some("legacy two".into()),
            artist: Some("Old Band".into()),
            album: None,
            album_artist: None,
            track_number: Some(2),
            duration_seconds: None,
            cover_url: None,
        };
        Ok(Resolution {
            metadata: metadata.clone(),
            kind: ResolutionKind::Single,
            entries: vec![ResolvedEntry {
                metadata,
                action: FetchAction::Direct(url),
            }],
        })
    }
}

export!(Legacy);
