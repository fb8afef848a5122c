//! Account, session and audit queries, shared by both backends. SQLite and PostgreSQL accept
//! the same SQL for all of them (`$n` placeholders, `RETURNING`), so the `AccountStore`
//! implementation is written once, as a macro expanded for each backend's concrete pool type. What differs lives in each
//! backend's inherent methods: `begin_write` (SQLite: `BEGIN IMMEDIATE`, SEC-33) and
//! `lock_users` (PostgreSQL: a table lock so "first user becomes admin" and "keep one admin"
//! hold under concurrency; SQLite's write transaction already serialises).

macro_rules! impl_account_store {
    ($store:ty, $db:ty) => {
        impl $store {
            async fn insert_audit(
                conn: &mut <$db as sqlx::Database>::Connection,
                event: &$crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
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
                .bind(chrono::Utc::now())
                .execute(&mut *conn)
                .await?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AccountStore for $store {
            #[tracing::instrument(skip_all)]
            async fn ping(&self) -> $crate::store::StoreResult<()> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn create_user(
                &self,
                user: $crate::store::NewUser,
                mut audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.begin_write().await?;
                Self::lock_users(&mut tx).await?;
                if user.only_if_first {
                    let any: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM users)")
                        .fetch_one(&mut *tx)
                        .await?;
                    if any {
                        return Err($crate::store::StoreError::RegistrationClosed);
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
                    return Err($crate::store::StoreError::Conflict($crate::store::Duplicate::Username));
                }
                let created: $crate::store::User = sqlx::query_as(
                    "INSERT INTO users (username, email, full_name, hashed_password, is_active, is_admin, session_generation, created_at) \
                     VALUES ($1, $2, $3, $4, TRUE, NOT EXISTS (SELECT 1 FROM users), 0, $5) RETURNING *",
                )
                .bind(&user.username)
                .bind(&user.email)
                .bind(user.full_name.as_deref())
                .bind(&user.hashed_password)
                .bind(chrono::Utc::now())
                .fetch_one(&mut *tx)
                .await?;
                audit.actor.user_id.get_or_insert(created.id);
                audit.actor.username.get_or_insert_with(|| created.username.clone());
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(created)
            }

            #[tracing::instrument(skip_all)]
            async fn user_by_id(&self, id: i64) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                Ok(sqlx::query_as("SELECT * FROM users WHERE id = $1")
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn user_by_username(
                &self,
                username: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::User>> {
                Ok(sqlx::query_as("SELECT * FROM users WHERE username = $1")
                    .bind(username)
                    .fetch_optional(&self.pool)
                    .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn list_users(
                &self,
                page: $crate::store::PageRequest,
            ) -> $crate::store::StoreResult<$crate::store::Page<$crate::store::User>> {
                let items = sqlx::query_as("SELECT * FROM users ORDER BY id LIMIT $1 OFFSET $2")
                    .bind(i64::from(page.per_page))
                    .bind(page.offset())
                    .fetch_all(&self.pool)
                    .await?;
                let total: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
                    .fetch_one(&self.pool)
                    .await?;
                Ok($crate::store::Page { items, total })
            }

            #[tracing::instrument(skip_all)]
            async fn record_login(
                &self,
                user_id: i64,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.begin_write().await?;
                let user: Option<$crate::store::User> =
                    sqlx::query_as("UPDATE users SET last_login = $2 WHERE id = $1 RETURNING *")
                        .bind(user_id)
                        .bind(chrono::Utc::now())
                        .fetch_optional(&mut *tx)
                        .await?;
                let user = user.ok_or($crate::store::StoreError::NotFound)?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(user)
            }

            #[tracing::instrument(skip_all)]
            async fn set_default_format(
                &self,
                user_id: i64,
                format: Option<$crate::domain::AudioFormat>,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.begin_write().await?;
                let user: Option<$crate::store::User> =
                    sqlx::query_as("UPDATE users SET default_format = $2 WHERE id = $1 RETURNING *")
                        .bind(user_id)
                        .bind(format)
                        .fetch_optional(&mut *tx)
                        .await?;
                let user = user.ok_or($crate::store::StoreError::NotFound)?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(user)
            }

            #[tracing::instrument(skip_all)]
            async fn update_user(
                &self,
                id: i64,
                patch: $crate::store::UserPatch,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.begin_write().await?;
                Self::lock_users(&mut tx).await?;
                let user: Option<$crate::store::User> = sqlx::query_as(
                    "UPDATE users SET is_active = COALESCE($2, is_active), is_admin = COALESCE($3, is_admin) \
                     WHERE id = $1 RETURNING *",
                )
                .bind(id)
                .bind(patch.is_active)
                .bind(patch.is_admin)
                .fetch_optional(&mut *tx)
                .await?;
                let user = user.ok_or($crate::store::StoreError::NotFound)?;
                let admins: i64 =
                    sqlx::query_scalar("SELECT COUNT(*) FROM users WHERE is_admin AND is_active")
                        .fetch_one(&mut *tx)
                        .await?;
                if admins == 0 {
                    tx.rollback().await?;
                    return Err($crate::store::StoreError::LastAdmin);
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
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<$crate::store::User> {
                let mut tx = self.begin_write().await?;
                let user: Option<$crate::store::User> = sqlx::query_as(
                    "UPDATE users SET hashed_password = $2, \
                     session_generation = session_generation + CASE WHEN $3 THEN 1 ELSE 0 END \
                     WHERE id = $1 RETURNING *",
                )
                .bind(id)
                .bind(hashed_password)
                .bind(revoke_sessions)
                .fetch_optional(&mut *tx)
                .await?;
                let user = user.ok_or($crate::store::StoreError::NotFound)?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(user)
            }

            #[tracing::instrument(skip_all)]
            async fn blacklist_token(
                &self,
                jti: &str,
                user_id: i64,
                expires_at: chrono::DateTime<chrono::Utc>,
                audit: $crate::audit::AuditEvent,
            ) -> $crate::store::StoreResult<()> {
                let mut tx = self.begin_write().await?;
                sqlx::query(
                    "INSERT INTO token_blacklist (jti, user_id, expires_at, created_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (jti) DO NOTHING",
                )
                .bind(jti)
                .bind(user_id)
                .bind(expires_at)
                .bind(chrono::Utc::now())
                .execute(&mut *tx)
                .await?;
                Self::insert_audit(&mut tx, &audit).await?;
                tx.commit().await?;
                Ok(())
            }

            #[tracing::instrument(skip_all)]
            async fn is_token_blacklisted(&self, jti: &str) -> $crate::store::StoreResult<bool> {
                let found: Option<i32> =
                    sqlx::query_scalar("SELECT 1 FROM token_blacklist WHERE jti = $1")
                        .bind(jti)
                        .fetch_optional(&self.pool)
                        .await?;
                Ok(found.is_some())
            }

            #[tracing::instrument(skip_all)]
            async fn session_user(
                &self,
                user_id: i64,
                jti: &str,
            ) -> $crate::store::StoreResult<Option<$crate::store::SessionUser>> {
                Ok(sqlx::query_as(
                    "SELECT u.*, EXISTS (SELECT 1 FROM token_blacklist WHERE jti = $2) AS token_revoked \
                     FROM users u WHERE u.id = $1",
                )
                .bind(user_id)
                .bind(jti)
                .fetch_optional(&self.pool)
                .await?)
            }

            #[tracing::instrument(skip_all)]
            async fn purge_expired_tokens(
                &self,
                now: chrono::DateTime<chrono::Utc>,
            ) -> $crate::store::StoreResult<u64> {
                let done = sqlx::query("DELETE FROM token_blacklist WHERE expires_at < $1")
                    .bind(now)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected())
            }

            #[tracing::instrument(skip_all)]
            async fn record_audit(&self, event: $crate::audit::AuditEvent) -> $crate::store::StoreResult<()> {
                let mut conn = self.pool.acquire().await?;
                Self::insert_audit(&mut conn, &event).await
            }

            #[tracing::instrument(skip_all)]
            async fn list_audit(
                &self,
                filter: $crate::store::AuditFilter,
                page: $crate::store::PageRequest,
            ) -> $crate::store::StoreResult<$crate::store::Page<$crate::store::AuditRow>> {
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
                Ok($crate::store::Page { items, total })
            }
        }
    };
}

pub(crate) use impl_account_store;
