//! Test fixture: a plugin built against the frozen 0.1.0 interface, straight from
//! wit-bindgen (no SDK), proving the host keeps accepting older minor versions.

wit_bindgen::generate!({
    path: "../../../plugin-sdk/wit-frozen/0.1.0",
    world: "plugin",
});

use exports::nas_music::extractor::extractor::Guest;
use nas_music::extractor::host;
use nas_music::extractor::types::*;

struct Legacy;

impl Guest for Legacy {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "fixture-legacy-v0-1".into(),
            version: "0.1.0".into(),
            description: "built against nas-music:extractor@0.1.0".into(),
            patterns: vec!["legacy.fixture.test/*".into()],
            priority: 0,
            hosts: vec![],
        }
    }

    fn resolve(url: String) -> Result<Resolution, ResolveError> {
        host::log(LogLevel::Info, "legacy plugin resolving");
        let metadata = TrackMetadata {
            title: Some("legacy".into()),
            artist: None,
            album: None,
            album_artist: None,
            track_number: Some(1),
            duration_seconds: Some(1.5),
            cover_url: None,
        };
        Ok(Resolution {
            metadata: metadata.clone(),
            kind: ResolutionKind::Single,
            entries: vec![ResolvedEntry {
                metadata,
                action: FetchAction::YtDlp(YtDlpFetch {
                    url,
                    options: vec!["--extract-audio".into()],
                }),
            }],
        })
    }
}

export!(Legacy);
