//! What the registry holds behind its lock: the loaded plugins, the admin's saved choices, the
//! routing table, and the summaries built from them.

use crate::plugins::loaded::LoadedPlugin;
use crate::plugins::state::PersistedState;
use crate::plugins::types::*;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// A loaded version of a plugin and where it came from.
#[derive(Clone)]
pub(crate) struct Slot {
    pub plugin: Arc<LoadedPlugin>,
    pub loaded_at: DateTime<Utc>,
}

#[derive(Default)]
pub(crate) struct Inner {
    pub(super) builtins: BTreeMap<String, Slot>,
    /// Files of PLUGIN_DIRECTORY that loaded, by canonical path.
    pub files: BTreeMap<PathBuf, Slot>,
    /// Files that failed to load, with the reason.
    pub file_errors: BTreeMap<PathBuf, String>,
    /// Last load error or crash, by plugin name.
    pub(super) last_errors: BTreeMap<String, String>,
    pub(super) state: PersistedState,
    /// Enabled plugins, highest priority first: the routing table.
    pub(super) routes: Vec<Arc<LoadedPlugin>>,
}

impl Inner {
    /// The active version of `name`: a directory file overrides a built-in.
    pub(super) fn active(&self, name: &str) -> Option<Slot> {
        self.files
            .values()
            .find(|s| s.plugin.info.name == name)
            .or_else(|| self.builtins.get(name))
            .cloned()
    }

    pub(super) fn active_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .builtins
            .keys()
            .cloned()
            .chain(self.files.values().map(|s| s.plugin.info.name.clone()))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    pub(super) fn rebuild_routes(&mut self) {
        let mut routes: Vec<Arc<LoadedPlugin>> = self
            .active_names()
            .into_iter()
            .filter(|n| !self.state.disabled.contains(n))
            .filter_map(|n| self.active(&n).map(|s| s.plugin))
            .collect();
        routes.sort_by(|a, b| {
            b.info
                .priority
                .cmp(&a.info.priority)
                .then_with(|| a.info.name.cmp(&b.info.name))
        });
        self.routes = routes;
    }

    pub(super) fn summary(&self, name: &str) -> Option<PluginSummary> {
        let slot = self.active(name)?;
        let from_file = self
            .files
            .iter()
            .find(|(_, s)| s.plugin.info.name == name)
            .map(|(p, _)| p);
        let source = match from_file {
            None => PluginSource::BuiltIn,
            Some(path) => {
                let file = path.file_name().map(|f| f.to_string_lossy().into_owned());
                if file.is_some() && self.state.uploads.get(name) == file.as_ref() {
                    PluginSource::Upload
                } else {
                    PluginSource::Directory
                }
            }
        };
        let info = &slot.plugin.info;
        Some(PluginSummary {
            name: info.name.clone(),
            version: info.version.clone(),
            description: info.description.clone(),
            patterns: info.patterns.clone(),
            priority: info.priority,
            hosts: info.hosts.clone(),
            enabled: !self.state.disabled.contains(name),
            source,
            sha256: slot.plugin.sha256.clone(),
            interface_version: slot.plugin.interface_version.to_owned(),
            loaded_at: slot.loaded_at,
            last_error: self.last_errors.get(name).cloned(),
        })
    }

    pub(super) fn change(&self, name: &str) -> Result<PluginChange, PluginAdminError> {
        let summary = self.summary(name).ok_or(PluginAdminError::NotFound)?;
        Ok(PluginChange {
            sha256: summary.sha256.clone(),
            summary,
        })
    }
}
