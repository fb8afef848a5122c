//! History page lookups (`GET /api/downloads`) by result: sent from the page cache (`hit`) or
//! built from the database (`miss`). The page cache (`history_pages.rs`) records both.

use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family},
    registry::Registry,
};

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct LookupLabels {
    result: &'static str,
}

/// A handle the page cache records into. `Default` gives one that no registry exports
/// (tests, benches); both results are exported from the start, at 0.
#[derive(Debug, Clone)]
pub struct HistoryPageMetrics {
    lookups: Family<LookupLabels, Counter>,
}

impl Default for HistoryPageMetrics {
    fn default() -> Self {
        let metrics = Self {
            lookups: Family::default(),
        };
        for result in ["hit", "miss"] {
            metrics
                .lookups
                .get_or_create_owned(&LookupLabels { result });
        }
        metrics
    }
}

impl HistoryPageMetrics {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "history_page_lookups",
            "History pages asked for, by whether the page cache had them (hit) or they were built (miss)",
            self.lookups.clone(),
        );
    }

    /// One page asked for: `hit` when the cache could send it.
    pub fn lookup(&self, hit: bool) {
        let result = if hit { "hit" } else { "miss" };
        self.lookups.get_or_create(&LookupLabels { result }).inc();
    }
}
