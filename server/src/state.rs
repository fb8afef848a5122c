//! The state every request handler and background task shares, passed explicitly
//! (`Data<&Arc<AppState>>`), never global.

use crate::{
    auth::{LoginThrottle, TokenService},
    config::Config,
    jobs::{events::EventHub, worker::JobRunner},
    plugins::PluginRegistry,
    store::Store,
};
use std::sync::Arc;

pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub tokens: TokenService,
    pub throttle: LoginThrottle,
    pub plugins: Arc<PluginRegistry>,
    pub events: Arc<EventHub>,
    pub runner: Arc<JobRunner>,
    /// The tool preflight (yt-dlp, its JavaScript runtime, ffmpeg, ffprobe, the output
    /// folder), running in the background after start.
    pub tools: crate::jobs::ToolStatus,
    /// Cancelled when the server shuts down (ends event streams).
    pub shutdown: tokio_util::sync::CancellationToken,
}
