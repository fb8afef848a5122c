//! The small JSON state that survives restarts: disabled plugins and which directory files
//! were uploaded through the API.

use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct PersistedState {
    /// Names of disabled plugins.
    #[serde(default)]
    pub disabled: BTreeSet<String>,
    /// Plugin name → file name (inside PLUGIN_DIRECTORY) of uploaded plugins.
    #[serde(default)]
    pub uploads: BTreeMap<String, String>,
    /// Plugin name → SHA-256 of the module an admin uploaded that declares `*` (any host):
    /// that module, and no other file under its name, may reach any host (SEC-42).
    #[serde(default)]
    pub any_host_approved: BTreeMap<String, String>,
}

pub(crate) fn state_path(data_directory: &Path) -> PathBuf {
    data_directory.join("plugins").join("state.json")
}

impl PersistedState {
    /// Reads the state; a missing file is an empty state, a corrupt one is an error.
    pub fn load(path: &Path) -> anyhow::Result<Self> {
        match std::fs::read(path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .with_context(|| format!("corrupt plugin state file {}", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(e).with_context(|| format!("reading {}", path.display())),
        }
    }

    /// Writes atomically (temp file + rename) so a crash never leaves half a file.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        let dir = path.parent().context("state path has no parent")?;
        std::fs::create_dir_all(dir)?;
        let tmp = path.with_extension("json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self)?)?;
        std::fs::rename(&tmp, path).with_context(|| format!("writing {}", path.display()))
    }
}

impl PersistedState {
    /// SEC-42: a plugin file that declares `*` (any host) loads only when an admin uploaded
    /// exactly this module through the API; built-in plugins are trusted like the binary.
    /// Anyone who can merely write PLUGIN_DIRECTORY cannot give a plugin the whole network.
    pub fn may_reach_any_host(&self, plugin: &super::loaded::LoadedPlugin) -> Result<(), String> {
        let wants_any = plugin.info.hosts.iter().any(|h| h == "*");
        if !wants_any || self.any_host_approved.get(&plugin.info.name) == Some(&plugin.sha256) {
            return Ok(());
        }
        Err(format!(
            "{}: plugin {} declares `*` (any host); only built-in plugins and plugins an admin uploads through the API may reach any host",
            plugin.sha256, plugin.info.name
        ))
    }
}
