//! Admin changes to the registry: install an upload, enable or disable, remove. Each is
//! serialised with reloads (`changes`), validated before anything changes, persisted, and
//! then swapped in.

use super::*;

impl PluginRegistry {
    /// Validates and smoke-tests an upload off the request path, then writes it to
    /// PLUGIN_DIRECTORY and swaps it in (SEC-21). A bad upload changes nothing.
    pub async fn install_upload(
        self: &Arc<Self>,
        bytes: Vec<u8>,
    ) -> Result<PluginChange, PluginAdminError> {
        let limit = self.config.max_upload_bytes;
        if bytes.len() > limit {
            return Err(PluginAdminError::TooLarge { limit });
        }
        let _guard = self.changes.lock().await;
        let this = self.clone();
        let (plugin, bytes) = tokio::task::spawn_blocking(move || {
            (
                LoadedPlugin::load(&this.engine, &bytes, &this.config),
                bytes,
            )
        })
        .await
        .map_err(|e| PluginAdminError::Internal(e.into()))?;
        let plugin = plugin.map_err(PluginAdminError::Invalid)?;
        let name = plugin.info.name.clone();
        let path = {
            let inner = self.read();
            match inner.files.iter().find(|(_, s)| s.plugin.info.name == name) {
                Some((path, _)) => path.clone(),
                None => {
                    let path = self.config.plugin_directory.join(format!("{name}.wasm"));
                    if let Some(other) = inner.files.get(&path) {
                        return Err(PluginAdminError::Conflict(format!(
                            "{} already holds plugin {}",
                            path.display(),
                            other.plugin.info.name
                        )));
                    }
                    path
                }
            }
        };
        write_atomically(&path, &bytes).map_err(PluginAdminError::Internal)?;
        let file_name = path
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut inner = self.write();
        inner.files.insert(
            path.clone(),
            Slot {
                plugin: Arc::new(plugin),
                loaded_at: Utc::now(),
            },
        );
        inner.file_errors.remove(&path);
        inner.last_errors.remove(&name);
        inner.state.uploads.insert(name.clone(), file_name);
        // The admin's upload is the approval of a plugin that reaches any host (SEC-42).
        if slot_hosts_any(&inner, &path) {
            let sha = inner.files[&path].plugin.sha256.clone();
            inner.state.any_host_approved.insert(name.clone(), sha);
        } else {
            inner.state.any_host_approved.remove(&name);
        }
        self.persist(&inner)?;
        inner.rebuild_routes();
        inner.change(&name)
    }

    pub async fn set_enabled(
        &self,
        name: &str,
        enabled: bool,
    ) -> Result<PluginChange, PluginAdminError> {
        let _guard = self.changes.lock().await;
        let mut inner = self.write();
        inner.active(name).ok_or(PluginAdminError::NotFound)?;
        if enabled {
            inner.state.disabled.remove(name);
        } else {
            inner.state.disabled.insert(name.to_owned());
        }
        self.persist(&inner)?;
        inner.rebuild_routes();
        inner.change(name)
    }

    /// Deletes a directory or uploaded plugin's file; a built-in it overrode comes back.
    pub async fn remove(&self, name: &str) -> Result<PluginChange, PluginAdminError> {
        let _guard = self.changes.lock().await;
        let mut inner = self.write();
        let change = inner.change(name)?;
        let Some(path) = inner
            .files
            .iter()
            .find(|(_, s)| s.plugin.info.name == name)
            .map(|(p, _)| p.clone())
        else {
            return Err(PluginAdminError::Conflict(format!(
                "{name} is built in: disable it instead of removing it"
            )));
        };
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                return Err(PluginAdminError::Internal(anyhow::anyhow!(
                    "removing {}: {e}",
                    path.display()
                )));
            }
        }
        inner.files.remove(&path);
        inner.state.uploads.remove(name);
        inner.state.any_host_approved.remove(name);
        inner.state.disabled.remove(name);
        inner.last_errors.remove(name);
        self.persist(&inner)?;
        inner.rebuild_routes();
        Ok(change)
    }
}

fn write_atomically(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let name = path.file_name().context("no file name")?.to_string_lossy();
    let tmp = path.with_file_name(format!(".{name}.upload"));
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(())
}

fn slot_hosts_any(inner: &Inner, path: &Path) -> bool {
    inner
        .files
        .get(path)
        .is_some_and(|slot| slot.plugin.info.hosts.iter().any(|h| h == "*"))
}
