//! The plugin registry: which plugins exist (built-in, PLUGIN_DIRECTORY, uploads), which are
//! enabled, routing, sandboxed calls, admin changes and reloads. Swaps replace an `Arc`, so
//! calls in flight finish on the version they started with.

use super::builtin::BUILTIN_PLUGINS;
use super::call_threads::CallThreads;
use super::config::PluginHostConfig;
use super::engine::{MAX_CONCURRENT_INSTANCES, PluginEngine};
use super::loaded::LoadedPlugin;
use super::state::{PersistedState, state_path};
use super::types::*;
use super::watcher::{self, is_plugin_file};

mod admin;
mod inner;

use crate::metrics::ReloadOutcome;
use anyhow::Context;
use chrono::Utc;
pub(crate) use inner::{Inner, Slot};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio::sync::{Mutex, Semaphore};
use tokio_util::sync::CancellationToken;

pub struct PluginRegistry {
    pub(crate) config: PluginHostConfig,
    pub(crate) engine: Arc<PluginEngine>,
    /// Where plugin code runs, away from the API's runtime (SEC-42).
    call_threads: CallThreads,
    pub(crate) inner: RwLock<Inner>,
    /// Serialises changes (uploads, toggles, reloads); reads never wait for it.
    pub(crate) changes: Mutex<()>,
    permits: Semaphore,
}

impl PluginRegistry {
    /// Loads the built-in plugins, then PLUGIN_DIRECTORY, starts the watcher; stops it when
    /// `shutdown` is cancelled.
    pub async fn start(
        mut config: PluginHostConfig,
        shutdown: CancellationToken,
    ) -> anyhow::Result<Arc<Self>> {
        std::fs::create_dir_all(&config.plugin_directory).with_context(|| {
            format!(
                "creating PLUGIN_DIRECTORY {}",
                config.plugin_directory.display()
            )
        })?;
        // notify reports canonical paths; so do we.
        config.plugin_directory = config.plugin_directory.canonicalize()?;
        std::fs::create_dir_all(&config.data_directory)?;
        let state = PersistedState::load(&state_path(&config.data_directory))?;
        let engine = PluginEngine::new(&config)?;
        let registry = Arc::new(Self {
            config,
            engine: Arc::new(engine),
            call_threads: CallThreads::default(),
            inner: RwLock::new(Inner {
                state,
                ..Inner::default()
            }),
            changes: Mutex::new(()),
            permits: Semaphore::new(MAX_CONCURRENT_INSTANCES),
        });
        let loader = registry.clone();
        let builtins = tokio::task::spawn_blocking(move || {
            BUILTIN_PLUGINS
                .iter()
                .map(|builtin| {
                    LoadedPlugin::load_builtin(&loader.engine, builtin, &loader.config)
                        .map_err(|e| anyhow::anyhow!("built-in plugin {}: {e}", builtin.name))
                })
                .collect::<anyhow::Result<Vec<_>>>()
        })
        .await??;
        {
            let mut inner = registry.write();
            for plugin in &builtins {
                tracing::debug!(plugin = %plugin.info.name, origin = ?plugin.code_origin, "built-in plugin ready");
            }
            for plugin in builtins {
                inner.builtins.insert(
                    plugin.info.name.clone(),
                    Slot {
                        plugin: Arc::new(plugin),
                        loaded_at: Utc::now(),
                    },
                );
            }
            inner.rebuild_routes();
        }
        registry.rescan_directory().await;
        if registry.config.watch {
            // A weak handle: the watcher must not keep a dropped registry alive.
            let weak = Arc::downgrade(&registry);
            watcher::spawn(&registry.config.plugin_directory, shutdown, move || {
                weak.upgrade()
                    .map(|registry| async move { registry.rescan_directory().await })
            })?;
        }
        Ok(registry)
    }

    /// Name of the highest-priority enabled plugin whose patterns match.
    pub fn route(&self, url: &url::Url) -> Option<String> {
        let inner = self.read();
        inner
            .routes
            .iter()
            .find(|p| p.matches(url))
            .map(|p| p.info.name.clone())
    }

    /// Calls the plugin's `resolve()` in a fresh store; validates every returned URL (SEC-2)
    /// and the yt-dlp options (SEC-3).
    pub async fn resolve(&self, plugin: &str, url: &str) -> Result<Resolution, PluginCallError> {
        crate::net::check_url_syntax(url)
            .map_err(|e| PluginCallError::Unsupported(e.to_string()))?;
        let loaded = {
            let inner = self.read();
            let slot = inner.active(plugin).ok_or(PluginCallError::UnknownPlugin)?;
            if inner.state.disabled.contains(plugin) {
                return Err(PluginCallError::Unsupported(format!(
                    "the {plugin} extractor is disabled"
                )));
            }
            slot.plugin
        };
        let started = std::time::Instant::now();
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| PluginCallError::Other("shutting down".into()))?;
        let (engine, timeout, url) = (
            self.engine.clone(),
            self.config.call_timeout,
            url.to_owned(),
        );
        let result = self
            .call_threads
            .run(async move { loaded.resolve(&engine, &url, timeout).await })
            .await
            .unwrap_or_else(|| {
                Err(PluginCallError::Other(
                    "the plugin call threads are not running".into(),
                ))
            });
        let outcome = result.as_ref().map_or_else(PluginCallError::kind, |_| "ok");
        self.config.metrics.call(plugin, outcome, started.elapsed());
        if let Err(
            e @ (PluginCallError::Timeout
            | PluginCallError::OutOfMemory
            | PluginCallError::Crashed(_)),
        ) = &result
        {
            tracing::warn!(plugin, "plugin call failed: {e}");
            self.write()
                .last_errors
                .insert(plugin.to_owned(), e.to_string());
        }
        result
    }

    pub fn list(&self) -> Vec<PluginSummary> {
        let inner = self.read();
        inner
            .active_names()
            .into_iter()
            .filter_map(|name| inner.summary(&name))
            .collect()
    }

    /// Files in PLUGIN_DIRECTORY that failed to load, with the reason.
    pub fn directory_errors(&self) -> Vec<(PathBuf, String)> {
        self.read()
            .file_errors
            .iter()
            .map(|(p, e)| (p.clone(), e.clone()))
            .collect()
    }

    /// Brings the directory's files in line with the loaded set: new or changed files are
    /// compiled and smoke-tested off the async runtime, then swapped in; removed files go;
    /// a file that fails to load changes nothing and is reported.
    pub(crate) async fn rescan_directory(self: &Arc<Self>) {
        let _guard = self.changes.lock().await;
        let this = self.clone();
        let scan = tokio::task::spawn_blocking(move || this.scan_blocking()).await;
        let Ok(updates) = scan else { return };
        let mut inner = self.write();
        let present: Vec<PathBuf> = updates.iter().map(|u| u.0.clone()).collect();
        inner.files.retain(|path, _| present.contains(path));
        inner.file_errors.retain(|path, _| present.contains(path));
        for (path, outcome) in updates {
            match outcome {
                FileOutcome::Unchanged => {}
                FileOutcome::Loaded(plugin) => {
                    let name = plugin.info.name.clone();
                    let duplicate = inner
                        .files
                        .iter()
                        .find(|(p, s)| **p != path && s.plugin.info.name == name)
                        .map(|(p, _)| p.clone());
                    if let Some(other) = duplicate {
                        let message =
                            format!("plugin {name} is already provided by {}", other.display());
                        inner.file_errors.insert(path, message);
                        self.config.metrics.reload(ReloadOutcome::Failed);
                        continue;
                    }
                    if let Err(message) = inner.state.may_reach_any_host(&plugin) {
                        inner.file_errors.insert(path, message);
                        self.config.metrics.reload(ReloadOutcome::Failed);
                        continue;
                    }
                    tracing::info!(plugin = %name, file = %path.display(), sha256 = %plugin.sha256, "plugin loaded");
                    self.config.metrics.reload(ReloadOutcome::Loaded);
                    inner.last_errors.remove(&name);
                    inner.file_errors.remove(&path);
                    inner.files.insert(
                        path,
                        Slot {
                            plugin: Arc::from(plugin),
                            loaded_at: Utc::now(),
                        },
                    );
                }
                FileOutcome::Failed(message) => {
                    tracing::warn!(file = %path.display(), "plugin file not loaded: {message}");
                    self.config.metrics.reload(ReloadOutcome::Failed);
                    let owner = inner
                        .files
                        .get(&path)
                        .map(|s| s.plugin.info.name.clone())
                        .or_else(|| {
                            let stem = path.file_stem()?.to_string_lossy().into_owned();
                            inner.active(&stem).map(|_| stem)
                        });
                    if let Some(name) = owner {
                        inner
                            .last_errors
                            .insert(name, format!("{}: {message}", path.display()));
                    }
                    inner.file_errors.insert(path, message);
                }
            }
        }
        inner.rebuild_routes();
    }

    fn scan_blocking(&self) -> Vec<(PathBuf, FileOutcome)> {
        let Ok(dir) = std::fs::read_dir(&self.config.plugin_directory) else {
            return vec![];
        };
        let mut paths: Vec<PathBuf> = dir
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| is_plugin_file(p))
            .collect();
        paths.sort();
        paths
            .into_iter()
            .map(|path| {
                let outcome = match std::fs::read(&path) {
                    Err(e) => FileOutcome::Failed(format!("reading: {e}")),
                    Ok(bytes) if bytes.len() > self.config.max_upload_bytes => FileOutcome::Failed(
                        format!("larger than {} bytes", self.config.max_upload_bytes),
                    ),
                    Ok(bytes) => {
                        let sha = super::cache::sha256_hex(&bytes);
                        let inner = self.read();
                        let same = inner
                            .files
                            .get(&path)
                            .is_some_and(|s| s.plugin.sha256 == sha)
                            || (inner.file_errors.contains_key(&path)
                                && inner
                                    .file_errors
                                    .get(&path)
                                    .is_some_and(|e| e.starts_with(&sha)));
                        drop(inner);
                        if same {
                            FileOutcome::Unchanged
                        } else {
                            match LoadedPlugin::load(&self.engine, &bytes, &self.config) {
                                Ok(p) => FileOutcome::Loaded(Box::new(p)),
                                Err(e) => FileOutcome::Failed(format!("{sha}: {e}")),
                            }
                        }
                    }
                };
                (path, outcome)
            })
            .collect()
    }

    fn persist(&self, inner: &Inner) -> Result<(), PluginAdminError> {
        inner
            .state
            .save(&state_path(&self.config.data_directory))
            .map_err(PluginAdminError::Internal)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(|p| p.into_inner())
    }
}

enum FileOutcome {
    Unchanged,
    Loaded(Box<LoadedPlugin>),
    Failed(String),
}
