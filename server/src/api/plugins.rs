//! `/api/plugins` (any signed-in user) and `/api/admin/plugins` (admins: upload, enable,
//! disable, remove).

use super::{error::ApiResult, guard::BearerAuth};
use crate::{
    plugins::{PluginSource, PluginSummary},
    state::AppState,
};
use chrono::{DateTime, Utc};
use poem::web::Data;
use poem_openapi::{
    ApiResponse, Multipart, Object, OpenApi, Tags, param::Path, payload::Json,
    types::multipart::Upload,
};
use std::sync::Arc;

#[derive(Tags)]
enum PluginTags {
    /// Extractor plugins
    Plugins,
}

/// An extractor plugin.
#[derive(Debug, Object)]
#[oai(rename = "Plugin")]
pub struct PluginView {
    pub name: String,
    pub version: String,
    pub description: String,
    /// URL patterns it claims.
    pub patterns: Vec<String>,
    /// Higher wins when several plugins match.
    pub priority: i32,
    /// Hosts its `http-get` may reach.
    pub hosts: Vec<String>,
    pub enabled: bool,
    pub source: PluginSource,
    /// SHA-256 of the WASM module.
    pub sha256: String,
    /// The plugin interface version it was built against.
    pub interface_version: String,
    pub loaded_at: DateTime<Utc>,
    /// The last failed reload or crash, if any. Only admins see the detail (it can name
    /// server paths); others see that there was an error.
    #[oai(nullable)]
    pub last_error: Option<String>,
}

impl From<PluginSummary> for PluginView {
    fn from(s: PluginSummary) -> Self {
        Self {
            source: s.source,
            name: s.name,
            version: s.version,
            description: s.description,
            patterns: s.patterns,
            priority: s.priority,
            hosts: s.hosts,
            enabled: s.enabled,
            sha256: s.sha256,
            interface_version: s.interface_version,
            loaded_at: s.loaded_at,
            last_error: s.last_error,
        }
    }
}

#[derive(Multipart)]
pub struct PluginUpload {
    /// A compiled plugin (`.wasm` component built for wasm32-wasip2).
    pub file: Upload,
}

#[derive(Debug, Object)]
pub struct PluginUpdate {
    pub enabled: bool,
}

#[derive(ApiResponse)]
enum PluginsListed {
    #[oai(status = 200)]
    Ok(Json<Vec<PluginView>>),
}

#[derive(ApiResponse)]
enum PluginInstalled {
    /// Validated, smoke-tested and active.
    #[oai(status = 201)]
    Created(Json<PluginView>),
}

#[derive(ApiResponse)]
enum PluginUpdated {
    #[oai(status = 200)]
    Ok(Json<PluginView>),
}

#[derive(ApiResponse)]
enum PluginRemoved {
    /// Removed.
    #[oai(status = 204)]
    NoContent,
}

/// What a non-admin sees of a plugin's last error (SEC-48).
pub const HIDDEN_ERROR: &str = "The plugin reported an error; an admin can see the details";

pub struct PluginsApi;

#[OpenApi(tag = "PluginTags::Plugins")]
impl PluginsApi {
    /// List extractor plugins
    #[oai(path = "/api/plugins", method = "get")]
    async fn list(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
    ) -> ApiResult<PluginsListed> {
        let is_admin = auth.0.user.is_admin;
        Ok(PluginsListed::Ok(Json(
            state
                .plugins
                .list()
                .into_iter()
                .map(|summary| {
                    let mut view = PluginView::from(summary);
                    if !is_admin && view.last_error.is_some() {
                        view.last_error = Some(HIDDEN_ERROR.into());
                    }
                    view
                })
                .collect(),
        )))
    }

    /// Upload a plugin (admin)
    ///
    /// Multipart field `file`. The module is validated against the plugin interface and
    /// smoke-tested before it replaces anything; a bad upload changes nothing (422).
    #[oai(path = "/api/admin/plugins", method = "post")]
    async fn upload(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        form: PluginUpload,
    ) -> ApiResult<PluginInstalled> {
        let admin = auth.0.require_admin()?;
        let bytes = form.file.into_vec().await.map_err(|e| {
            crate::error::AppError::Validation(format!("Could not read the upload: {e}"))
        })?;
        let summary = state.plugin_admin.upload(&admin, bytes).await?;
        Ok(PluginInstalled::Created(Json(summary.into())))
    }

    /// Enable or disable a plugin (admin)
    #[oai(path = "/api/admin/plugins/:name", method = "patch")]
    async fn update(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        name: Path<String>,
        body: Json<PluginUpdate>,
    ) -> ApiResult<PluginUpdated> {
        let admin = auth.0.require_admin()?;
        let summary = state
            .plugin_admin
            .set_enabled(&admin, &name.0, body.0.enabled)
            .await?;
        Ok(PluginUpdated::Ok(Json(summary.into())))
    }

    /// Remove a plugin (admin)
    #[oai(path = "/api/admin/plugins/:name", method = "delete")]
    async fn remove(
        &self,
        state: Data<&Arc<AppState>>,
        auth: BearerAuth,
        name: Path<String>,
    ) -> ApiResult<PluginRemoved> {
        let admin = auth.0.require_admin()?;
        state.plugin_admin.remove(&admin, &name.0).await?;
        Ok(PluginRemoved::NoContent)
    }
}
