//! Account, session and audit queries. SQLite and PostgreSQL accept the same SQL for all of
//! them (`$n` placeholders, `RETURNING`), so the files of `queries/` are written once and
//! compiled once per backend: `sqlite.rs` and `postgres.rs` each include them as modules
//! (`#[path]`) after naming their store `Store` and their sqlx database `Db`. What differs
//! lives in each backend's inherent items: `begin_write` (SQLite: `BEGIN IMMEDIATE`, SEC-33)
//! and `lock_users` (PostgreSQL: a table lock so "first user becomes admin" and "keep one
//! admin" hold under concurrency; SQLite's write transaction already serialises).

use super::{Db, Store};
use crate::{
    audit::AuditEvent,
    store::{
        AccountStore, AuditFilter, AuditRow, Duplicate, NewUser, Page, PageRequest, SessionUser,
        StoreError, StoreResult, User, UserPatch,
    },
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

impl Store {
    /// Writes an audit entry on `conn` (inside the caller's transaction, when it has one).
    /// Visible to the other `queries/` modules, which audit the same way.
    pub(super) async fn insert_audit(
        conn: &mut <Db as sqlx::Database>::Connection,
        event: &AuditEvent,
    ) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO audit_log (user_id, username, action, ip_address, user_agent, details, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(event.actor.user_id)
        .bind(event.actor.username.as_deref())
        .bind(event.action.as_str())
        .bind(event.actor.ip_address.as_deref())
        .bind(event.actor.user_agent.as_deref())
        .bind(sqlx::types::Json(&event.details))
        .bind(Utc::now())
        .execute(&mut *conn)
        .await?;
        Ok(())
    }
}

#[async_trait]
impl AccountStore for Store {
    #[tracing::instrument(skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn create_user(&self, user: NewUser, mut audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        Self::lock_users(&mut tx).await?;
        if user.only_if_first {
            let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
                .fetch_one(&mut *tx)
                .await?;
            if any {
                return Err(StoreError::RegistrationClosed);
            }
        }
        // Usernames are ASCII (validated); ones differing only in case would share a
        // `{user}` folder on a case-insensitive share (SMB), so they count as taken.
        let taken: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM users WHERE lower(username) = lower($1))",
        )
        .bind(&user.username)
        .fetch_one(&mut *tx)
        .await?;
        if taken {
            return Err(StoreError::Conflict(Duplicate::Username));
        }
        let created: User = sqlx::query_as(
            "INSERT INTO users (username, email, full_name, hashed_password, is_active, is_admin, session_generation, created_at) \
             VALUES ($1, $2, $3, $4, TRUE, NOT EXISTS (SELECT 1 FROM users), 0, $5) RETURNING *",
        )
        .bind(&user.username)
        .bind(&user.email)
        .bind(user.full_name.as_deref())
        .bind(&user.hashed_password)
        .bind(Utc::now())
        .fetch_one(&mut *tx)
        .await?;
        audit.actor.user_id.get_or_insert(created.id);
        audit
            .actor
            .username
            .get_or_insert_with(|| created.username.clone());
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(created)
    }

    #[tracing::instrument(skip_all)]
    async fn user_by_id(&self, id: i64) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn user_by_username(&self, username: &str) -> StoreResult<Option<User>> {
        Ok(sqlx::query_as("SELECT * FROM users WHERE username = $1")
            .bind(username)
            .fetch_optional(&self.pool)
            .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn list_users(&self, page: PageRequest) -> StoreResult<Page<User>> {
        let items = sqlx::query_as("SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2")
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_all(&self.pool)
            .await?;
        let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
            .fetch_one(&self.pool)
            .await?;
        Ok(Page { items, total })
    }

    #[tracing::instrument(skip_all)]
    async fn record_login(&self, user_id: i64, audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let user: Option<User> =
            sqlx::query_as("UPDATE users SET last_login = $2 WHERE id = $1 RETURNING *")
                .bind(user_id)
                .bind(Utc::now())
                .fetch_optional(&mut *tx)
                .await?;
        let user = user.ok_or(StoreError::NotFound)?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all)]
    async fn set_default_format(
        &self,
        user_id: i64,
        format: Option<crate::domain::AudioFormat>,
        audit: AuditEvent,
    ) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let user: Option<User> =
            sqlx::query_as("UPDATE users SET default_format = $2 WHERE id = $1 RETURNING *")
                .bind(user_id)
                .bind(format)
                .fetch_optional(&mut *tx)
                .await?;
        let user = user.ok_or(StoreError::NotFound)?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all)]
    async fn update_user(&self, id: i64, patch: UserPatch, audit: AuditEvent) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        Self::lock_users(&mut tx).await?;
        let user: Option<User> = sqlx::query_as(
            "UPDATE users SET is_active = COALESCE($2, is_active), is_admin = COALESCE($3, is_admin) \
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(patch.is_active)
        .bind(patch.is_admin)
        .fetch_optional(&mut *tx)
        .await?;
        let user = user.ok_or(StoreError::NotFound)?;
        let admins: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin AND is_active")
                .fetch_one(&mut *tx)
                .await?;
        if admins == 0 {
            tx.rollback().await?;
            return Err(StoreError::LastAdmin);
        }
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all)]
    async fn change_password(
        &self,
        id: i64,
        hashed_password: String,
        revoke_sessions: bool,
        audit: AuditEvent,
    ) -> StoreResult<User> {
        let mut tx = self.begin_write().await?;
        let user: Option<User> = sqlx::query_as(
            "UPDATE users SET hashed_password = $2, \
             session_generation = session_generation + CASE WHEN $3 THEN 1 ELSE 0 END \
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(hashed_password)
        .bind(revoke_sessions)
        .fetch_optional(&mut *tx)
        .await?;
        let user = user.ok_or(StoreError::NotFound)?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(user)
    }

    #[tracing::instrument(skip_all)]
    async fn blacklist_token(
        &self,
        jti: &str,
        user_id: i64,
        expires_at: DateTime<Utc>,
        audit: AuditEvent,
    ) -> StoreResult<()> {
        let mut tx = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO token_blacklist (jti, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (jti) DO NOTHING",
        )
        .bind(jti)
        .bind(user_id)
        .bind(expires_at)
        .bind(Utc::now())
        .execute(&mut *tx)
        .await?;
        Self::insert_audit(&mut tx, &audit).await?;
        tx.commit().await?;
        Ok(())
    }

    #[tracing::instrument(skip_all)]
    async fn is_token_blacklisted(&self, jti: &str) -> StoreResult<bool> {
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM token_blacklist WHERE jti = $1")
            .bind(jti)
            .fetch_optional(&self.pool)
            .await?;
        Ok(found.is_some())
    }

    #[tracing::instrument(skip_all)]
    async fn session_user(&self, user_id: i64, jti: &str) -> StoreResult<Option<SessionUser>> {
        Ok(sqlx::query_as(
            "SELECT u.*, EXISTS (SELECT 1 FROM token_blacklist WHERE jti = $2) AS token_revoked, \
             COALESCE((SELECT version FROM history_versions WHERE user_id = u.id), 0) \
             AS history_version FROM users u WHERE u.id = $1",
        )
        .bind(user_id)
        .bind(jti)
        .fetch_optional(&self.pool)
        .await?)
    }

    #[tracing::instrument(skip_all)]
    async fn purge_expired_tokens(&self, now: DateTime<Utc>) -> StoreResult<u64> {
        let done = sqlx::query("DELETE FROM token_blacklist WHERE expires_at < $1")
            .bind(now)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    #[tracing::instrument(skip_all)]
    async fn record_audit(&self, event: AuditEvent) -> StoreResult<()> {
        let mut conn = self.pool.acquire().await?;
        Self::insert_audit(&mut conn, &event).await
    }

    #[tracing::instrument(skip_all)]
    async fn list_audit(
        &self,
        filter: AuditFilter,
        page: PageRequest,
    ) -> StoreResult<Page<AuditRow>> {
        const WHERE: &str = "WHERE ($1 IS NULL OR user_id = $1) AND ($2 IS NULL OR action = $2)";
        let items = sqlx::query_as(&format!(
            "SELECT * FROM audit_log {WHERE} ORDER BY id DESC LIMIT $3 OFFSET $4"
        ))
        .bind(filter.user_id)
        .bind(filter.action.map(|a| a.as_str()))
        .bind(i64::from(page.per_page))
        .bind(page.offset())
        .fetch_all(&self.pool)
        .await?;
        let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM audit_log {WHERE}"))
            .bind(filter.user_id)
            .bind(filter.action.map(|a| a.as_str()))
            .fetch_one(&self.pool)
            .await?;
        Ok(Page { items, total })
    }
}
