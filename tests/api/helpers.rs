//! `spawn_app()`: the real server on 127.0.0.1:0 with a fresh database (SQLite file or a new
//! PostgreSQL database), fresh data and output folders, and typed request helpers.
//!
//! PostgreSQL tests need a server at `TEST_POSTGRES_URL` (default
//! postgres://postgres@127.0.0.1:5432/postgres). Locally they are skipped when none answers;
//! with `CI=true` they fail instead.

use nas_music_downloader::config::Config;
use reqwest::{Response, StatusCode};
use serde_json::{Value, json};
use std::{collections::HashMap, sync::OnceLock};
use tokio_util::sync::CancellationToken;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub const PASSWORD: &str = "correct-horse-battery";

/// The project's pinned tool environment (scripts/setup-tools.sh).
pub fn tools_directory() -> String {
    crate::media_server::tools_directory().display().to_string()
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    _data_dir: tempfile::TempDir,
    pub output_dir: tempfile::TempDir,
    pub database_url: String,
    shutdown: CancellationToken,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    postgres_database: Option<String>,
}

fn postgres_admin_url() -> String {
    std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// Whether PostgreSQL tests can run here; under CI a missing server is a failure.
pub async fn postgres_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    if let Some(v) = AVAILABLE.get() {
        return *v;
    }
    let ok = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .acquire_timeout(std::time::Duration::from_secs(3))
        .connect(&postgres_admin_url())
        .await
        .is_ok();
    if !ok && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!(
            "CI=true but PostgreSQL is not reachable at {}",
            postgres_admin_url()
        );
    }
    *AVAILABLE.get_or_init(|| ok)
}

pub async fn create_postgres_database() -> (String, String) {
    let name = format!("nmd_test_{}", uuid::Uuid::new_v4().simple());
    let admin = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect(&postgres_admin_url())
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    let base = postgres_admin_url();
    let url = match base.rsplit_once('/') {
        Some((prefix, _)) => format!("{prefix}/{name}"),
        None => panic!("TEST_POSTGRES_URL must name a database"),
    };
    (name, url)
}

/// Starts the app; `None` when the backend is PostgreSQL and none is reachable locally.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, &[]).await
}

pub async fn spawn_app_with(backend: Backend, extra: &[(&str, &str)]) -> Option<TestApp> {
    if backend == Backend::Postgres && !postgres_available().await {
        eprintln!("skipping: PostgreSQL not reachable (set CI=true to make this a failure)");
        return None;
    }
    let data_dir = tempfile::tempdir().unwrap();
    let output_dir = tempfile::tempdir().unwrap();
    let (postgres_database, database_url) = match backend {
        Backend::Sqlite => (
            None,
            format!("sqlite://{}/test.db", data_dir.path().display()),
        ),
        Backend::Postgres => {
            let (name, url) = create_postgres_database().await;
            (Some(name), url)
        }
    };
    let mut vars: HashMap<String, String> = HashMap::from([
        ("DATABASE_URL".into(), database_url.clone()),
        (
            "SECRET_KEY".into(),
            "test-secret-key-0123456789abcdef-0123456789".into(),
        ),
        (
            "DATA_DIRECTORY".into(),
            data_dir.path().display().to_string(),
        ),
        (
            "OUTPUT_DIRECTORY".into(),
            output_dir.path().display().to_string(),
        ),
        ("ALLOW_PRIVATE_URLS".into(), "true".into()),
        ("WATCH_PLUGINS".into(), "false".into()),
        ("CORS_ORIGINS".into(), "http://allowed.example".into()),
        ("TOOLS_DIRECTORY".into(), tools_directory()),
        ("JOB_STALE_AFTER_SECONDS".into(), "3".into()),
        // Tests register many accounts from 127.0.0.1; `trust.rs` tests the limit itself.
        ("REGISTRATIONS_PER_HOUR".into(), "100000".into()),
    ]);
    for (k, v) in extra {
        vars.insert(k.to_string(), v.to_string());
    }
    let config = Config::from_lookup(|k| vars.get(k).cloned()).expect("test config");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(nas_music_downloader::run(
        config,
        listener,
        shutdown.clone().cancelled_owned(),
    ));
    let client = reqwest::Client::builder().build().unwrap();
    let mut app = TestApp {
        address,
        client,
        _data_dir: data_dir,
        output_dir,
        database_url,
        shutdown,
        server: Some(server),
        postgres_database,
    };
    app.wait_until_ready().await;
    Some(app)
}

impl TestApp {
    async fn wait_until_ready(&mut self) {
        for _ in 0..400 {
            if self.server.as_ref().is_some_and(|s| s.is_finished()) {
                let result = self.server.take().unwrap().await;
                panic!("server exited during start-up: {result:?}");
            }
            if let Ok(r) = self.client.get(self.url("/health")).send().await
                && r.status().is_success()
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
        panic!("server did not become healthy");
    }

    /// DATA_DIRECTORY of this server.
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub async fn register(&self, username: &str, password: &str) -> Response {
        self.post_json(
            "/auth/register",
            &json!({"username": username, "email": format!("{username}@example.com"), "password": password}),
            None,
        )
        .await
    }

    pub async fn login(&self, username: &str, password: &str) -> Response {
        self.client
            .post(self.url("/auth/login"))
            .form(&[("username", username), ("password", password)])
            .send()
            .await
            .unwrap()
    }

    /// Registers (if needed) and logs in; returns the bearer token.
    pub async fn user_token(&self, username: &str) -> String {
        let r = self.register(username, PASSWORD).await;
        assert!(
            r.status() == StatusCode::CREATED || r.status() == StatusCode::CONFLICT,
            "register {username}: {}",
            r.status()
        );
        let r = self.login(username, PASSWORD).await;
        assert_eq!(r.status(), StatusCode::OK, "login {username}");
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Response {
        with_token(self.client.get(self.url(path)), token)
            .send()
            .await
            .unwrap()
    }

    /// `GET` whose body is JSON; returns the body.
    pub async fn get_json(&self, path: &str, token: Option<&str>) -> Value {
        self.get(path, token).await.json().await.unwrap()
    }

    /// `PATCH /api/admin/users/{id}` with `is_active`, as the admin `admin_token`.
    pub async fn set_user_active(
        &self,
        admin_token: &str,
        user_id: &Value,
        active: bool,
    ) -> Response {
        self.patch_json(
            &format!("/api/admin/users/{user_id}"),
            &json!({ "is_active": active }),
            Some(admin_token),
        )
        .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Response {
        with_token(self.client.delete(self.url(path)), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        with_token(self.client.post(self.url(path)).json(body), token)
            .send()
            .await
            .unwrap()
    }

    pub async fn patch_json(&self, path: &str, body: &Value, token: Option<&str>) -> Response {
        with_token(self.client.patch(self.url(path)).json(body), token)
            .send()
            .await
            .unwrap()
    }

    /// Stops the server and waits for it to exit.
    pub async fn stop(mut self) {
        self.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
    }
}

fn with_token(builder: reqwest::RequestBuilder, token: Option<&str>) -> reqwest::RequestBuilder {
    match token {
        Some(t) => builder.bearer_auth(t),
        None => builder,
    }
}

/// Asserts a FastAPI-style error: the status, and a JSON body with a string `detail`.
pub async fn assert_error(response: Response, status: StatusCode) -> String {
    let got = response.status();
    let text = response.text().await.unwrap();
    assert_eq!(got, status, "body: {text}");
    let body: Value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    body["detail"]
        .as_str()
        .unwrap_or_else(|| panic!("no detail: {text}"))
        .to_owned()
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
        if let Some(name) = self.postgres_database.take() {
            // Drop the per-test database from a separate thread: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async {
                    if let Ok(pool) = sqlx::postgres::PgPoolOptions::new()
                        .max_connections(1)
                        .connect(&postgres_admin_url())
                        .await
                    {
                        let _ =
                            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                                .execute(&pool)
                                .await;
                    }
                });
            })
            .join();
        }
    }
}

/// Declares one async test body and runs it once per backend:
/// `both_backends!(async fn name(app: TestApp) { … })` → `name::sqlite`, `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(#[$meta:meta])* async fn $name:ident($app:ident : TestApp $(,)?) $body:block) => {
        both_backends!($(#[$meta])* async fn $name($app: TestApp) with [] $body);
    };
    ($(#[$meta:meta])* async fn $name:ident($app:ident : TestApp $(,)?) with [$($k:expr => $v:expr),*] $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn body($app: $crate::helpers::TestApp) $body

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, &[$(($k, $v)),*]).await.unwrap();
                body(app).await;
            }

            $(#[$meta])*
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, &[$(($k, $v)),*]).await {
                    body(app).await;
                }
            }
        }
    };
}

impl TestApp {
    /// Submits a URL for download; returns the response.
    pub async fn submit(&self, token: &str, url: &str, format: Option<&str>) -> Response {
        let mut body = json!({ "url": url });
        if let Some(f) = format {
            body["format"] = json!(f);
        }
        self.post_json("/api/download", &body, Some(token)).await
    }

    /// `POST /api/downloads/{id}/{action}` (`cancel`, `retry`) as the token's owner.
    pub async fn act_on(&self, token: &str, id: &Value, action: &str) -> Response {
        self.post_json(
            &format!("/api/downloads/{id}/{action}"),
            &json!({}),
            Some(token),
        )
        .await
    }

    /// Submits and expects 202; returns the download.
    pub async fn submit_ok(&self, token: &str, url: &str, format: Option<&str>) -> Value {
        let r = self.submit(token, url, format).await;
        let status = r.status();
        let body: Value = r.json().await.unwrap();
        assert_eq!(status, StatusCode::ACCEPTED, "{body}");
        assert_eq!(body["status"], "pending");
        body
    }

    /// Polls a download until its status is one of `wanted`, or panics after `secs`.
    pub async fn wait_for(&self, token: &str, id: &Value, wanted: &[&str], secs: u64) -> Value {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let d: Value = self
                .get(&format!("/api/downloads/{id}"), Some(token))
                .await
                .json()
                .await
                .unwrap();
            if wanted.contains(&d["status"].as_str().unwrap_or("")) {
                return d;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "download {id} stuck: {d}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }

    /// The tracks of set `parent` (its children in the history), by track number.
    pub async fn set_tracks(&self, token: &str, parent: &Value) -> Vec<Value> {
        let list = self
            .get_json("/api/downloads?per_page=100", Some(token))
            .await;
        let mut tracks: Vec<Value> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["parent_id"] == *parent)
            .cloned()
            .collect();
        tracks.sort_by_key(|t| t["track_number"].as_i64());
        tracks
    }

    /// Waits until `relative` exists under the output folder (written after a status change,
    /// e.g. a playlist file after its last track), or panics after `secs`.
    pub async fn wait_for_output_file(&self, relative: &str, secs: u64) -> std::path::PathBuf {
        let path = self.output_dir.path().join(relative);
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        while !path.is_file() {
            assert!(
                std::time::Instant::now() < deadline,
                "{relative} never appeared; files: {:?}",
                self.output_files()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        path
    }

    /// The names of the files under the output folder, relative, ignoring temp folders.
    pub fn output_files(&self) -> Vec<String> {
        fn walk(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    walk(root, &path, out);
                } else {
                    out.push(
                        path.strip_prefix(root)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        let mut out = Vec::new();
        walk(self.output_dir.path(), self.output_dir.path(), &mut out);
        out.sort();
        out
    }
}
