//! The wasmtime plugin host: one engine, compiled-once plugins, a fresh sandboxed store per
//! call (deadline + memory cap, SEC-20), host capabilities (`log`, declared-host `http-get`,
//! SEC-22), the registry that routes URLs, admin changes (SEC-21, SEC-23) and hot reload.
//!
//! The rest of the server only needs [`PluginRegistry`] and the types re-exported here.

mod bindings;
mod builtin;
pub(crate) mod cache;
mod call_threads;
mod config;
mod engine;
pub(crate) mod engine_config;
mod host_api;
mod loaded;
mod registry;
mod state;
mod types;
mod validate;
mod wasm_error;
mod watcher;

#[cfg(test)]
mod tests;

pub use cache::CacheKey;
pub use config::PluginHostConfig;
pub use engine_config::DEFAULT_MEMORY_LIMIT_BYTES;
pub use registry::PluginRegistry;
pub use types::{
    FetchAction, PluginAdminError, PluginCallError, PluginChange, PluginSource, PluginSummary,
    Resolution, ResolutionKind, ResolvedEntry, TrackMetadata,
};
pub use validate::check_yt_dlp_options;
