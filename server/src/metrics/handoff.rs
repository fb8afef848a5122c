//! Webhook delivery attempts by outcome, and media-server rescans by server kind and
//! outcome (issue 12). The hand-off service records each attempt once, when it ends.

use prometheus_client::{
    encoding::EncodeLabelSet, metrics::counter::Counter, metrics::family::Family,
    registry::Registry,
};

/// How one webhook delivery attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryOutcome {
    /// The receiver answered 2xx.
    Delivered,
    /// It failed and will be tried again.
    Retrying,
    /// It failed and no attempt is left.
    Failed,
    /// The address policy refused the target (never retried).
    Refused,
}

impl DeliveryOutcome {
    const ALL: [DeliveryOutcome; 4] =
        [Self::Delivered, Self::Retrying, Self::Failed, Self::Refused];

    fn as_str(self) -> &'static str {
        match self {
            Self::Delivered => "delivered",
            Self::Retrying => "retrying",
            Self::Failed => "failed",
            Self::Refused => "refused",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutcomeLabels {
    outcome: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RescanLabels {
    server: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone)]
pub struct HandoffMetrics {
    deliveries: Family<OutcomeLabels, Counter>,
    rescans: Family<RescanLabels, Counter>,
}

impl Default for HandoffMetrics {
    fn default() -> Self {
        let metrics = Self {
            deliveries: Family::default(),
            rescans: Family::default(),
        };
        // Every delivery series exists from the start (at 0), so rates work from the first scrape.
        for outcome in DeliveryOutcome::ALL {
            metrics.deliveries.get_or_create_owned(&OutcomeLabels {
                outcome: outcome.as_str(),
            });
        }
        metrics
    }
}

impl HandoffMetrics {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "webhook_deliveries",
            "Webhook delivery attempts, by outcome (delivered, retrying, failed, refused)",
            self.deliveries.clone(),
        );
        registry.register(
            "media_server_rescans",
            "Media-server rescan requests, by server kind and outcome (ok, error)",
            self.rescans.clone(),
        );
    }

    pub fn delivery(&self, outcome: DeliveryOutcome) {
        self.deliveries
            .get_or_create(&OutcomeLabels {
                outcome: outcome.as_str(),
            })
            .inc();
    }

    pub fn rescan(&self, server: &'static str, ok: bool) {
        self.rescans
            .get_or_create(&RescanLabels {
                server,
                outcome: if ok { "ok" } else { "error" },
            })
            .inc();
    }
}
