//! One compiled plugin: its `InstancePre` for whichever interface version it was built
//! against, its validated `info()`, and the sandboxed call path (SEC-20).

use super::bindings::{convert, v0_1, v0_2, v0_3, wit};
use super::builtin::BuiltinPlugin;
use super::cache;
use super::config::PluginHostConfig;
use super::engine::PluginEngine;
use super::host_api::{HostState, HttpCapability};
use super::types::{PluginCallError, PluginInfo, Resolution};
use super::validate;
use nas_music_plugin_sdk::pattern::UrlPattern;
use std::sync::Arc;
use std::time::Duration;
use wasmtime::Store;

/// The smoke test (`info()`) gets at most this long.
const SMOKE_TEST_TIMEOUT: Duration = Duration::from_secs(5);

/// The pre-instantiated component, per interface version.
enum Bindings {
    V0_3(v0_3::PluginPre<HostState>),
    V0_2(v0_2::PluginPre<HostState>),
    V0_1(v0_1::PluginPre<HostState>),
}

pub(crate) struct LoadedPlugin {
    pub info: PluginInfo,
    pub patterns: Vec<UrlPattern>,
    pub sha256: String,
    pub interface_version: &'static str,
    /// Where its machine code came from this time.
    pub code_origin: cache::CodeOrigin,
    bindings: Bindings,
    http: Option<Arc<HttpCapability>>,
    name: Arc<str>,
}

impl LoadedPlugin {
    /// Compiles (or loads from the verified cache), links, and smoke-tests `info()`.
    /// Blocking: call it from `spawn_blocking` or a dedicated thread, never on the request path.
    pub fn load(
        engine: &PluginEngine,
        bytes: &[u8],
        config: &PluginHostConfig,
    ) -> Result<Self, String> {
        let sha256 = cache::sha256_hex(bytes);
        let (component, origin) = cache::compile(
            &engine.engine,
            bytes,
            &sha256,
            &cache::cache_dir(&config.data_directory),
            &config.cache_key,
        )?;
        Self::from_component(engine, component, origin, sha256, config)
    }

    /// A plugin built into the binary, from its precompiled artifact when the engine's
    /// settings allow (the default). Blocking, like `load`.
    pub fn load_builtin(
        engine: &PluginEngine,
        builtin: &BuiltinPlugin,
        config: &PluginHostConfig,
    ) -> Result<Self, String> {
        let (component, origin) = cache::load_builtin(
            &engine.engine,
            builtin,
            &cache::cache_dir(&config.data_directory),
            &config.cache_key,
        )?;
        Self::from_component(engine, component, origin, builtin.sha256.to_owned(), config)
    }

    fn from_component(
        engine: &PluginEngine,
        component: wasmtime::component::Component,
        origin: cache::CodeOrigin,
        sha256: String,
        config: &PluginHostConfig,
    ) -> Result<Self, String> {
        let pre = engine
            .linker
            .instantiate_pre(&component)
            .map_err(|e| format!("the plugin needs imports this host does not provide: {e:#}"))?;
        // Newest first: a component exports exactly one version of the interface.
        let (bindings, interface_version) = if let Ok(p) = v0_3::PluginPre::new(pre.clone()) {
            (Bindings::V0_3(p), "0.3.0")
        } else if let Ok(p) = v0_2::PluginPre::new(pre.clone()) {
            (Bindings::V0_2(p), "0.2.0")
        } else {
            match v0_1::PluginPre::new(pre) {
                Ok(p) => (Bindings::V0_1(p), "0.1.0"),
                Err(e) => {
                    return Err(format!(
                        "the plugin does not export nas-music:extractor/extractor (0.1, 0.2 or 0.3): {e:#}"
                    ));
                }
            }
        };
        let mut plugin = Self {
            info: PluginInfo {
                name: String::new(),
                version: String::new(),
                description: String::new(),
                patterns: vec![],
                priority: 0,
                hosts: vec![],
            },
            patterns: vec![],
            sha256,
            interface_version,
            code_origin: origin,
            bindings,
            http: None,
            name: Arc::from("(loading)"),
        };
        let raw = smoke_test(engine, &plugin)?;
        let info = validate::plugin_info(raw)?;
        plugin.patterns = info
            .patterns
            .iter()
            .map(|p| UrlPattern::parse(p))
            .collect::<Result<_, _>>()
            .map_err(|e| e.to_string())?;
        if !info.hosts.is_empty() {
            let http = HttpCapability::new(
                info.hosts.clone(),
                config.address_policy.clone(),
                config.http_timeout,
                config.http_max_body_bytes,
            )
            .map_err(|e| format!("building the HTTP client: {e:#}"))?;
            plugin.http = Some(Arc::new(http));
        }
        plugin.name = Arc::from(info.name.as_str());
        plugin.info = info;
        Ok(plugin)
    }

    pub fn matches(&self, url: &url::Url) -> bool {
        self.patterns.iter().any(|p| p.matches(url))
    }

    /// Calls `resolve(url)` in a fresh store; the store is dropped afterwards, trap or not.
    pub async fn resolve(
        &self,
        engine: &PluginEngine,
        url: &str,
        timeout: Duration,
    ) -> Result<Resolution, PluginCallError> {
        let mut store = engine.store(self.name.clone(), self.http.clone(), timeout);
        // The epoch deadline stops wasm code; this also bounds time spent in host calls.
        let outcome = tokio::time::timeout(
            timeout + Duration::from_millis(200),
            self.call_resolve(&mut store, url),
        )
        .await;
        let result = match outcome {
            Err(_) => return Err(PluginCallError::Timeout),
            Ok(Err(trap)) => return Err(classify_trap(&trap, &store)),
            Ok(Ok(result)) => result,
        };
        match result {
            Ok(resolution) => validate::resolution(resolution),
            Err(e) => Err(match e {
                wit::ResolveError::Unsupported(m) => {
                    PluginCallError::Unsupported(validate::message(&m))
                }
                wit::ResolveError::NotFound(m) => PluginCallError::NotFound(validate::message(&m)),
                wit::ResolveError::Network(m) => PluginCallError::Network(validate::message(&m)),
                wit::ResolveError::Parse(m) => PluginCallError::Parse(validate::message(&m)),
                wit::ResolveError::Other(m) => PluginCallError::Other(validate::message(&m)),
            }),
        }
    }

    async fn call_resolve(
        &self,
        store: &mut Store<HostState>,
        url: &str,
    ) -> wasmtime::Result<Result<wit::Resolution, wit::ResolveError>> {
        match &self.bindings {
            Bindings::V0_3(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_resolve(&mut *store, url)
                    .await
            }
            Bindings::V0_2(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_resolve(&mut *store, url)
                    .await
                    .map(convert::resolve_result)
            }
            Bindings::V0_1(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_resolve(&mut *store, url)
                    .await
                    .map(convert::resolve_result)
            }
        }
    }

    async fn call_info(&self, store: &mut Store<HostState>) -> wasmtime::Result<wit::PluginInfo> {
        match &self.bindings {
            Bindings::V0_3(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_info(&mut *store)
                    .await
            }
            Bindings::V0_2(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_info(&mut *store)
                    .await
                    .map(convert::plugin_info)
            }
            Bindings::V0_1(pre) => {
                let plugin = pre.instantiate_async(&mut *store).await?;
                plugin
                    .nas_music_extractor_extractor()
                    .call_info(&mut *store)
                    .await
                    .map(convert::plugin_info)
            }
        }
    }
}

/// Runs `info()` under the same sandbox as calls, on a small private runtime (we are on a
/// blocking thread here).
fn smoke_test(engine: &PluginEngine, plugin: &LoadedPlugin) -> Result<wit::PluginInfo, String> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let mut store = engine.store(Arc::from("(smoke test)"), None, SMOKE_TEST_TIMEOUT);
        match tokio::time::timeout(SMOKE_TEST_TIMEOUT, plugin.call_info(&mut store)).await {
            Err(_) => Err("info() did not return in time".to_owned()),
            Ok(Err(trap)) => Err(format!("info() failed: {}", classify_trap(&trap, &store))),
            Ok(Ok(info)) => Ok(info),
        }
    })
}

fn classify_trap(error: &wasmtime::Error, store: &Store<HostState>) -> PluginCallError {
    let state = store.data();
    if matches!(
        error.downcast_ref::<wasmtime::Trap>(),
        Some(wasmtime::Trap::Interrupt)
    ) {
        return PluginCallError::Timeout;
    }
    if state.memory.exceeded {
        return PluginCallError::OutOfMemory;
    }
    if let Some(panic) = &state.panic_message {
        return PluginCallError::Crashed(format!("panicked: {panic}"));
    }
    let text = match error.downcast_ref::<wasmtime::Trap>() {
        Some(trap) => trap.to_string(),
        None => format!("{error:#}"),
    };
    PluginCallError::Crashed(text.chars().take(300).collect())
}
