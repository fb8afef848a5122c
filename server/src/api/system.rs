//! `/health` and `/`: unauthenticated service status.

use crate::state::AppState;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags, payload::Json};
use std::{sync::Arc, time::Duration};

#[derive(Tags)]
enum SystemTags {
    /// Service status
    System,
}

#[derive(Debug, Object)]
pub struct Health {
    /// `healthy` or `unhealthy`.
    pub status: String,
    pub version: String,
    /// `ok` or `unreachable`.
    pub database: String,
    /// `sqlite` or `postgres`.
    pub database_backend: String,
    /// yt-dlp's version, or null when it was not found at start-up.
    pub ytdlp: Option<String>,
    /// ffmpeg's version, or null when it was not found at start-up.
    pub ffmpeg: Option<String>,
    pub output_writable: bool,
    /// Free space in the output folder, in bytes.
    pub output_free_bytes: Option<u64>,
    /// Number of extractor plugins loaded.
    pub plugins: usize,
}

#[derive(Debug, Object)]
pub struct ServiceInfo {
    pub name: String,
    pub version: String,
    pub status: String,
    /// Where the interactive API documentation is.
    pub docs: String,
    pub openapi: String,
}

#[derive(ApiResponse)]
enum HealthResponse {
    /// Everything the service needs is reachable.
    #[oai(status = 200)]
    Healthy(Json<Health>),
    /// Something the service needs is down.
    #[oai(status = 503)]
    Unhealthy(Json<Health>),
}

#[derive(ApiResponse)]
enum InfoResponse {
    #[oai(status = 200)]
    Ok(Json<ServiceInfo>),
}

pub struct SystemApi;

#[OpenApi(tag = "SystemTags::System")]
impl SystemApi {
    /// Health check
    ///
    /// Checks the database (503 when it is unreachable) and reports the start-up preflight:
    /// yt-dlp and ffmpeg versions, whether the output folder is writable, free space.
    #[oai(path = "/health", method = "get")]
    async fn health(&self, state: Data<&Arc<AppState>>) -> HealthResponse {
        let database_ok = matches!(
            tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await,
            Ok(Ok(()))
        );
        let health = Health {
            status: if database_ok { "healthy" } else { "unhealthy" }.into(),
            version: env!("CARGO_PKG_VERSION").into(),
            database: if database_ok { "ok" } else { "unreachable" }.into(),
            database_backend: if state.config.is_sqlite() {
                "sqlite"
            } else {
                "postgres"
            }
            .into(),
            ytdlp: state.tools.ytdlp_version.clone(),
            ffmpeg: state.tools.ffmpeg_version.clone(),
            output_writable: state.tools.output_writable,
            output_free_bytes: state.tools.free_bytes,
            plugins: state.plugins.list().len(),
        };
        if database_ok {
            HealthResponse::Healthy(Json(health))
        } else {
            HealthResponse::Unhealthy(Json(health))
        }
    }

    /// Service information
    #[oai(path = "/", method = "get")]
    async fn root(&self) -> InfoResponse {
        InfoResponse::Ok(Json(ServiceInfo {
            name: "NAS Music Downloader".into(),
            version: env!("CARGO_PKG_VERSION").into(),
            status: "running".into(),
            docs: "/docs".into(),
            openapi: "/openapi.json".into(),
        }))
    }
}
