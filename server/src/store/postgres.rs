//! PostgreSQL backend: for several instances sharing one database (scale-out).

use super::{StoreError, StoreResult};
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

    /// What the job and delivery claims add to their row choice. `SKIP LOCKED`: concurrent
    /// workers on any instance each take a different job (SEC-32), or delivery.
    const ROW_LOCK: &'static str = " FOR UPDATE SKIP LOCKED";

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

// The shared queries (`queries/`), compiled here for this backend: each file reads the
// store and the sqlx database it is compiled for as `super::Store` and `super::Db`.
// `sqlite.rs` compiles the same files for its own backend, on purpose (`duplicate_mod`).
type Store = PostgresStore;
type Db = sqlx::Postgres;
#[allow(clippy::duplicate_mod)]
#[path = "queries/accounts.rs"]
mod accounts;
#[allow(clippy::duplicate_mod)]
#[path = "queries/downloads.rs"]
mod downloads;
#[allow(clippy::duplicate_mod)]
#[path = "queries/handoff.rs"]
mod handoff;
#[allow(clippy::duplicate_mod)]
#[path = "queries/jobs.rs"]
mod jobs;
