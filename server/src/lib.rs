//! NAS Music Downloader: the library behind the `nas-music-downloader` binary.
//!
//! `run` wires the layers together: configuration → store → background tasks → the
//! poem-openapi HTTP API, all under one shutdown signal. Tests call `run` with their own
//! listener (port 0) and shutdown future.

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod error;
pub mod jobs;
pub mod net;
pub mod plugins;
pub mod state;
pub mod store;
pub mod telemetry;

use anyhow::Context;
use config::Config;
use poem::{Server, listener::TcpAcceptor};
use state::AppState;
use std::{future::Future, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// How often expired rows are purged from the token blacklist.
const BLACKLIST_PURGE_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// How long in-flight requests get to finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the server on `listener` until `shutdown` completes.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    std::fs::create_dir_all(&config.output_directory).with_context(|| {
        format!("cannot create OUTPUT_DIRECTORY {}", config.output_directory.display())
    })?;
    let store = store::connect(&config.database_url)
        .await
        .context("cannot open the database (DATABASE_URL)")?;
    let state = Arc::new(AppState {
        tokens: auth::TokenService::from_config(&config),
        throttle: auth::LoginThrottle::new(),
        store,
        config: config.clone(),
    });
    tokio::spawn(auth::passwords::warm_up());

    let stop = CancellationToken::new();
    let purger = tokio::spawn(purge_expired_tokens(state.clone(), stop.clone()));

    let address = listener.local_addr()?;
    tracing::info!(%address, database = if config.is_sqlite() { "sqlite" } else { "postgres" }, "listening");
    let acceptor = TcpAcceptor::from_tokio(listener)?;
    let stop_on_signal = stop.clone();
    Server::new_with_acceptor(acceptor)
        .run_with_graceful_shutdown(
            api::app(state.clone()),
            async move {
                shutdown.await;
                tracing::info!("shutting down");
                stop_on_signal.cancel();
            },
            Some(SHUTDOWN_GRACE),
        )
        .await?;
    stop.cancel();
    let _ = purger.await;
    tracing::info!("stopped");
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("install SIGTERM handler");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

async fn purge_expired_tokens(state: Arc<AppState>, stop: CancellationToken) {
    loop {
        match state.store.purge_expired_tokens(chrono::Utc::now()).await {
            Ok(0) => {}
            Ok(n) => tracing::debug!(purged = n, "expired blacklist rows removed"),
            Err(err) => tracing::warn!(error = ?err, "blacklist purge failed"),
        }
        tokio::select! {
            _ = stop.cancelled() => return,
            _ = tokio::time::sleep(BLACKLIST_PURGE_INTERVAL) => {}
        }
    }
}
