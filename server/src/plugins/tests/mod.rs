//! Host tests against the real plugins built by `server/build.rs`: defaults, misbehaving
//! fixtures (SEC-20), declared hosts (SEC-22), uploads (SEC-21), state, hot reload.

mod admin;
mod artifacts;
mod defaults;
mod http;
mod reload;
mod sandbox;
mod try_plugin;

use super::{PluginHostConfig, PluginRegistry};
use crate::net::AddressPolicy;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The bytes of a plugin built by build.rs (fixtures and defaults).
pub(super) fn plugin_bytes(name: &str) -> Vec<u8> {
    let dir = Path::new(env!("NAS_FIXTURE_PLUGINS_DIR"));
    std::fs::read(dir.join(format!("{name}.wasm"))).expect("fixture built by build.rs")
}

pub(super) fn test_config(root: &Path) -> PluginHostConfig {
    PluginHostConfig {
        plugin_directory: root.join("plugins"),
        data_directory: root.join("data"),
        call_timeout: Duration::from_secs(2),
        memory_limit_bytes: 32 << 20,
        http_timeout: Duration::from_millis(700),
        http_max_body_bytes: 1024,
        max_upload_bytes: 2 << 20,
        address_policy: AddressPolicy::AllowPrivate,
        watch: false,
        cache_key: crate::plugins::CacheKey::derive(b"plugin tests' server secret"),
        metrics: Default::default(),
    }
}

/// A registry over a fresh temp folder, with `fixtures` copied into its plugin directory.
pub(super) async fn registry_with(root: &Path, fixtures: &[&str]) -> Arc<PluginRegistry> {
    let config = test_config(root);
    std::fs::create_dir_all(&config.plugin_directory).unwrap();
    for name in fixtures {
        std::fs::write(
            config.plugin_directory.join(format!("{name}.wasm")),
            plugin_bytes(name),
        )
        .unwrap();
    }
    PluginRegistry::start(config, CancellationToken::new())
        .await
        .expect("registry starts")
}

pub(super) fn url(raw: &str) -> url::Url {
    url::Url::parse(raw).unwrap()
}
