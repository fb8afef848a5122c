//! History benchmark (issue 9): `GET /api/downloads?per_page=50`, the request the web page
//! sends on every load, filter, reconnect and resync, under wrk's load, on SQLite and on
//! PostgreSQL. The release binary runs as its own process; its user has 100 completed
//! downloads (inserted straight into the database, as finished jobs leave them).
//!
//!     apt-get install wrk
//!     cargo build --release -p nas-music-downloader -p nas-music-bench
//!     target/release/history     # NAS_SERVER_BIN, TEST_POSTGRES_URL, HISTORY_SECONDS override
//!
//! wrk runs 2 threads for `HISTORY_SECONDS` (10) per connection count, after a 2 s warm-up.
//! `HISTORY_BACKEND=sqlite` or `postgres` measures only that one (to profile it alone).
//!
//! The server inherits this process's environment: by default it keeps pages in its history
//! page cache (`server/src/history_pages.rs`), and as nothing changes the history during the
//! run, nearly every request is a hit. `HISTORY_CACHE_MB=0` measures every page built from
//! the database. `HISTORY_WRITES_PER_SECOND=n` changes the user's newest download n times a
//! second during the run, as a running job's heartbeats and progress do: each change is a
//! new history version, so the next ask builds the page again. The server's own hit and miss
//! counts are printed after each backend.

mod support;
use anyhow::{Context, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::workspace_root;

const ROWS: usize = 100;
const CONNECTIONS: [u32; 3] = [8, 16, 32];

struct Server {
    child: Child,
    base: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn start(bin: &Path, root: &Path, database_url: &str) -> anyhow::Result<Server> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let child = Command::new(bin)
        .current_dir(root)
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("DATA_DIRECTORY", root.join("data"))
        .env("OUTPUT_DIRECTORY", root.join("music"))
        .env("PLUGIN_DIRECTORY", root.join("plugins"))
        .env("TOOLS_DIRECTORY", workspace_root().join(".venv"))
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let server = Server {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let started = Instant::now();
    while reqwest::get(format!("{}/health", server.base))
        .await
        .is_err()
    {
        if started.elapsed() > Duration::from_secs(60) {
            bail!("no /health within 60 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(server)
}

/// Registers the bench user and returns its token and id.
async fn sign_in(base: &str) -> anyhow::Result<(String, i64)> {
    let client = reqwest::Client::new();
    client
        .post(format!("{base}/auth/register"))
        .json(&serde_json::json!({
            "username": "bench", "email": "bench@example.org", "password": "correct horse battery"
        }))
        .send()
        .await?
        .error_for_status()?;
    let token: Value = client
        .post(format!("{base}/auth/login"))
        .form(&[("username", "bench"), ("password", "correct horse battery")])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let token = token["access_token"]
        .as_str()
        .context("no token")?
        .to_owned();
    let me: Value = client
        .get(format!("{base}/auth/me"))
        .bearer_auth(&token)
        .send()
        .await?
        .json()
        .await?;
    Ok((token, me["id"].as_i64().context("no id")?))
}

/// A finished download as a job leaves it: title, artist, album, file, size, duration, and
/// the fetch action its plugin resolved.
const INSERT: &str = "INSERT INTO download_history (user_id, url, format, plugin, title, artist, \
    album, duration, status, file_path, file_size, attempts, run_after, cancel_requested, \
    created_at, started_at, completed_at, action) VALUES ($1, $2, 'best', 'generic', $3, $4, $5, \
    $6, 'completed', $7, $8, 1, $9, FALSE, $9, $9, $9, $10)";

macro_rules! seed {
    ($pool:expr, $user:expr) => {{
        let now = chrono::Utc::now();
        for i in 0..ROWS {
            let url = format!(
                "https://music.example.org/artist-{}/album-{}/track-{i}",
                i % 7,
                i % 13
            );
            let action = serde_json::json!({
                "type": "yt_dlp",
                "url": url,
                "options": ["--format", "bestaudio/best", "--extract-audio", "--no-playlist"],
            });
            sqlx::query(INSERT)
                .bind($user)
                .bind(&url)
                .bind(format!("Track number {i} of the benchmark"))
                .bind(format!("Artist {}", i % 7))
                .bind(format!("Album {}", i % 13))
                .bind(180.5 + i as f64)
                .bind(format!("Artist {}/Track number {i}.mp3", i % 7))
                .bind(4_000_000i64 + i as i64)
                .bind(now)
                .bind(sqlx::types::Json(action))
                .execute($pool)
                .await?;
        }
    }};
}

/// Starts `HISTORY_WRITES_PER_SECOND` changes a second to the user's newest download (none
/// when unset), until the returned task is aborted.
macro_rules! spawn_writes {
    ($pool:expr, $user:expr) => {{
        let per_second: u32 = std::env::var("HISTORY_WRITES_PER_SECOND")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(0);
        let (pool, user) = ($pool.clone(), $user);
        (per_second > 0).then(|| {
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1) / per_second);
                loop {
                    tick.tick().await;
                    let written = sqlx::query(
                        "UPDATE download_history SET heartbeat_at = $1 WHERE id = \
                         (SELECT MAX(id) FROM download_history WHERE user_id = $2)",
                    )
                    .bind(chrono::Utc::now())
                    .bind(user)
                    .execute(&pool)
                    .await;
                    if let Err(error) = written {
                        eprintln!("a history write failed: {error}");
                    }
                }
            })
        })
    }};
}

struct Load {
    requests_per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
    errors: String,
}

fn wrk(url: &str, token: &str, connections: u32, seconds: u64) -> anyhow::Result<Load> {
    let output = Command::new("wrk")
        .args(["-t2", &format!("-c{connections}"), &format!("-d{seconds}s")])
        .args([
            "--latency",
            "-H",
            &format!("Authorization: Bearer {token}"),
            url,
        ])
        .output()
        .context("running wrk (apt-get install wrk)")?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.trim().strip_prefix(prefix).map(|v| v.trim().to_owned()))
    };
    let millis = |v: String| -> anyhow::Result<f64> {
        Ok(if let Some(ms) = v.strip_suffix("ms") {
            ms.parse()?
        } else if let Some(us) = v.strip_suffix("us") {
            us.parse::<f64>()? / 1000.0
        } else if let Some(s) = v.strip_suffix('s') {
            s.parse::<f64>()? * 1000.0
        } else {
            bail!("unreadable latency {v}")
        })
    };
    Ok(Load {
        requests_per_second: field("Requests/sec:").context("no Requests/sec")?.parse()?,
        p50_ms: millis(field("50%").context("no p50")?)?,
        p99_ms: millis(field("99%").context("no p99")?)?,
        errors: text
            .lines()
            .filter(|l| l.contains("Non-2xx") || l.contains("Socket errors"))
            .map(str::trim)
            .collect::<Vec<_>>()
            .join("; "),
    })
}

async fn measure(backend: &str, server: &Server, token: &str, seconds: u64) -> anyhow::Result<()> {
    let url = format!("{}/api/downloads?per_page=50", server.base);
    let page: Value = reqwest::Client::new()
        .get(&url)
        .bearer_auth(token)
        .send()
        .await?
        .json()
        .await?;
    let items = page["items"].as_array().map_or(0, Vec::len);
    anyhow::ensure!(
        items == 50 && page["total"] == ROWS,
        "unexpected page: {page}"
    );
    wrk(&url, token, 8, 2)?; // warm-up
    for connections in CONNECTIONS {
        let load = wrk(&url, token, connections, seconds)?;
        println!(
            "| {backend} | {connections} | {:.0} | {:.2} | {:.2} | {} |",
            load.requests_per_second,
            load.p50_ms,
            load.p99_ms,
            if load.errors.is_empty() {
                "none"
            } else {
                &load.errors
            }
        );
    }
    let metrics = reqwest::Client::new()
        .get(format!("{}/metrics", server.base))
        .bearer_auth(token)
        .send()
        .await?
        .error_for_status()?
        .text()
        .await?;
    let lookups: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("nas_history_page_lookups_total"))
        .collect();
    println!("{backend}, the server's page cache: {}", lookups.join(", "));
    Ok(())
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    let bin = std::env::var_os("NAS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/nas-music-downloader"));
    let seconds: u64 = std::env::var("HISTORY_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10);
    println!(
        "load average before: {}",
        std::fs::read_to_string("/proc/loadavg")?.trim()
    );
    println!("| backend | connections | requests/s | p50 ms | p99 ms | errors |");
    println!("|---|---|---|---|---|---|");

    let only = std::env::var("HISTORY_BACKEND").unwrap_or_default();
    if only != "postgres" {
        sqlite(&bin, seconds).await?;
    }
    if only != "sqlite" {
        postgres(&bin, seconds).await?;
    }
    println!(
        "load average after: {}",
        std::fs::read_to_string("/proc/loadavg")?.trim()
    );
    Ok(())
}

async fn sqlite(bin: &Path, seconds: u64) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let sqlite_url = format!("sqlite://{}/data/history.db", dir.path().display());
    std::fs::create_dir_all(dir.path().join("data"))?;
    let server = start(bin, dir.path(), &sqlite_url).await?;
    let (token, user) = sign_in(&server.base).await?;
    let pool = sqlx::SqlitePool::connect(&sqlite_url).await?;
    seed!(&pool, user);
    let writes = spawn_writes!(pool, user);
    let measured = measure("SQLite", &server, &token, seconds).await;
    writes.inspect(tokio::task::JoinHandle::abort);
    pool.close().await;
    measured
}

async fn postgres(bin: &Path, seconds: u64) -> anyhow::Result<()> {
    let admin = std::env::var("TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    match sqlx::PgPool::connect(&admin).await {
        Err(err) => println!("PostgreSQL skipped: {err}"),
        Ok(admin_pool) => {
            let name = format!("nmd_bench_{}", std::process::id());
            sqlx::query(&format!("CREATE DATABASE {name}"))
                .execute(&admin_pool)
                .await?;
            let url = format!("{}/{name}", admin.rsplit_once('/').context("no db name")?.0);
            let pg_dir = tempfile::tempdir()?;
            let result = async {
                let server = start(bin, pg_dir.path(), &url).await?;
                let (token, user) = sign_in(&server.base).await?;
                let pool = sqlx::PgPool::connect(&url).await?;
                seed!(&pool, user);
                let writes = spawn_writes!(pool, user);
                let measured = measure("PostgreSQL", &server, &token, seconds).await;
                writes.inspect(tokio::task::JoinHandle::abort);
                pool.close().await;
                measured
            }
            .await;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&admin_pool)
                .await?;
            result?;
        }
    }
    Ok(())
}
