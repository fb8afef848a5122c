//! Hot reload: a `notify` watcher on PLUGIN_DIRECTORY. Events are coalesced for a short
//! quiet period, then the registry rescans (compile + smoke test first, then swap).

use super::registry::{PluginRegistry, is_plugin_file};
use notify::{RecursiveMode, Watcher};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Editors and copies write in bursts; wait this long after the last event.
const QUIET_PERIOD: Duration = Duration::from_millis(40);

pub(crate) fn spawn(
    registry: &Arc<PluginRegistry>,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<()>();
    let mut watcher = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
        if event.is_ok_and(|e| e.paths.iter().any(|p| is_plugin_file(p))) {
            let _ = tx.send(());
        }
    })?;
    watcher.watch(
        &registry.config.plugin_directory,
        RecursiveMode::NonRecursive,
    )?;
    let registry: Weak<PluginRegistry> = Arc::downgrade(registry);
    tokio::spawn(async move {
        let _watcher = watcher; // dropped (and stopped) when this task ends
        loop {
            tokio::select! {
                _ = shutdown.cancelled() => break,
                event = rx.recv() => if event.is_none() { break },
            }
            // Coalesce a burst of events into one rescan.
            while let Ok(Some(())) = tokio::time::timeout(QUIET_PERIOD, rx.recv()).await {}
            let Some(registry) = registry.upgrade() else {
                break;
            };
            registry.rescan_directory().await;
        }
        tracing::debug!("plugin watcher stopped");
    });
    Ok(())
}
