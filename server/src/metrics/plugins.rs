//! Plugin calls by plugin and outcome with their latency, and plugin (re)loads from
//! PLUGIN_DIRECTORY (at start and on every hot reload) by outcome. The plugin registry
//! records both.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{
        counter::Counter,
        family::Family,
        histogram::{Histogram, exponential_buckets},
    },
    registry::{Registry, Unit},
};
use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct CallLabels {
    plugin: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct ReloadLabels {
    outcome: &'static str,
}

/// How a plugin file's load went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReloadOutcome {
    /// Compiled, smoke-tested and swapped in.
    Loaded,
    /// Refused; the previous version (if any) stays.
    Failed,
}

impl ReloadOutcome {
    fn as_str(self) -> &'static str {
        match self {
            Self::Loaded => "loaded",
            Self::Failed => "failed",
        }
    }
}

/// 1 ms to about 16 s (the call deadline is 15 s by default).
fn call_histogram() -> Histogram {
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

/// A handle the plugin registry records into. `Default` gives one that no registry exports
/// (tests, benches).
#[derive(Debug, Clone)]
pub struct PluginMetrics {
    calls: Family<CallLabels, Counter>,
    latency: Family<CallLabels, Histogram, fn() -> Histogram>,
    reloads: Family<ReloadLabels, Counter>,
}

impl Default for PluginMetrics {
    fn default() -> Self {
        let metrics = Self {
            calls: Family::default(),
            latency: Family::new_with_constructor(call_histogram as fn() -> Histogram),
            reloads: Family::default(),
        };
        for outcome in [ReloadOutcome::Loaded, ReloadOutcome::Failed] {
            metrics.reloads.get_or_create_owned(&ReloadLabels {
                outcome: outcome.as_str(),
            });
        }
        metrics
    }
}

impl PluginMetrics {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "plugin_calls",
            "Plugin resolve() calls, by plugin and outcome (ok, or the error's kind)",
            self.calls.clone(),
        );
        registry.register_with_unit(
            "plugin_call_duration",
            "Time a plugin resolve() call took, waiting for a free instance included, by plugin and outcome",
            Unit::Seconds,
            self.latency.clone(),
        );
        registry.register(
            "plugin_reloads",
            "Plugin files of PLUGIN_DIRECTORY compiled and checked (at start and on hot reload), by outcome",
            self.reloads.clone(),
        );
    }

    /// One call of `plugin`, ended with `outcome` after `took`.
    pub fn call(&self, plugin: &str, outcome: &'static str, took: Duration) {
        let labels = CallLabels {
            plugin: plugin.to_owned(),
            outcome,
        };
        self.latency
            .get_or_create(&labels)
            .observe(took.as_secs_f64());
        self.calls.get_or_create(&labels).inc();
    }

    pub fn reload(&self, outcome: ReloadOutcome) {
        self.reloads
            .get_or_create(&ReloadLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }
}
