//! The history page cache (`server/src/history_pages.rs`): a page asked for again is sent
//! from memory, and never once the user's downloads changed, whoever changed them: this
//! server, a worker, or another instance writing straight to the database. Issue 9.

use crate::both_backends;
use crate::helpers::*;
use crate::metrics::line_value;
use serde_json::Value;
use std::time::Duration;

/// The app's database, opened beside the server: what another instance or a worker would
/// write, with no code of this server involved, only the database's own triggers.
enum Database {
    Postgres(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// The same code for either pool.
macro_rules! on_pool {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            Database::Postgres($pool) => $body,
            Database::Sqlite($pool) => $body,
        }
    };
}

/// A completed download of `$1` made at `$2`, as a job leaves it.
const INSERT: &str = "INSERT INTO download_history (user_id, url, format, plugin, title, \
    status, attempts, run_after, cancel_requested, created_at) VALUES ($1, \
    'https://music.example.org/track', 'best', 'generic', 'Written elsewhere', 'completed', 1, \
    $2, FALSE, $2)";

impl Database {
    async fn open(app: &TestApp) -> Self {
        if app.database_url.starts_with("postgres") {
            Self::Postgres(sqlx::PgPool::connect(&app.database_url).await.unwrap())
        } else {
            Self::Sqlite(sqlx::SqlitePool::connect(&app.database_url).await.unwrap())
        }
    }

    /// One statement whose `$1` is a user id.
    async fn execute(&self, sql: &str, user_id: i64) {
        on_pool!(self, pool => {
            sqlx::query(sql).bind(user_id).execute(pool).await.unwrap();
        })
    }

    async fn insert_download(&self, user_id: i64) {
        on_pool!(self, pool => {
            sqlx::query(INSERT)
                .bind(user_id)
                .bind(chrono::Utc::now())
                .execute(pool)
                .await
                .unwrap();
        })
    }

    /// The user's downloads' ids, oldest first.
    async fn download_ids(&self, user_id: i64) -> Vec<i64> {
        let sql = "SELECT id FROM download_history WHERE user_id = $1 ORDER BY id";
        on_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(user_id).fetch_all(pool).await.unwrap()
        })
    }

    /// The PostgreSQL pool (the deadlock tests run on PostgreSQL only).
    fn postgres(&self) -> &sqlx::PgPool {
        match self {
            Self::Postgres(pool) => pool,
            Self::Sqlite(_) => unreachable!("a PostgreSQL app"),
        }
    }

    /// The user's history version (0 before their first download).
    async fn version(&self, user_id: i64) -> i64 {
        let sql = "SELECT COALESCE((SELECT version FROM history_versions WHERE user_id = $1), 0)";
        on_pool!(self, pool => {
            sqlx::query_scalar(sql).bind(user_id).fetch_one(pool).await.unwrap()
        })
    }
}

async fn user_id(app: &TestApp, token: &str) -> i64 {
    app.get_json("/auth/me", Some(token)).await["id"]
        .as_i64()
        .unwrap()
}

/// The page's body as sent, and how many page lookups hit the cache so far.
async fn page(app: &TestApp, token: &str, admin: &str) -> (String, f64) {
    let r = app.get("/api/downloads?per_page=50", Some(token)).await;
    assert_eq!(r.status(), reqwest::StatusCode::OK);
    let body = r.text().await.unwrap();
    let metrics = app.get("/metrics", Some(admin)).await.text().await.unwrap();
    let hits = line_value(&metrics, r#"nas_history_page_lookups_total{result="hit"}"#);
    (body, hits)
}

fn titles(body: &str) -> Vec<String> {
    let page: Value = serde_json::from_str(body).unwrap();
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["title"].as_str().unwrap_or_default().to_owned())
        .collect()
}

both_backends!(
    async fn a_page_asked_again_is_sent_from_memory_until_anything_changes(app: TestApp) {
        let admin = app.user_token("admin").await;
        let token = app.user_token("alice").await;
        let alice = user_id(&app, &token).await;
        let db = Database::open(&app).await;
        db.insert_download(alice).await;

        let (first, hits) = page(&app, &token, &admin).await;
        assert_eq!(titles(&first), ["Written elsewhere"]);
        let (again, hits_after) = page(&app, &token, &admin).await;
        assert_eq!(again, first, "the same bytes");
        assert_eq!(hits_after, hits + 1.0, "sent from the cache");

        // Another user's page is never alice's (SEC-17), cached or not.
        let bob = app.user_token("bob").await;
        let bobs = app.get_json("/api/downloads?per_page=50", Some(&bob)).await;
        assert_eq!(bobs["total"], 0, "{bobs}");

        // Each change, made in the database by no code of this server, shows at once.
        db.execute(
            "UPDATE download_history SET title = 'Renamed' WHERE user_id = $1",
            alice,
        )
        .await;
        let (renamed, hits) = page(&app, &token, &admin).await;
        assert_eq!(titles(&renamed), ["Renamed"]);
        assert_eq!(hits, hits_after, "built again: the history changed");

        db.insert_download(alice).await;
        let (added, _) = page(&app, &token, &admin).await;
        assert_eq!(titles(&added), ["Written elsewhere", "Renamed"]);

        db.execute(
            "DELETE FROM download_history WHERE user_id = $1 AND title = 'Renamed'",
            alice,
        )
        .await;
        let (removed, _) = page(&app, &token, &admin).await;
        assert_eq!(titles(&removed), ["Written elsewhere"]);

        // And through the API: a deletion, then the page once more from the cache.
        let id = serde_json::from_str::<Value>(&removed).unwrap()["items"][0]["id"].clone();
        let r = app
            .delete(&format!("/api/downloads/{id}"), Some(&token))
            .await;
        assert_eq!(r.status(), reqwest::StatusCode::NO_CONTENT);
        let (emptied, hits) = page(&app, &token, &admin).await;
        assert_eq!(titles(&emptied), Vec::<String>::new());
        let (_, hits_after) = page(&app, &token, &admin).await;
        assert_eq!(hits_after, hits + 1.0);
    }
);

both_backends!(
    async fn the_version_moves_only_for_the_owner_of_what_changed(app: TestApp) {
        let alice_token = app.user_token("alice").await;
        let bob_token = app.user_token("bob").await;
        let (alice, bob) = (
            user_id(&app, &alice_token).await,
            user_id(&app, &bob_token).await,
        );
        let db = Database::open(&app).await;
        let versions = async || (db.version(alice).await, db.version(bob).await);
        assert_eq!(versions().await, (0, 0), "no downloads yet");
        db.insert_download(alice).await;
        let (a1, b1) = versions().await;
        assert!(a1 > 0 && b1 == 0, "insert: {a1} {b1}");
        db.execute(
            "UPDATE download_history SET error = 'x' WHERE user_id = $1",
            alice,
        )
        .await;
        let (a2, b2) = versions().await;
        assert!(a2 > a1 && b2 == 0, "update: {a2} {b2}");
        db.execute("DELETE FROM download_history WHERE user_id = $1", alice)
            .await;
        let (a3, b3) = versions().await;
        assert!(a3 > a2 && b3 == 0, "delete: {a3} {b3}");
        // Logging in, changing the account: not the history.
        let changed = app
            .patch_json(
                "/auth/me",
                &serde_json::json!({ "default_format": "mp3" }),
                Some(&alice_token),
            )
            .await;
        assert_eq!(changed.status(), reqwest::StatusCode::OK);
        app.user_token("alice").await;
        assert_eq!(versions().await, (a3, 0));
    }
);

/// PostgreSQL only (SQLite has one writer at a time). A transaction changing two downloads
/// of a user while a single-row update of the second arrives in between: what a set's cancel
/// does against a worker saving a track's progress. With the version bumped by an immediate
/// trigger this deadlocks (the single update waits for the version row, the transaction for
/// the single update's row); bumped at commit, both go through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn history_versions_do_not_deadlock() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let token = app.user_token("alice").await;
    let alice = user_id(&app, &token).await;
    let db = Database::open(&app).await;
    db.insert_download(alice).await;
    db.insert_download(alice).await;
    let pool = db.postgres();
    let ids = db.download_ids(alice).await;
    let before = db.version(alice).await;

    let mut cancel = pool.begin().await.unwrap();
    sqlx::query("UPDATE download_history SET error = 'parent' WHERE id = $1")
        .bind(ids[0])
        .execute(&mut *cancel)
        .await
        .unwrap();
    let progress = sqlx::query("UPDATE download_history SET error = 'track' WHERE id = $1")
        .bind(ids[1])
        .execute(pool);
    tokio::time::timeout(Duration::from_secs(5), progress)
        .await
        .expect("the single update does not wait for the open transaction")
        .unwrap();
    sqlx::query("UPDATE download_history SET error = 'cancelled' WHERE id = $1")
        .bind(ids[1])
        .execute(&mut *cancel)
        .await
        .unwrap();
    cancel.commit().await.unwrap();
    assert_eq!(db.version(alice).await, before + 3, "every change counted");
    pool.close().await;
    app.stop().await;
}

/// PostgreSQL only. Two commits that each change two users' downloads, in opposite orders
/// (recovering stale jobs changes many users' downloads in one statement), while a third
/// transaction holds the first user's version row until both commits wait: without the one
/// advisory lock every bumping commit takes first, the two would then take the version rows
/// in opposite orders and deadlock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn versions_of_several_users_do_not_deadlock() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let (alice_token, bob_token) = (app.user_token("alice").await, app.user_token("bob").await);
    let (alice, bob) = (
        user_id(&app, &alice_token).await,
        user_id(&app, &bob_token).await,
    );
    let db = Database::open(&app).await;
    for user in [alice, alice, bob, bob] {
        db.insert_download(user).await;
    }
    let pool = db.postgres();
    let (alices, bobs) = (db.download_ids(alice).await, db.download_ids(bob).await);
    let before = (db.version(alice).await, db.version(bob).await);

    /// A transaction that has changed `ids` in that order, not yet committed.
    async fn changed(
        pool: &sqlx::PgPool,
        ids: [i64; 2],
    ) -> sqlx::Transaction<'static, sqlx::Postgres> {
        let mut tx = pool.begin().await.unwrap();
        for id in ids {
            sqlx::query("UPDATE download_history SET error = 'recovered' WHERE id = $1")
                .bind(id)
                .execute(&mut *tx)
                .await
                .unwrap();
        }
        tx
    }
    let alice_then_bob = changed(pool, [alices[0], bobs[0]]).await;
    let bob_then_alice = changed(pool, [bobs[1], alices[1]]).await;
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT version FROM history_versions WHERE user_id = $1 FOR UPDATE")
        .bind(alice)
        .execute(&mut *holder)
        .await
        .unwrap();
    let first = tokio::spawn(alice_then_bob.commit());
    tokio::time::sleep(Duration::from_millis(300)).await;
    let second = tokio::spawn(bob_then_alice.commit());
    tokio::time::sleep(Duration::from_millis(300)).await;
    holder.commit().await.unwrap();
    for commit in [first, second] {
        tokio::time::timeout(Duration::from_secs(10), commit)
            .await
            .expect("both commits end")
            .unwrap()
            .expect("neither commit is chosen as a deadlock victim");
    }
    assert_eq!(
        (db.version(alice).await, db.version(bob).await),
        (before.0 + 2, before.1 + 2)
    );
    pool.close().await;
    app.stop().await;
}
