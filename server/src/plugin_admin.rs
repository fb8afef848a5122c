//! Admin changes to plugins: upload, enable, disable, remove. Only callable with an `Admin`
//! (SEC-23); each change is audited with the module's SHA-256. The registry validates and
//! smoke-tests an upload before it replaces anything (SEC-21).

use crate::{
    audit::{AuditAction, AuditEvent},
    auth::Admin,
    error::{AppError, AppResult},
    plugins::{PluginAdminError, PluginChange, PluginRegistry, PluginSummary},
    store::Store,
};
use serde_json::json;
use std::sync::Arc;

/// Plugin administration, with what it uses: the registry and the store (for the audit).
pub struct PluginAdmin {
    pub plugins: Arc<PluginRegistry>,
    pub store: Arc<dyn Store>,
}

impl PluginAdmin {
    pub async fn upload(&self, admin: &Admin, bytes: Vec<u8>) -> AppResult<PluginSummary> {
        let change = self
            .plugins
            .install_upload(bytes)
            .await
            .map_err(admin_error)?;
        self.audit(admin, AuditAction::PluginUploaded, &change)
            .await
    }

    pub async fn set_enabled(
        &self,
        admin: &Admin,
        name: &str,
        enabled: bool,
    ) -> AppResult<PluginSummary> {
        let change = self
            .plugins
            .set_enabled(name, enabled)
            .await
            .map_err(admin_error)?;
        let action = if enabled {
            AuditAction::PluginEnabled
        } else {
            AuditAction::PluginDisabled
        };
        self.audit(admin, action, &change).await
    }

    pub async fn remove(&self, admin: &Admin, name: &str) -> AppResult<PluginSummary> {
        let change = self.plugins.remove(name).await.map_err(admin_error)?;
        self.audit(admin, AuditAction::PluginRemoved, &change).await
    }

    async fn audit(
        &self,
        admin: &Admin,
        action: AuditAction,
        change: &PluginChange,
    ) -> AppResult<PluginSummary> {
        let s = &change.summary;
        self
            .store
            .record_audit(AuditEvent::new(
                action,
                &admin.0.actor,
                json!({ "plugin": s.name, "version": s.version, "sha256": change.sha256, "source": s.source }),
            ))
            .await?;
        Ok(change.summary.clone())
    }
}

fn admin_error(err: PluginAdminError) -> AppError {
    match err {
        PluginAdminError::NotFound => AppError::NotFound("Plugin not found".into()),
        PluginAdminError::TooLarge { limit } => {
            AppError::PayloadTooLarge(format!("Plugin files may be at most {} MiB", limit >> 20))
        }
        PluginAdminError::Invalid(m) => AppError::Validation(format!("Invalid plugin: {m}")),
        PluginAdminError::Conflict(m) => AppError::Conflict(m),
        PluginAdminError::Internal(e) => AppError::Internal(e),
    }
}
