//! SQLite backend: the zero-setup default. WAL, a busy timeout, foreign keys, and every write
//! transaction opened with `BEGIN IMMEDIATE` so concurrent writers queue on the busy timeout
//! instead of failing with "database is locked" on lock upgrade (SEC-33).

use super::{
    StoreError, StoreResult,
    account_queries::impl_account_store,
    download_queries::impl_download_store,
    handoff_queries::{claim_delivery_sql, impl_handoff_store},
    job_queries::{claim_sql, impl_job_store},
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::{str::FromStr, time::Duration};

pub struct SqliteStore {
    pub(crate) pool: SqlitePool,
}

impl SqliteStore {
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(15));
        if let Some(parent) = options.get_filename().parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| StoreError::Database(e.into()))?;
        }
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            // A local file cannot drop a connection the way a network server can: the ping
            // before every query was a second round trip to the connection's thread.
            .test_before_acquire(false)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/sqlite")
            .run(&pool)
            .await
            .map_err(StoreError::Migration)?;
        Ok(Self { pool })
    }

    async fn begin_write(&self) -> StoreResult<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Inside a `BEGIN IMMEDIATE` transaction no other writer runs, so a plain subquery
    /// picks a job nobody else can claim at the same time.
    const CLAIM_SQL: &'static str = claim_sql!("");
    /// The webhook delivery claim, locked the same way as the job claim.
    const CLAIM_DELIVERY_SQL: &'static str = claim_delivery_sql!("");

    /// SQLite has one process writing it (no scale-out): events are delivered locally.
    async fn publish(&self, _payload: &str) -> StoreResult<bool> {
        Ok(false)
    }

    async fn subscribe(
        &self,
    ) -> StoreResult<Option<futures_util::stream::BoxStream<'static, String>>> {
        Ok(None)
    }

    /// `BEGIN IMMEDIATE` already holds the database's single write lock.
    async fn lock_users(_tx: &mut sqlx::Transaction<'static, sqlx::Sqlite>) -> StoreResult<()> {
        Ok(())
    }
}

impl_account_store!(SqliteStore, sqlx::Sqlite);
impl_download_store!(SqliteStore, sqlx::Sqlite);
impl_job_store!(SqliteStore, sqlx::Sqlite);
impl_handoff_store!(SqliteStore, sqlx::Sqlite);
