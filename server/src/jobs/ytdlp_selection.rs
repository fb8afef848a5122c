//! Which yt-dlp new jobs run: a shared, swappable selection. An admin's update or rollback
//! (`tools::YtdlpManager`) switches it at runtime; each job pins the selection it started
//! with (`ExecutorConfig::pinned`), so a running download keeps its binary to the end.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// One yt-dlp: the program and, when known, the version it reported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveYtdlp {
    pub path: PathBuf,
    pub version: Option<String>,
}

/// The yt-dlp new jobs start with. Cloning shares the selection.
#[derive(Debug, Clone)]
pub struct YtdlpSelection(Arc<RwLock<Arc<ActiveYtdlp>>>);

impl YtdlpSelection {
    /// A selection of `path`, version unknown (tests, and the tool folder's yt-dlp before
    /// the preflight has asked it).
    pub fn fixed(path: impl Into<PathBuf>) -> Self {
        Self::new(ActiveYtdlp {
            path: path.into(),
            version: None,
        })
    }

    pub fn new(active: ActiveYtdlp) -> Self {
        Self(Arc::new(RwLock::new(Arc::new(active))))
    }

    /// The yt-dlp a job starting now uses.
    pub fn current(&self) -> Arc<ActiveYtdlp> {
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Makes `active` the yt-dlp of every job that starts from now on.
    pub fn switch(&self, active: ActiveYtdlp) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(active);
    }

    /// Fills in the version of the current yt-dlp, unless it was switched meanwhile.
    pub fn learn_version(&self, path: &std::path::Path, version: String) {
        let mut guard = self.0.write().unwrap_or_else(|e| e.into_inner());
        if guard.path == path && guard.version.is_none() {
            *guard = Arc::new(ActiveYtdlp {
                path: path.to_path_buf(),
                version: Some(version),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pinned_copy_keeps_its_binary_after_a_switch() {
        let shared = YtdlpSelection::fixed("/old/yt-dlp");
        let pinned = YtdlpSelection::new((*shared.current()).clone());
        shared.switch(ActiveYtdlp {
            path: "/new/yt-dlp".into(),
            version: Some("2099.1.1".into()),
        });
        assert_eq!(pinned.current().path, PathBuf::from("/old/yt-dlp"));
        assert_eq!(shared.current().version.as_deref(), Some("2099.1.1"));
        // A late version report for the old binary does not undo the switch.
        shared.learn_version(std::path::Path::new("/old/yt-dlp"), "1".into());
        assert_eq!(shared.current().path, PathBuf::from("/new/yt-dlp"));
    }
}
