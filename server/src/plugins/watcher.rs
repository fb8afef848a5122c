//! Hot reload: a `notify` watcher on PLUGIN_DIRECTORY. Events are coalesced for a short
//! quiet period, then the owner's rescan runs (the registry's: compile + smoke test first, then swap).

use notify::{RecursiveMode, Watcher};
use std::future::Future;
use std::path::Path;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Editors and copies write in bursts; wait this long after the last event.
const QUIET_PERIOD: Duration = Duration::from_millis(40);

/// `*.wasm` files only; temp files and precompiled artifacts are ignored.
pub(crate) fn is_plugin_file(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "wasm")
        && path
            .file_name()
            .is_some_and(|n| !n.to_string_lossy().starts_with('.'))
}

/// Watches `directory`; after each burst of changes to plugin files, awaits `on_change()`.
/// Stops at `shutdown`, or when `on_change` answers `None` (its owner is gone).
pub(crate) fn spawn<Rescan>(
    directory: &Path,
    shutdown: CancellationToken,
    on_change: impl Fn() -> Option<Rescan> + Send + 'static,
) -> anyhow::Result<()>
where
    Rescan: Future<Output = ()> + Send,
{
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| e.paths.iter().any(|p| is_plugin_file(p))) {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(directory, RecursiveMode::NonRecursive)?;
    tokio::spawn(async move {
        let _watcher = watcher; // dropped (and stopped) when this task ends
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                event = rx.recv() => if event.is_none() { break },
            }
            // Coalesce a burst of events into one rescan.
            while let Ok(Some(())) = tokio::time::timeout(QUIET_PERIOD, rx.recv()).await {}
            let Some(rescan) = on_change() else {
                break;
            };
            rescan.await;
        }
        tracing::debug!("plugin watcher stopped");
    });
    Ok(())
}
