//! Settings of the plugin host; the server's config module fills them from the environment.

use super::cache::CacheKey;
use crate::{metrics::PluginMetrics, net::AddressPolicy};
use std::path::PathBuf;
use std::time::Duration;

/// How the plugin host is set up. `Default` gives sensible values with paths under `./data`.
#[derive(Debug, Clone)]
pub struct PluginHostConfig {
    /// PLUGIN_DIRECTORY: adds plugins / overrides defaults by name; uploads are written here.
    pub plugin_directory: PathBuf,
    /// Holds the compiled-artifact cache and the enabled/upload state file.
    pub data_directory: PathBuf,
    /// Signs the compiled-artifact cache (SEC-44).
    pub cache_key: CacheKey,
    /// Deadline of one `resolve()` call (SEC-20).
    pub call_timeout: Duration,
    /// Cap on all linear memories of one plugin instance together (SEC-20, SEC-42).
    pub memory_limit_bytes: usize,
    /// Per `http-get`, also bounded by the call's remaining budget (SEC-22).
    pub http_timeout: Duration,
    /// Largest `http-get` response body (SEC-22).
    pub http_max_body_bytes: usize,
    /// Largest accepted upload (SEC-21).
    pub max_upload_bytes: usize,
    /// SEC-4 for `http-get`.
    pub address_policy: AddressPolicy,
    /// Start the `notify` watcher on `plugin_directory`.
    pub watch: bool,
    /// Where calls and reloads are counted (`Default`: counted nowhere).
    pub metrics: PluginMetrics,
}

impl Default for PluginHostConfig {
    fn default() -> Self {
        Self {
            plugin_directory: PathBuf::from("./data/plugins"),
            data_directory: PathBuf::from("./data"),
            cache_key: CacheKey::ephemeral(),
            call_timeout: Duration::from_secs(15),
            memory_limit_bytes: super::engine_config::DEFAULT_MEMORY_LIMIT_BYTES,
            http_timeout: Duration::from_secs(10),
            http_max_body_bytes: 5 << 20,
            max_upload_bytes: 20 << 20,
            address_policy: AddressPolicy::PublicOnly,
            watch: true,
            metrics: PluginMetrics::default(),
        }
    }
}
