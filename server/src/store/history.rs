//! A user's history page: the listing the web app sends on every load, filter, reconnect and
//! resync. The filter is shared; how the page comes back is each backend's own:
//!
//! - PostgreSQL returns the rows, with the number of all matches on each, in one statement.
//! - SQLite returns the page as **one** JSON document. sqlx runs each SQLite connection on
//!   its own thread and hands every row to the async task separately; for a 50-row page that
//!   was 50 thread wake-ups, most of the request's time (`bench/README.md`).
//!
//! Neither reads the `action` column (a JSON document per row that no listing shows).

use super::{
    DownloadFilter, DownloadRow, HistoryStore, Page, PageRequest, PostgresStore, SqliteStore,
    StoreResult, like_pattern,
    models::{LISTED_COLUMNS, LISTED_COUNT, listed_position},
};
use async_trait::async_trait;
use sqlx::{Row, postgres::PgRow};
use std::sync::LazyLock;

/// `$1` user, `$2` status or NULL, `$3` LIKE pattern or NULL.
const MATCHING: &str = "WHERE user_id = $1 AND ($2 IS NULL OR status = $2) AND ($3 IS NULL \
    OR LOWER(COALESCE(title, '')) LIKE $3 ESCAPE '\\' OR LOWER(COALESCE(artist, '')) LIKE $3 ESCAPE '\\' \
    OR LOWER(url) LIKE $3 ESCAPE '\\')";

/// The SQLite page statement: one row whose first column is the page as a JSON array of
/// objects (the inner select reads only the listed columns, not the `action` document) with `LISTED_COLUMNS`' names (the names `DownloadRow` reads; SQLite stores
/// booleans as integers and `progress` as JSON text, so those two are converted), and whose
/// second is the number of all matches. Built once from `LISTED_COLUMNS`, so a column added
/// there cannot be left out here (`set_kind` once was).
static SQLITE_PAGE_SQL: LazyLock<String> = LazyLock::new(|| {
    let fields: Vec<String> = LISTED_COLUMNS
        .split(',')
        .map(str::trim)
        .map(|column| match column {
            "progress" => "'progress', json(progress)".to_owned(),
            "cancel_requested" => {
                "'cancel_requested', json(CASE WHEN cancel_requested THEN 'true' ELSE 'false' END)"
                    .to_owned()
            }
            column => format!("'{column}', {column}"),
        })
        .collect();
    format!(
        "SELECT COALESCE(json_group_array(json_object({})), '[]'), \
         (SELECT COUNT(*) FROM download_history {MATCHING}) FROM (SELECT {LISTED_COLUMNS} \
         FROM download_history {MATCHING} ORDER BY id DESC LIMIT $4 OFFSET $5)",
        fields.join(", ")
    )
});

/// The PostgreSQL page statement: the rows, each with the number of all matches. The count
/// is a subquery PostgreSQL runs once (an InitPlan), not `COUNT(*) OVER ()`: the window
/// function kept every matching row in a tuplestore, and the page could not stop reading the
/// user's index after its last row.
static POSTGRES_PAGE_SQL: LazyLock<String> = LazyLock::new(|| {
    format!(
        "SELECT {LISTED_COLUMNS}, (SELECT COUNT(*) FROM download_history {MATCHING}) \
         AS total_matching FROM download_history {MATCHING} ORDER BY id DESC LIMIT $4 OFFSET $5"
    )
});

#[async_trait]
impl HistoryStore for PostgresStore {
    #[tracing::instrument(skip_all)]
    async fn list_downloads(
        &self,
        user_id: i64,
        filter: DownloadFilter,
        page: PageRequest,
    ) -> StoreResult<Page<DownloadRow>> {
        let pattern = filter.query.as_deref().map(like_pattern);
        let rows: Vec<(DownloadRow, i64)> = sqlx::query(POSTGRES_PAGE_SQL.as_str())
            .bind(user_id)
            .bind(filter.status.map(|s| s.as_str()))
            .bind(pattern.as_deref())
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .try_map(|row: PgRow| listed_row(&row))
            .fetch_all(&self.pool)
            .await?;
        let total = match rows.first() {
            Some((_, total)) => *total,
            // Past the last page (or nothing matches): count on its own.
            None => {
                sqlx::query_scalar(&format!("SELECT COUNT(*) FROM download_history {MATCHING}"))
                    .bind(user_id)
                    .bind(filter.status.map(|s| s.as_str()))
                    .bind(pattern.as_deref())
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(Page {
            items: rows.into_iter().map(|(row, _)| row).collect(),
            total,
        })
    }
}

/// A row of the PostgreSQL page, read by position: `sqlx::FromRow`'s derive looks every
/// field up by name, a hash lookup per column per row that was a twelfth of the page's server
/// time (`perf`). The positions come from `LISTED_COLUMNS` at compile time; the struct
/// literal names every field, so a field added to `DownloadRow` fails the build here until it
/// is listed (or deliberately left out, as `action` is). Returns the row and the number of
/// all matches, the column after the listed ones.
fn listed_row(row: &PgRow) -> sqlx::Result<(DownloadRow, i64)> {
    macro_rules! column {
        ($name:literal) => {
            row.try_get(const { listed_position($name) })?
        };
    }
    let listed = DownloadRow {
        id: column!("id"),
        user_id: column!("user_id"),
        parent_id: column!("parent_id"),
        url: column!("url"),
        format: column!("format"),
        plugin: column!("plugin"),
        title: column!("title"),
        artist: column!("artist"),
        album: column!("album"),
        duration: column!("duration"),
        cover_url: column!("cover_url"),
        album_artist: column!("album_artist"),
        track_number: column!("track_number"),
        track_total: column!("track_total"),
        disc_number: column!("disc_number"),
        release_year: column!("release_year"),
        set_title: column!("set_title"),
        force_download: false,
        set_kind: column!("set_kind"),
        action: None,
        status: column!("status"),
        progress: column!("progress"),
        file_path: column!("file_path"),
        file_size: column!("file_size"),
        ytdlp_version: column!("ytdlp_version"),
        file_device: None,
        file_inode: None,
        error: column!("error"),
        attempts: column!("attempts"),
        run_after: column!("run_after"),
        worker_id: column!("worker_id"),
        heartbeat_at: column!("heartbeat_at"),
        cancel_requested: column!("cancel_requested"),
        created_at: column!("created_at"),
        started_at: column!("started_at"),
        completed_at: column!("completed_at"),
        tracks: None,
    };
    Ok((listed, row.try_get(LISTED_COUNT)?))
}

#[async_trait]
impl HistoryStore for SqliteStore {
    #[tracing::instrument(skip_all)]
    async fn list_downloads(
        &self,
        user_id: i64,
        filter: DownloadFilter,
        page: PageRequest,
    ) -> StoreResult<Page<DownloadRow>> {
        let pattern = filter.query.as_deref().map(like_pattern);
        let (items, total): (String, i64) = sqlx::query_as(SQLITE_PAGE_SQL.as_str())
            .bind(user_id)
            .bind(filter.status.map(|s| s.as_str()))
            .bind(pattern.as_deref())
            .bind(i64::from(page.per_page))
            .bind(page.offset())
            .fetch_one(&self.pool)
            .await?;
        let mut items: Vec<DownloadRow> = serde_json::from_str(&items)
            .map_err(|e| super::StoreError::Database(sqlx::Error::Decode(Box::new(e))))?;
        // The inner select's order reaches the aggregate as it is (SQLite runs the subquery as
        // a co-routine); `json_group_array(… ORDER BY id DESC)` would say so in SQL but sort
        // the page again in a temporary b-tree, a tenth of the request (`perf`). Sorting an
        // already sorted page here costs one comparison per row.
        items.sort_unstable_by_key(|row| std::cmp::Reverse(row.id));
        Ok(Page { items, total })
    }
}
