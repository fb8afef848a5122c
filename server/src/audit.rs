//! The audit trail: typed actions and the record written with each one.
//!
//! An audit entry is written in the same transaction as the change it describes (or, for
//! failures, on its own); if the write fails, the action fails (STYLE: never a silent audit).

use poem_openapi::Enum;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything the audit log can record. Stored as the snake_case name; the database's
/// `CHECK` on `audit_log.action` lists the same names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Enum, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[oai(rename_all = "snake_case")]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum AuditAction {
    UserRegistered,
    LoginSucceeded,
    LoginFailed,
    LoginThrottled,
    Logout,
    PasswordChanged,
    UserUpdated,
    DownloadRequested,
    DownloadCancelled,
    DownloadRetried,
    DownloadDeleted,
    PluginUploaded,
    PluginEnabled,
    PluginDisabled,
    PluginRemoved,
    /// An admin rescanned the music library's index.
    LibraryRescanned,
    WebhookCreated,
    WebhookUpdated,
    WebhookDeleted,
    MediaServerUpdated,
    MediaServerDeleted,
    /// An admin's (or the daily check's) yt-dlp update passed its smoke test and switched.
    ToolUpdated,
    /// A yt-dlp update was refused: its install or smoke test failed; nothing changed.
    ToolUpdateRefused,
    /// An admin switched back to the previous yt-dlp.
    ToolRolledBack,
}

impl AuditAction {
    pub const ALL: [AuditAction; 24] = [
        Self::UserRegistered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::LoginThrottled,
        Self::Logout,
        Self::PasswordChanged,
        Self::UserUpdated,
        Self::DownloadRequested,
        Self::DownloadCancelled,
        Self::DownloadRetried,
        Self::DownloadDeleted,
        Self::PluginUploaded,
        Self::PluginEnabled,
        Self::PluginDisabled,
        Self::PluginRemoved,
        Self::LibraryRescanned,
        Self::WebhookCreated,
        Self::WebhookUpdated,
        Self::WebhookDeleted,
        Self::MediaServerUpdated,
        Self::MediaServerDeleted,
        Self::ToolUpdated,
        Self::ToolUpdateRefused,
        Self::ToolRolledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::UserRegistered => "user_registered",
            Self::LoginSucceeded => "login_succeeded",
            Self::LoginFailed => "login_failed",
            Self::LoginThrottled => "login_throttled",
            Self::Logout => "logout",
            Self::PasswordChanged => "password_changed",
            Self::UserUpdated => "user_updated",
            Self::DownloadRequested => "download_requested",
            Self::DownloadCancelled => "download_cancelled",
            Self::DownloadRetried => "download_retried",
            Self::DownloadDeleted => "download_deleted",
            Self::PluginUploaded => "plugin_uploaded",
            Self::PluginEnabled => "plugin_enabled",
            Self::PluginDisabled => "plugin_disabled",
            Self::PluginRemoved => "plugin_removed",
            Self::LibraryRescanned => "library_rescanned",
            Self::WebhookCreated => "webhook_created",
            Self::WebhookUpdated => "webhook_updated",
            Self::WebhookDeleted => "webhook_deleted",
            Self::MediaServerUpdated => "media_server_updated",
            Self::MediaServerDeleted => "media_server_deleted",
            Self::ToolUpdated => "tool_updated",
            Self::ToolUpdateRefused => "tool_update_refused",
            Self::ToolRolledBack => "tool_rolled_back",
        }
    }
}

/// Who did something, from where.
#[derive(Debug, Clone, Default)]
pub struct Actor {
    pub user_id: Option<i64>,
    pub username: Option<String>,
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

/// One entry to write.
#[derive(Debug, Clone)]
pub struct AuditEvent {
    pub action: AuditAction,
    pub actor: Actor,
    pub details: Value,
}

impl AuditEvent {
    pub fn new(action: AuditAction, actor: &Actor, details: Value) -> Self {
        Self {
            action,
            actor: actor.clone(),
            details,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_name_in_the_api_and_the_database() {
        for action in AuditAction::ALL {
            let json = serde_json::to_value(action).unwrap();
            assert_eq!(json, action.as_str());
            assert_eq!(serde_json::from_value::<AuditAction>(json).unwrap(), action);
        }
        assert!(serde_json::from_value::<AuditAction>("drop_tables".into()).is_err());
    }
}
