//! The HTTP API: poem-openapi handlers only. Each file is one area of the REST contract —
//! `auth.rs` (`/auth/*`), `downloads.rs` (`/api/download`, `/api/downloads/*`), `plugins.rs`
//! (`/api/plugins`, `/api/admin/plugins/*`), `download_files.rs` (a download's audio, cover
//! and tracks, `/api/downloads/{id}/file|cover|tracks`, and the signed links for them),
//! `admin.rs` (`/api/admin/users`, `/api/admin/audit`), `library.rs`
//! (`/api/admin/library/rescan`), `webhooks.rs` (`/api/webhooks/*`, `/api/admin/webhooks/*`),
//! `media_servers.rs` (`/api/admin/media-servers/*`), `system.rs` (`/health`, `/`), `metrics.rs` (`/metrics`, a plain poem
//! route outside the OpenAPI document). Handlers parse, authorize, call a domain function and
//! map its error.

pub mod admin;
pub mod auth;
pub mod body_limit;
pub mod client_address;
pub mod cors;
pub mod download_events;
pub mod download_files;
pub mod download_views;
pub mod downloads;
pub mod error;
pub mod guard;
pub mod library;
pub mod media_response;
pub mod media_servers;
pub mod metrics;
pub mod models;
pub mod plugins;
pub mod serde_json_body;
pub mod system;
pub mod tools;
pub mod web;
pub mod webhooks;

use crate::state::AppState;
use poem::{
    Endpoint, EndpointExt, Route,
    http::header,
    middleware::{CatchPanic, SetHeader, Tracing},
};
use poem_openapi::OpenApiService;
use std::sync::Arc;

/// Largest request body accepted by JSON and form endpoints.
pub const MAX_BODY_BYTES: usize = 1024 * 1024;
/// Largest plugin upload (a compiled WASM component).
pub const MAX_UPLOAD_BYTES: usize = 20 * 1024 * 1024;

type Apis = (
    system::SystemApi,
    auth::AuthApi,
    downloads::DownloadsApi,
    download_files::DownloadFilesApi,
    plugins::PluginsApi,
    admin::AdminApi,
    library::LibraryApi,
    webhooks::WebhooksApi,
    media_servers::MediaServersApi,
    tools::ToolsApi,
);

/// The OpenAPI service; also used by tests to walk every operation.
pub fn openapi_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            system::SystemApi,
            auth::AuthApi,
            downloads::DownloadsApi,
            download_files::DownloadFilesApi,
            plugins::PluginsApi,
            admin::AdminApi,
            library::LibraryApi,
            webhooks::WebhooksApi,
            media_servers::MediaServersApi,
            tools::ToolsApi,
        ),
        "NAS Music Downloader",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "Self-hosted music downloader. Sign in with `POST /auth/login` (OAuth2 password form) \
         and send the token as `Authorization: Bearer …`. Errors are JSON `{\"detail\": \"…\"}`. \
         Not in this document: `GET /metrics`, Prometheus metrics in the text format (an \
         admin's token or METRICS_TOKEN). Media elements cannot send a header:          `POST /api/downloads/media-links` gives short-lived signed links for          `<audio src>` (`/api/downloads/{id}/file`, byte ranges supported) and `<img src>`          (`/api/downloads/{id}/cover`).",
    )
}

/// The whole HTTP application: API, docs, spec, CORS, limits and JSON errors.
pub fn app(state: Arc<AppState>) -> impl Endpoint + 'static {
    let api = openapi_service();
    let spec = api.spec_endpoint();
    let docs = api.swagger_ui();
    let origins = Arc::new(state.config.cors_origins.iter().cloned().collect());
    let request_metrics = crate::metrics::RecordHttp {
        metrics: state.metrics.http.clone(),
        routes: Arc::new(route_templates(&api)),
    };
    let routes = Route::new()
        .at("/openapi.json", spec)
        .at("/metrics", poem::get(metrics::scrape))
        .nest("/docs", docs)
        .nest("/", api);
    web::WithWebPage {
        api: routes,
        page: web::WebPage::choose(state.config.web_directory.as_deref()),
    }
    .with(body_limit::BodyLimit {
        default_bytes: MAX_BODY_BYTES,
        large: ("/api/admin/plugins", MAX_UPLOAD_BYTES),
    })
    .catch_all_error(error::json_error_catcher)
    .with(CatchPanic::new().with_handler(|_| {
        use poem::IntoResponse;
        poem::web::Json(serde_json::json!({ "detail": "Internal server error" }))
            .with_status(poem::http::StatusCode::INTERNAL_SERVER_ERROR)
            .into_response()
    }))
    .with(cors::AllowedOrigins(origins))
    // SEC-48: no content sniffing, no referrer leaking a page's address to other sites.
    .with(
        SetHeader::new()
            .overriding(header::X_CONTENT_TYPE_OPTIONS, "nosniff")
            .overriding(header::REFERRER_POLICY, "no-referrer"),
    )
    .with(Tracing)
    .with(request_metrics)
    .data(state)
}

/// Every route's template, for the request metrics: the OpenAPI document's paths, and the
/// routes outside it.
fn route_templates(api: &OpenApiService<Apis, ()>) -> crate::metrics::RouteTemplates {
    let spec: serde_json::Value = serde_json::from_str(&api.spec()).unwrap_or_default();
    let documented = spec["paths"]
        .as_object()
        .map(|paths| paths.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default();
    crate::metrics::RouteTemplates::new(
        documented
            .iter()
            .map(String::as_str)
            .chain(["/openapi.json", "/metrics"]),
        "/docs",
    )
}
