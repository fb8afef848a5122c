//! The plugin side of the SDK: generated bindings, the [`Extractor`] trait and
//! [`register_plugin!`](crate::register_plugin).

mod builders;
mod host;
pub mod scrape;

pub use builders::*;
pub use host::*;

/// Bindings generated from `plugin-sdk/wit` (the current interface version).
pub mod bindings {
    wit_bindgen::generate!({
        path: "wit",
        world: "plugin",
        pub_export_macro: true,
        default_bindings_module: "nas_music_plugin_sdk::bindings",
    });
}

pub use bindings::nas_music::extractor::types::{
    FetchAction, HttpResponse, LogLevel, PluginInfo, Resolution, ResolutionKind, ResolveError,
    ResolvedEntry, TrackMetadata, YtDlpFetch,
};
pub use serde_json;
pub use url::Url;

/// Everything a plugin usually needs: `use nas_music_plugin_sdk::prelude::*;`.
pub mod prelude {
    pub use super::scrape;
    pub use super::{
        Extractor, FetchAction, Resolution, ResolutionKind, ResolveError, ResolvedEntry,
        TrackMetadata, Url, YtDlpFetch, direct, expand_set, http_get, http_get_json, http_get_text,
        log, metadata, single, yt_dlp,
    };
    pub use crate::pattern::any_matches;
    pub use crate::register_plugin;
}

/// An extractor: a few constants and `resolve`. Every call runs in a fresh instance, so
/// there is no `self` and no state between calls.
pub trait Extractor {
    /// Unique name; a plugin in PLUGIN_DIRECTORY replaces a built-in one of the same name.
    const NAME: &'static str;
    const DESCRIPTION: &'static str = "";
    /// URL patterns (see [`crate::pattern`]), e.g. `"*.example.com/track/*"`.
    const PATTERNS: &'static [&'static str];
    /// Among plugins whose patterns match, the highest priority wins (generic is -100).
    const PRIORITY: i32 = 0;
    /// Hosts `http_get` may reach, e.g. `"*.example.com"`. Empty: no network at all.
    const HOSTS: &'static [&'static str] = &[];

    /// Resolves a URL that matched [`Self::PATTERNS`].
    fn resolve(url: &Url) -> Result<Resolution, ResolveError>;

    /// What the host learns at load time; `version` is the crate version.
    fn info(version: &str) -> PluginInfo {
        PluginInfo {
            name: Self::NAME.into(),
            version: version.into(),
            description: Self::DESCRIPTION.into(),
            patterns: Self::PATTERNS.iter().map(|p| (*p).into()).collect(),
            priority: Self::PRIORITY,
            hosts: Self::HOSTS.iter().map(|h| (*h).into()).collect(),
        }
    }

    /// Parses the raw URL; the default refuses URLs outside [`Self::PATTERNS`].
    fn parse(raw: &str) -> Result<Url, ResolveError> {
        let url =
            Url::parse(raw).map_err(|e| ResolveError::Unsupported(format!("bad URL: {e}")))?;
        if crate::pattern::any_matches(Self::PATTERNS, &url) {
            Ok(url)
        } else {
            Err(ResolveError::Unsupported(format!(
                "{} does not handle this URL",
                Self::NAME
            )))
        }
    }
}

/// Exports a type implementing [`Extractor`] as the plugin's component interface.
/// Use it once, at the crate root: `register_plugin!(MyExtractor);`.
#[macro_export]
macro_rules! register_plugin {
    ($ty:ty) => {
        #[doc(hidden)]
        pub struct __NasMusicPluginExport;

        impl $crate::bindings::exports::nas_music::extractor::extractor::Guest
            for __NasMusicPluginExport
        {
            fn info() -> $crate::PluginInfo {
                $crate::install_panic_hook();
                <$ty as $crate::Extractor>::info(env!("CARGO_PKG_VERSION"))
            }

            fn resolve(url: String) -> Result<$crate::Resolution, $crate::ResolveError> {
                $crate::install_panic_hook();
                let url = <$ty as $crate::Extractor>::parse(&url)?;
                <$ty as $crate::Extractor>::resolve(&url)
            }
        }

        $crate::bindings::export!(__NasMusicPluginExport with_types_in $crate::bindings);
    };
}
