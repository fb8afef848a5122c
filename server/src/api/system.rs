//! `/health` and `/`: unauthenticated service status.

use crate::jobs::ToolReport;
use crate::state::AppState;
use poem::{Request, web::Data};
use poem_openapi::{ApiResponse, Enum, Object, OpenApi, Tags, payload::Json};
use std::{sync::Arc, time::Duration};

#[derive(Tags)]
enum SystemTags {
    /// Service status
    System,
}

/// Where a tool stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ToolState {
    /// The start-up preflight is still running.
    Checking,
    Ok,
    /// Not found, or it does not run: the downloads that need it fail.
    Missing,
}

#[derive(Debug, Object)]
pub struct ToolHealth {
    pub status: ToolState,
    /// The version found (admins only).
    #[oai(skip_serializing_if_is_none)]
    pub version: Option<String>,
}

/// The download tools, as the start-up preflight found them.
#[derive(Debug, Object)]
pub struct ToolsHealth {
    pub ytdlp: ToolHealth,
    /// yt-dlp-ejs, the scripts that solve YouTube's JavaScript challenges.
    pub ytdlp_ejs: ToolHealth,
    /// The JavaScript runtime (Deno) that runs them.
    pub js_runtime: ToolHealth,
    pub ffmpeg: ToolHealth,
    pub ffprobe: ToolHealth,
}

/// The service as a whole: the database answers or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum ServiceState {
    Healthy,
    Unhealthy,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum DatabaseState {
    Ok,
    Unreachable,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum DatabaseBackend {
    Sqlite,
    Postgres,
}

/// The tool preflight, which runs in the background just after start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename_all = "lowercase")]
pub enum PreflightState {
    Checking,
    Done,
}

#[derive(Debug, Object)]
pub struct Health {
    pub status: ServiceState,
    pub version: String,
    pub database: DatabaseState,
    pub database_backend: DatabaseBackend,
    pub preflight: PreflightState,
    pub tools: ToolsHealth,
    /// Whether the output folder is writable (absent while checking).
    #[oai(skip_serializing_if_is_none)]
    pub output_writable: Option<bool>,
    /// Free space in the output folder, in bytes (admins only).
    #[oai(skip_serializing_if_is_none)]
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
    /// Checks the database (503 when it is unreachable) and reports the tool preflight that
    /// runs in the background after start: for each of yt-dlp, yt-dlp-ejs, the JavaScript
    /// runtime, ffmpeg and ffprobe `checking`, `ok` or `missing`, and whether the output
    /// folder is writable. Sent with an admin's token, it also shows the tool versions and
    /// the free space.
    #[oai(path = "/health", method = "get")]
    async fn health(&self, state: Data<&Arc<AppState>>, req: &Request) -> HealthResponse {
        let database_ok = matches!(
            tokio::time::timeout(Duration::from_secs(3), state.store.ping()).await,
            Ok(Ok(()))
        );
        let report = state.tools.current();
        let admin = super::guard::is_admin_request(req).await;
        let health = Health {
            status: if database_ok {
                ServiceState::Healthy
            } else {
                ServiceState::Unhealthy
            },
            version: env!("CARGO_PKG_VERSION").into(),
            database: if database_ok {
                DatabaseState::Ok
            } else {
                DatabaseState::Unreachable
            },
            database_backend: if state.config.is_sqlite() {
                DatabaseBackend::Sqlite
            } else {
                DatabaseBackend::Postgres
            },
            preflight: if report.is_some() {
                PreflightState::Done
            } else {
                PreflightState::Checking
            },
            tools: tools_health(report.as_deref(), admin),
            output_writable: report.as_ref().map(|r| r.output_writable),
            output_free_bytes: report.as_ref().and_then(|r| r.free_bytes).filter(|_| admin),
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

fn tools_health(report: Option<&ToolReport>, admin: bool) -> ToolsHealth {
    let tool = |version: fn(&ToolReport) -> &Option<String>| match report {
        None => ToolHealth {
            status: ToolState::Checking,
            version: None,
        },
        Some(report) => ToolHealth {
            status: match version(report) {
                Some(_) => ToolState::Ok,
                None => ToolState::Missing,
            },
            version: version(report).clone().filter(|_| admin),
        },
    };
    ToolsHealth {
        ytdlp: tool(|r| &r.ytdlp_version),
        ytdlp_ejs: tool(|r| &r.ejs_version),
        js_runtime: tool(|r| &r.js_runtime_version),
        ffmpeg: tool(|r| &r.ffmpeg_version),
        ffprobe: tool(|r| &r.ffprobe_version),
    }
}
