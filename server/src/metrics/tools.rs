//! `nas_tool_info{tool, version} 1`: the versions of the download tools the start-up
//! preflight found, as an info metric. The scrape handler passes what the preflight
//! reported; a tool that is missing has no series.

use prometheus_client::{
    collector::Collector,
    encoding::{DescriptorEncoder, EncodeLabelSet},
    metrics::MetricType,
};
use std::sync::RwLock;

/// A tool and the version it reported.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ToolVersion {
    pub tool: &'static str,
    pub version: String,
}

#[derive(Debug, Default)]
pub(super) struct ToolInfo {
    versions: RwLock<Vec<ToolVersion>>,
}

impl ToolInfo {
    pub fn set(&self, versions: Vec<ToolVersion>) {
        *self.versions.write().unwrap_or_else(|e| e.into_inner()) = versions;
    }
}

impl Collector for ToolInfo {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let versions = self.versions.read().unwrap_or_else(|e| e.into_inner());
        if versions.is_empty() {
            return Ok(());
        }
        let mut metric = encoder.encode_descriptor(
            "tool",
            "Version of a download tool, as found at start-up",
            None,
            MetricType::Info,
        )?;
        for version in versions.iter() {
            metric.encode_info(version)?;
        }
        Ok(())
    }
}
