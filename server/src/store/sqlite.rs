//! SQLite backend: the zero-setup default. WAL, a busy timeout, foreign keys, and every write
//! transaction opened with `BEGIN IMMEDIATE` so concurrent writers queue on the busy timeout
//! instead of failing with "database is locked" on lock upgrade (SEC-33).

use super::{StoreError, StoreResult};
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

    /// What the job and delivery claims add to their row choice: nothing. Inside a
    /// `BEGIN IMMEDIATE` transaction no other writer runs, so a plain subquery picks a job (or
    /// delivery) nobody else can claim at the same time.
    const ROW_LOCK: &'static str = "";

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

// The shared queries (`queries/`), compiled here for this backend: each file reads the
// store and the sqlx database it is compiled for as `super::Store` and `super::Db`.
// `postgres.rs` compiles the same files for its own backend, on purpose (`duplicate_mod`).
type Store = SqliteStore;
type Db = sqlx::Sqlite;
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
