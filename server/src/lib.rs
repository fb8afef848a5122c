//! NAS Music Downloader: the library behind the `nas-music-downloader` binary.
//!
//! `run` wires the layers together: configuration → store → background tasks → the
//! poem-openapi HTTP API, all under one shutdown signal. Tests call `run` with their own
//! listener (port 0) and shutdown future.

// No unsafe code, except in the one module that maps verified compiled plugin artifacts
// (`plugins/cache.rs`, which allows it and says why at each use).
#![deny(unsafe_code)]

pub mod api;
pub mod audit;
pub mod auth;
pub mod config;
pub mod domain;
pub mod downloads;
pub mod error;
pub mod handoff;
pub mod healthcheck;
pub mod history_pages;
pub mod jobs;
pub mod library;
pub mod media;
pub mod metrics;
pub mod net;
pub mod plugin_admin;
pub mod plugins;
pub mod state;
pub mod store;
pub mod telemetry;
pub mod tools;

#[cfg(test)]
mod module_graph;

use anyhow::Context;
use config::Config;
use poem::{Server, listener::TcpAcceptor};
use state::AppState;
use std::{future::Future, sync::Arc, time::Duration};
use tokio_util::sync::CancellationToken;

/// How often expired rows are purged from the token blacklist.
const BLACKLIST_PURGE_INTERVAL: Duration = Duration::from_secs(10 * 60);
/// How long a webhook receiver or media server has to answer.
const HANDOFF_TIMEOUT: Duration = Duration::from_secs(10);
/// How long in-flight requests get to finish after the shutdown signal.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Runs the server on `listener` until `shutdown` completes.
pub async fn run(
    config: Config,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let config = Arc::new(config);
    // The side effects of configuration: the generated key and the instance id, kept in
    // DATA_DIRECTORY.
    let identity = config::Identity::load(&config)?;
    std::fs::create_dir_all(&config.output_directory).with_context(|| {
        format!(
            "cannot create OUTPUT_DIRECTORY {}",
            config.output_directory.display()
        )
    })?;
    let store = store::connect(&config.database_url)
        .await
        .context("cannot open the database (DATABASE_URL)")?;
    let stop = CancellationToken::new();
    let metrics = Arc::new(metrics::Metrics::new());
    let plugins = plugins::PluginRegistry::start(
        plugin_host_config(&config, &identity, &metrics),
        stop.clone(),
    )
    .await
    .context("cannot start the plugin host")?;
    // SEC-40: every yt-dlp request goes through this loopback proxy. It outlives the
    // workers (their jobs need it until they stop) and closes when `run` returns.
    let egress_stop = CancellationToken::new();
    let _egress_guard = egress_stop.clone().drop_guard();
    let egress = net::egress_proxy::EgressProxy::start(egress_stop)
        .await
        .context("cannot start the egress proxy for yt-dlp on 127.0.0.1")?;
    let executor = executor_config(&config, egress);
    // Before the preflight, so it reports the yt-dlp jobs will run: the active managed
    // environment when it answers, else the tool folder's.
    let ytdlp = Arc::new(
        tools::YtdlpManager::start(
            tools::Environments::new(
                &config.data_directory,
                config.tools.ytdlp.clone(),
                config.tools.python.clone(),
                config.ytdlp_updates.clone(),
            ),
            executor.clone(),
        )
        .await,
    );
    // Listen first: the tool checks start Python and take a moment; `/health` says
    // `checking` until they are done.
    let tools = jobs::ToolStatus::check_in_background(executor.clone());
    let events = jobs::events::EventHub::start(store.clone(), stop.clone())
        .await
        .context("cannot subscribe to download events")?;
    // "Already have it": filled in the background; downloads that finish meanwhile are added.
    let library = Arc::new(library::LibraryIndex::new());
    tokio::spawn(library.clone().scan(
        config.output_directory.clone(),
        library::ScanLimits::default(),
    ));
    let handoff = handoff_service(&config, &identity, &store, &metrics);
    let runner = jobs::worker::JobRunner::new(
        store.clone(),
        plugins.clone(),
        events.clone(),
        jobs::worker::RunnerSettings {
            executor,
            max_concurrent: config.max_concurrent_downloads,
            max_attempts: config.max_download_attempts,
            stale_after: config.job_stale_after,
            instance_id: identity.instance_id.clone(),
            // A SQLite database has one server: whatever it shows running died with us.
            dead_worker_prefix: if config.is_sqlite() {
                String::new()
            } else {
                format!("{}:", identity.instance_id)
            },
            metrics: metrics.downloads.clone(),
            library: library.clone(),
            playlist_folder: config.playlist_folder.clone(),
            handoff: handoff.clone(),
        },
    );
    let state = Arc::new(AppState {
        accounts: auth::AccountService {
            store: store.clone(),
            tokens: auth::TokenService::new(
                &identity.secret_key,
                config.algorithm,
                config.access_token_expire_minutes,
            ),
            throttle: auth::LoginThrottle::new(),
            registration: config.registration,
            registration_limit: auth::RegistrationLimit::per_hour(
                config.access.registrations_per_hour,
            ),
            hashing: auth::passwords::HashingSlots::per_core(),
        },
        plugin_admin: plugin_admin::PluginAdmin {
            plugins: plugins.clone(),
            store: store.clone(),
        },
        downloads: downloads::DownloadService {
            store: store.clone(),
            events,
            queue: runner.clone(),
            plugins: plugins.clone(),
            output_directory: config.output_directory.clone(),
            address_policy: config.address_policy.clone(),
            max_active_per_user: config.job_limits.max_active_per_user,
        },
        history_pages: history_pages::HistoryPages::with_capacity(
            config.history_cache_bytes,
            metrics.history_pages.clone(),
        ),
        media: media::MediaService {
            store: store.clone(),
            output_directory: config.output_directory.clone(),
            links: media::links::MediaLinks::new(&identity.secret_key),
        },
        store,
        config: config.clone(),
        plugins,
        tools,
        ytdlp,
        event_streams: auth::StreamSlots::new(config.access.max_event_streams_per_user),
        shutdown: stop.clone(),
        handoff: handoff.clone(),
        metrics,
        library,
    });
    tokio::spawn(auth::passwords::warm_up());

    let purger = tokio::spawn(purge_expired_tokens(state.clone(), stop.clone()));
    let workers = tokio::spawn(runner.run(stop.clone()));
    let deliveries = tokio::spawn(handoff.deliveries.clone().run(stop.clone()));
    let rescans = tokio::spawn(handoff.rescans.clone().run(stop.clone()));
    if config.ytdlp_updates.auto_update {
        let check = tools::auto_update::AutoUpdate {
            manager: state.ytdlp.clone(),
            store: state.store.clone(),
            index_url: config.ytdlp_updates.index_url.clone(),
            address_policy: config.address_policy.clone(),
        };
        tokio::spawn(check.run(stop.clone()));
    }

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
    let _ = workers.await;
    let _ = deliveries.await;
    let _ = rescans.await;
    let _ = purger.await;
    tracing::info!("stopped");
    Ok(())
}

fn plugin_host_config(
    config: &Config,
    identity: &config::Identity,
    metrics: &metrics::Metrics,
) -> plugins::PluginHostConfig {
    plugins::PluginHostConfig {
        plugin_directory: config.plugin_directory.clone(),
        data_directory: config.data_directory.clone(),
        cache_key: plugins::CacheKey::derive(identity.secret_key.expose()),
        call_timeout: config.plugin_call_timeout,
        memory_limit_bytes: config.plugin_memory_limit_bytes,
        address_policy: config.address_policy.clone(),
        watch: config.watch_plugins,
        max_upload_bytes: api::MAX_UPLOAD_BYTES,
        metrics: metrics.plugins.clone(),
        ..plugins::PluginHostConfig::default()
    }
}

/// Webhooks and rescans reach other servers under the downloads' address policy.
fn handoff_service(
    config: &Config,
    identity: &config::Identity,
    store: &Arc<dyn store::Store>,
    metrics: &metrics::Metrics,
) -> Arc<handoff::Handoff> {
    let outbound = handoff::outbound::Outbound {
        policy: config.address_policy.clone(),
        timeout: HANDOFF_TIMEOUT,
    };
    let boot: [u8; 6] = rand::random();
    Arc::new(handoff::Handoff {
        store: store.clone(),
        webhooks: Arc::new(handoff::WebhookService {
            store: store.clone(),
            outbound: outbound.clone(),
        }),
        deliveries: Arc::new(handoff::DeliveryWorker {
            store: store.clone(),
            outbound: outbound.clone(),
            metrics: metrics.handoff.clone(),
            worker_id: format!("{}:{}", identity.instance_id, hex::encode(boot)),
            retry: handoff::webhooks::RETRY_POLICY,
            wake: tokio::sync::Notify::new(),
        }),
        rescans: Arc::new(handoff::RescanService::new(
            store.clone(),
            outbound,
            metrics.handoff.clone(),
            config.rescan_quiet,
        )),
    })
}

fn executor_config(
    config: &Config,
    egress: Arc<net::egress_proxy::EgressProxy>,
) -> jobs::ExecutorConfig {
    jobs::ExecutorConfig {
        ytdlp: jobs::YtdlpSelection::fixed(config.tools.ytdlp.clone()),
        js_runtime_path: config.tools.js_runtime.clone(),
        ffmpeg_path: config.tools.ffmpeg.clone(),
        ffprobe_path: config.tools.ffprobe.clone(),
        output_directory: config.output_directory.clone(),
        output_template: config.output_template.clone(),
        album_output_template: config.album_output_template.clone(),
        address_policy: config.address_policy.clone(),
        egress,
        cancel_grace: Duration::from_secs(5),
        limits: config.job_limits.clone(),
    }
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
