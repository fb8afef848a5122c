//! Downloads that ended, by final status and format; how long the completed ones took and
//! how many bytes they wrote. The job runner records each job once, when its row reaches a
//! final status (a retry that goes back to the queue is not an end).

use crate::domain::{AudioFormat, DownloadStatus};
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
struct EndLabels {
    status: &'static str,
    format: &'static str,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
struct FormatLabels {
    format: &'static str,
}

/// The statuses a download ends in.
const FINAL: [DownloadStatus; 4] = [
    DownloadStatus::Completed,
    DownloadStatus::Failed,
    DownloadStatus::Cancelled,
    DownloadStatus::Skipped,
];

/// 1 s to about 2.3 h.
fn duration_histogram() -> Histogram {
    Histogram::new(exponential_buckets(1.0, 2.0, 14))
}

#[derive(Debug, Clone)]
pub struct DownloadMetrics {
    ended: Family<EndLabels, Counter>,
    duration: Family<FormatLabels, Histogram, fn() -> Histogram>,
    bytes: Family<FormatLabels, Counter>,
}

impl Default for DownloadMetrics {
    fn default() -> Self {
        let metrics = Self {
            ended: Family::default(),
            duration: Family::new_with_constructor(duration_histogram as fn() -> Histogram),
            bytes: Family::default(),
        };
        // Every series exists from the start (at 0), so rates work from the first scrape.
        for format in AudioFormat::ALL {
            let format = format.as_str();
            for status in FINAL {
                let status = status.as_str();
                metrics
                    .ended
                    .get_or_create_owned(&EndLabels { status, format });
            }
            metrics.bytes.get_or_create_owned(&FormatLabels { format });
        }
        metrics
    }
}

impl DownloadMetrics {
    pub(super) fn register(&self, registry: &mut Registry) {
        registry.register(
            "downloads",
            "Downloads that reached a final status, by status and requested format",
            self.ended.clone(),
        );
        registry.register_with_unit(
            "download_duration",
            "Time from a completed download's (last) start to its file being placed, by format",
            Unit::Seconds,
            self.duration.clone(),
        );
        registry.register_with_unit(
            "download",
            "Bytes of the files completed downloads placed, by format",
            Unit::Bytes,
            self.bytes.clone(),
        );
    }

    /// A download reached `status` (anything else than a final status is ignored). A
    /// completed one gives its size and how long it took.
    pub fn ended(
        &self,
        status: DownloadStatus,
        format: AudioFormat,
        size_bytes: Option<u64>,
        took: Option<Duration>,
    ) {
        if !FINAL.contains(&status) {
            return;
        }
        let format = format.as_str();
        self.ended
            .get_or_create(&EndLabels {
                status: status.as_str(),
                format,
            })
            .inc();
        if status != DownloadStatus::Completed {
            return;
        }
        if let Some(bytes) = size_bytes {
            self.bytes
                .get_or_create(&FormatLabels { format })
                .inc_by(bytes);
        }
        if let Some(took) = took {
            self.duration
                .get_or_create(&FormatLabels { format })
                .observe(took.as_secs_f64());
        }
    }
}
