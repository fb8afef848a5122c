//! Host bindings for every interface version the host accepts, side by side.
//!
//! The component model checks types exactly, so each version whose types differ gets its own
//! generated types: 0.3.0 (current) added a `fetch-action` case, so 0.2.0 is bound with its
//! own types and converted into the current ones here (every 0.2.0 value has the same
//! meaning in 0.3.0). 0.1.0 and 0.2.0 share their types (`with`): 0.2.0 only added a function.

/// The current interface, `nas-music:extractor@0.3.0`.
pub(crate) mod v0_3 {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit",
        world: "plugin",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The frozen `nas-music:extractor@0.2.0` (no `yt-dlp-expand`).
pub(crate) mod v0_2 {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit-frozen/0.2.0",
        world: "plugin",
        imports: { default: async },
        exports: { default: async },
    });
}

/// The frozen first version, `nas-music:extractor@0.1.0` (no `log-enabled`).
pub(crate) mod v0_1 {
    wasmtime::component::bindgen!({
        path: "../plugin-sdk/wit-frozen/0.1.0",
        world: "plugin",
        imports: { default: async },
        exports: { default: async },
        with: {
            "nas-music:extractor/types@0.1.0": super::v0_2::nas_music::extractor::types,
        },
    });
}

pub(crate) use v0_3::nas_music::extractor::types as wit;

/// The 0.1.0/0.2.0 types.
pub(crate) use v0_2::nas_music::extractor::types as old;

/// Conversions between the older versions' types and the current ones. Plugin results only
/// flow old → current; the host's own values (log levels come in, responses go out) both ways.
pub(crate) mod convert {
    use super::{old, wit};

    pub(crate) fn log_level(level: old::LogLevel) -> wit::LogLevel {
        match level {
            old::LogLevel::Trace => wit::LogLevel::Trace,
            old::LogLevel::Debug => wit::LogLevel::Debug,
            old::LogLevel::Info => wit::LogLevel::Info,
            old::LogLevel::Warn => wit::LogLevel::Warn,
            old::LogLevel::Error => wit::LogLevel::Error,
        }
    }

    pub(crate) fn http_response(r: wit::HttpResponse) -> old::HttpResponse {
        old::HttpResponse {
            status: r.status,
            headers: r.headers,
            body: r.body,
        }
    }

    pub(crate) fn plugin_info(i: old::PluginInfo) -> wit::PluginInfo {
        wit::PluginInfo {
            name: i.name,
            version: i.version,
            description: i.description,
            patterns: i.patterns,
            priority: i.priority,
            hosts: i.hosts,
        }
    }

    pub(crate) fn resolve_result(
        r: Result<old::Resolution, old::ResolveError>,
    ) -> Result<wit::Resolution, wit::ResolveError> {
        r.map(resolution).map_err(resolve_error)
    }

    fn resolution(r: old::Resolution) -> wit::Resolution {
        wit::Resolution {
            metadata: metadata(r.metadata),
            kind: match r.kind {
                old::ResolutionKind::Single => wit::ResolutionKind::Single,
                old::ResolutionKind::Playlist => wit::ResolutionKind::Playlist,
                old::ResolutionKind::Album => wit::ResolutionKind::Album,
            },
            entries: r
                .entries
                .into_iter()
                .map(|e| wit::ResolvedEntry {
                    metadata: metadata(e.metadata),
                    action: match e.action {
                        old::FetchAction::YtDlp(f) => wit::FetchAction::YtDlp(wit::YtDlpFetch {
                            url: f.url,
                            options: f.options,
                        }),
                        old::FetchAction::Direct(url) => wit::FetchAction::Direct(url),
                    },
                })
                .collect(),
        }
    }

    fn metadata(m: old::TrackMetadata) -> wit::TrackMetadata {
        wit::TrackMetadata {
            title: m.title,
            artist: m.artist,
            album: m.album,
            album_artist: m.album_artist,
            track_number: m.track_number,
            duration_seconds: m.duration_seconds,
            cover_url: m.cover_url,
        }
    }

    fn resolve_error(e: old::ResolveError) -> wit::ResolveError {
        match e {
            old::ResolveError::Unsupported(m) => wit::ResolveError::Unsupported(m),
            old::ResolveError::NotFound(m) => wit::ResolveError::NotFound(m),
            old::ResolveError::Network(m) => wit::ResolveError::Network(m),
            old::ResolveError::Parse(m) => wit::ResolveError::Parse(m),
            old::ResolveError::Other(m) => wit::ResolveError::Other(m),
        }
    }
}
