//! Prometheus metrics: one [`Metrics`] registry per server, built in `run` and passed down as
//! state (no global). Each part is a cheap handle (the families share their storage) that the
//! code recording it receives: the HTTP middleware [`HttpMetrics`], the job runner
//! [`DownloadMetrics`], the plugin registry [`PluginMetrics`], the hand-off
//! service [`HandoffMetrics`], the history page cache [`HistoryPageMetrics`]. What is only known at scrape
//! time — the queue depth (read from the store) and the tool versions (the start-up
//! preflight) — is handed to [`Metrics::encode`] by the `/metrics` handler.
//!
//! Encoding is `prometheus-client`'s Prometheus text format (0.0.4); every name starts with
//! `nas_` and carries its unit.

mod downloads;
mod handoff;
mod history_pages;
mod http;
mod plugins;
mod tools;

pub use downloads::DownloadMetrics;
pub use handoff::{DeliveryOutcome, HandoffMetrics};
pub use history_pages::HistoryPageMetrics;
pub use http::{HttpMetrics, RecordHttp, RouteTemplates};
pub use plugins::{PluginMetrics, ReloadOutcome};
pub use tools::ToolVersion;

use prometheus_client::{encoding::prometheus_text, metrics::gauge::Gauge, registry::Registry};
use std::sync::Arc;

/// The `Content-Type` of a scrape.
pub const CONTENT_TYPE: &str = prometheus_text::CONTENT_TYPE;

/// Every metric the server exports, and the registry that encodes them.
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    pub http: HttpMetrics,
    pub downloads: DownloadMetrics,
    pub plugins: PluginMetrics,
    /// Webhook deliveries and media-server rescans.
    pub handoff: HandoffMetrics,
    pub history_pages: HistoryPageMetrics,
    queue_depth: Gauge,
    tools: Arc<tools::ToolInfo>,
}

/// What the scrape handler read for this scrape.
pub struct ScrapeFacts {
    /// Pending jobs in the database; `None` when the store did not answer (the last value stays).
    pub queue_depth: Option<i64>,
    /// The tools the preflight found; empty while it still runs.
    pub tools: Vec<ToolVersion>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("nas");
        let http = HttpMetrics::default();
        http.register(&mut registry);
        let downloads = DownloadMetrics::default();
        downloads.register(&mut registry);
        let plugins = PluginMetrics::default();
        plugins.register(&mut registry);
        let handoff = HandoffMetrics::default();
        handoff.register(&mut registry);
        let history_pages = HistoryPageMetrics::default();
        history_pages.register(&mut registry);
        let queue_depth = Gauge::default();
        registry.register(
            "download_queue_depth",
            "Downloads waiting in the queue (status pending, all instances), read at scrape time",
            queue_depth.clone(),
        );
        let tools = Arc::new(tools::ToolInfo::default());
        registry.register_collector(Box::new(tools.clone()));
        Self {
            registry,
            http,
            downloads,
            plugins,
            handoff,
            history_pages,
            queue_depth,
            tools,
        }
    }

    /// The whole registry in the Prometheus text format, after taking in this scrape's facts.
    pub fn encode(&self, facts: ScrapeFacts) -> Result<String, std::fmt::Error> {
        if let Some(depth) = facts.queue_depth {
            self.queue_depth.set(depth);
        }
        self.tools.set(facts.tools);
        let mut out = String::with_capacity(16 * 1024);
        prometheus_text::encode(&mut out, &self.registry)?;
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
