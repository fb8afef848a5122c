//! Persistence: one `Store` trait, one implementation per backend, picked from the
//! `DATABASE_URL` scheme. The queries are shared (`queries.rs`); each backend supplies only
//! what differs — how to connect, how to open a write transaction, and row locking.
//!
//! The store knows nothing of HTTP. Every method that changes state and has an audit entry
//! takes it as an argument and writes it in the same transaction.

mod postgres;
mod queries;
mod sqlite;
pub mod models;

pub use models::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;

use crate::audit::AuditEvent;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was broken; the string names the field (`username`, `email`).
    #[error("{0} already exists")]
    Conflict(&'static str),
    /// The change would leave the system without an active admin.
    #[error("the last active admin cannot be disabled or demoted")]
    LastAdmin,
    #[error("not found")]
    NotFound,
    #[error("database error")]
    Database(#[source] sqlx::Error),
    #[error("migration failed")]
    Migration(#[source] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::Database(db) = &err {
            if db.is_unique_violation() {
                let text = format!("{} {}", db.constraint().unwrap_or(""), db.message());
                return StoreError::Conflict(if text.contains("email") { "email" } else { "username" });
            }
        }
        StoreError::Database(err)
    }
}

pub type StoreResult<T> = Result<T, StoreError>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Cheap round trip for `/health`.
    async fn ping(&self) -> StoreResult<()>;

    /// Creates a user; the first user ever becomes admin. The audit event's actor gets the
    /// new user's id when it has none.
    async fn create_user(&self, user: NewUser, audit: AuditEvent) -> StoreResult<User>;
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>>;
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>>;
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>>;
    /// Records a successful login: sets `last_login` and writes the audit entry.
    async fn record_login(&self, user_id: i64, audit: AuditEvent) -> StoreResult<User>;
    /// Applies an admin's change; refuses to leave no active admin.
    async fn update_user(&self, id: i64, patch: UserPatch, audit: AuditEvent) -> StoreResult<User>;
    /// Stores a new password hash; with `revoke_sessions`, bumps the session generation so
    /// every token issued before is refused (SEC-12).
    async fn change_password(
        &self,
        id: i64,
        hashed_password: String,
        revoke_sessions: bool,
        audit: AuditEvent,
    ) -> StoreResult<User>;

    async fn blacklist_token(
        &self,
        jti: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> StoreResult<()>;
    async fn is_token_blacklisted(&self, jti: &str) -> StoreResult<bool>;
    /// Deletes blacklist rows whose token has expired anyway (SEC-11).
    async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> StoreResult<u64>;

    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()>;
    async fn list_audit(&self, filter: AuditFilter, page: PageRequest) -> StoreResult<Page<AuditRow>>;
}

/// Connects to the database named by the URL's scheme and runs its migrations.
pub async fn connect(database_url: &str) -> StoreResult<Arc<dyn Store>> {
    if database_url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(database_url).await?))
    } else {
        Ok(Arc::new(PostgresStore::connect(database_url).await?))
    }
}
