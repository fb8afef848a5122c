//! PostgreSQL backend: for several instances sharing one database (scale-out).

use super::{
    StoreError, StoreResult,
    account_queries::impl_account_store,
    download_queries::impl_download_store,
    handoff_queries::{claim_delivery_sql, impl_handoff_store},
    job_queries::{claim_sql, impl_job_store},
};
use sqlx::postgres::{PgPool, PgPoolOptions};
use std::time::Duration;

/// The NOTIFY channel download events travel on between instances.
pub const EVENTS_CHANNEL: &str = "nmd_download_events";

pub struct PostgresStore {
    pub(crate) pool: PgPool,
}

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres")
            .run(&pool)
            .await
            .map_err(StoreError::Migration)?;
        Ok(Self { pool })
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Postgres>> {
        Ok(self.pool.begin().await?)
    }

    /// `SKIP LOCKED`: concurrent workers on any instance each take a different job (SEC-32).
    const CLAIM_SQL: &'static str = claim_sql!(" FOR UPDATE SKIP LOCKED");
    /// The webhook delivery claim, locked the same way as the job claim.
    const CLAIM_DELIVERY_SQL: &'static str = claim_delivery_sql!(" FOR UPDATE SKIP LOCKED");

    /// Sends an event to every instance listening on [`EVENTS_CHANNEL`].
    async fn publish(&self, payload: &str) -> StoreResult<bool> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(EVENTS_CHANNEL)
            .bind(payload)
            .execute(&self.pool)
            .await?;
        Ok(true)
    }

    /// Listens on [`EVENTS_CHANNEL`]; the listener reconnects by itself if the connection drops.
    async fn subscribe(
        &self,
    ) -> StoreResult<Option<futures_util::stream::BoxStream<'static, String>>> {
        use futures_util::StreamExt;
        let mut listener = sqlx::postgres::PgListener::connect_with(&self.pool).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        let stream = listener
            .into_stream()
            .filter_map(|n| async move { n.ok().map(|n| n.payload().to_owned()) });
        Ok(Some(stream.boxed()))
    }

    /// Serialises account changes that read-then-write the users table ("first user becomes
    /// admin", "never leave zero admins") without blocking readers.
    async fn lock_users(tx: &mut sqlx::Transaction<'static, sqlx::Postgres>) -> StoreResult<()> {
        sqlx::query("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

impl_account_store!(PostgresStore, sqlx::Postgres);
impl_download_store!(PostgresStore, sqlx::Postgres);
impl_job_store!(PostgresStore, sqlx::Postgres);
impl_handoff_store!(PostgresStore, sqlx::Postgres);
