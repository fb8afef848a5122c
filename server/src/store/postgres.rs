//! PostgreSQL backend: for several instances sharing one database (scale-out).

use super::{StoreError, StoreResult};
use sqlx::{
    Connection,
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
};
use std::{str::FromStr, time::Duration};

/// The NOTIFY channel download events travel on between instances.
pub const EVENTS_CHANNEL: &str = "nmd_download_events";

pub struct PostgresStore {
    pub(crate) pool: PgPool,
}

/// A pooled connection idle for longer than this is pinged before it is handed out, so one
/// that the server dropped meanwhile (a restart, a proxy's idle timeout) is replaced instead
/// of failing a request. A connection in steady use is not: sqlx's default pings before
/// every acquire, a second round trip per query that was a tenth of the history page's
/// server time and as much again of PostgreSQL's (`bench/README.md`). The price: when the
/// server drops connections that were used less than a second ago, the next query on each
/// fails once (a 500) and the pool opens a new one (tried with `pg_terminate_backend`: two
/// failed requests, then none).
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(1);

impl PostgresStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        // Every statement is prepared with parameters and cached per connection. PostgreSQL's
        // default (`auto`) re-plans such a statement for each execution while a custom plan
        // looks cheaper, which the optional filters (`$2 IS NULL OR status = $2`) always do:
        // planning was a fifth of PostgreSQL's time on the history page. Our statements are
        // key lookups and short index scans, for which the generic plan is the right one.
        let options =
            PgConnectOptions::from_str(url)?.options([("plan_cache_mode", "force_generic_plan")]);
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_IF_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .connect_with(options)
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
