//! Crashes, shutdowns and scale-out: the real binary killed with SIGKILL or stopped with
//! SIGTERM (SEC-30, SEC-31), and two instances sharing one PostgreSQL (SEC-32).

use crate::helpers::*;
use crate::media_server::MediaServer;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The server binary as a child process, with its own data and output folders.
struct ServerProcess {
    child: Child,
    address: String,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn start_binary(data: &Path, output: &Path, extra: &[(&str, &str)]) -> ServerProcess {
    let port = free_port();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_nas-music-downloader"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite", data.display()),
        )
        .env("SECRET_KEY", "test-secret-key-0123456789abcdef-0123456789")
        .env("DATA_DIRECTORY", data)
        .env("OUTPUT_DIRECTORY", output)
        .env("WEB_DIRECTORY", data.join("no-web"))
        .env("ALLOW_PRIVATE_URLS", "true")
        .env("WATCH_PLUGINS", "false")
        .env("TOOLS_DIRECTORY", tools_directory())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let child = cmd.spawn().expect("start the server binary");
    let address = format!("http://127.0.0.1:{port}");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(r) = client.get(format!("{address}/health")).send().await
            && r.status() == StatusCode::OK
        {
            break;
        }
        assert!(Instant::now() < deadline, "binary did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ServerProcess { child, address }
}

impl ServerProcess {
    fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    async fn token(&self, username: &str) -> String {
        let client = reqwest::Client::new();
        client
            .post(self.url("/auth/register"))
            .json(&json!({"username": username, "email": format!("{username}@example.com"), "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        let r = client
            .post(self.url("/auth/login"))
            .form(&[("username", username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        r.json::<Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    async fn download(&self, token: &str, id: i64) -> Value {
        reqwest::Client::new()
            .get(self.url(&format!("/api/downloads/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    async fn wait(&self, token: &str, id: i64, until: impl Fn(&Value) -> bool, secs: u64) -> Value {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let d = self.download(token, id).await;
            if until(&d) {
                return d;
            }
            assert!(Instant::now() < deadline, "download {id} stuck: {d}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn partial_files(output: &Path) -> usize {
    walk(output)
}

fn walk(dir: &Path) -> usize {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            if e.path().is_dir() {
                walk(&e.path())
            } else {
                1
            }
        })
        .sum()
}

async fn submit_slow(server: &ServerProcess, token: &str, media: &MediaServer) -> i64 {
    let r = reqwest::Client::new()
        .post(server.url("/api/download"))
        .bearer_auth(token)
        .json(&json!({"url": media.url("/slow.mp3")}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    r.json::<Value>().await.unwrap()["id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_download_killed_with_sigkill_is_retried_after_restart_sec_30() {
    let media = MediaServer::start().await;
    let data = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut server = start_binary(data.path(), output.path(), &[]).await;
    let token = server.token("alice").await;
    let id = submit_slow(&server, &token, &media).await;
    server
        .wait(&token, id, |d| d["status"] == "downloading", 30)
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while partial_files(output.path()) == 0 {
        assert!(Instant::now() < deadline, "no partial file appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap(); // SIGKILL: no chance to clean up
    server.child.wait().unwrap();
    assert!(
        partial_files(output.path()) > 0,
        "the crash left a partial file behind"
    );

    let restarted = start_binary(data.path(), output.path(), &[]).await;
    // The job comes back and runs again: a second attempt.
    let d = restarted
        .wait(
            &token,
            id,
            |d| d["attempts"] == 2 && d["status"] == "downloading",
            30,
        )
        .await;
    assert_eq!(d["status"], "downloading");
    reqwest::Client::new()
        .post(restarted.url(&format!("/api/downloads/{id}/cancel")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    restarted
        .wait(&token, id, |d| d["status"] == "cancelled", 15)
        .await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while partial_files(output.path()) > 0 && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(partial_files(output.path()), 0);
}

#[tokio::test]
async fn a_killed_download_with_no_attempts_left_fails_with_a_reason_and_its_temp_files_go_sec_30()
{
    let media = MediaServer::start().await;
    let data = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let settings = [("MAX_DOWNLOAD_ATTEMPTS", "1")];
    let mut server = start_binary(data.path(), output.path(), &settings).await;
    let token = server.token("alice").await;
    let id = submit_slow(&server, &token, &media).await;
    server
        .wait(&token, id, |d| d["status"] == "downloading", 30)
        .await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while partial_files(output.path()) == 0 {
        assert!(Instant::now() < deadline, "no partial file appeared");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let restarted = start_binary(data.path(), output.path(), &settings).await;
    let d = restarted
        .wait(&token, id, |d| d["status"] == "failed", 30)
        .await;
    assert!(d["error"].as_str().unwrap().contains("Interrupted"), "{d}");
    assert_eq!(
        partial_files(output.path()),
        0,
        "temp files of the crashed attempt were removed"
    );
}

#[tokio::test]
async fn sigterm_stops_the_running_download_and_puts_it_back_in_the_queue_sec_31() {
    let media = MediaServer::start().await;
    let data = tempfile::tempdir().unwrap();
    let output = tempfile::tempdir().unwrap();
    let mut server = start_binary(data.path(), output.path(), &[]).await;
    let token = server.token("alice").await;
    let id = submit_slow(&server, &token, &media).await;
    server
        .wait(&token, id, |d| d["status"] == "downloading", 30)
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;

    let started = Instant::now();
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(server.child.id() as i32),
        nix::sys::signal::Signal::SIGTERM,
    )
    .unwrap();
    let status = server.child.wait().unwrap();
    assert!(status.success(), "exit status {status}");
    assert!(
        started.elapsed() < Duration::from_secs(15),
        "shutdown took {:?}",
        started.elapsed()
    );
    assert_eq!(partial_files(output.path()), 0, "no partial file left");

    // Straight from the database: back to pending, and the interrupted attempt not counted.
    let pool = sqlx::SqlitePool::connect(&format!("sqlite://{}/db.sqlite", data.path().display()))
        .await
        .unwrap();
    let (status, attempts, worker): (String, i32, Option<String>) =
        sqlx::query_as("SELECT status, attempts, worker_id FROM download_history WHERE id = $1")
            .bind(id)
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(status, "pending");
    assert_eq!(attempts, 0);
    assert_eq!(worker, None);
}

#[tokio::test]
async fn two_instances_on_one_postgres_run_each_of_200_jobs_exactly_once_sec_32() {
    let Some(first) = spawn_app_with(Backend::Postgres, &[("MAX_CONCURRENT_DOWNLOADS", "4")]).await
    else {
        return;
    };
    let output = first.output_dir.path().display().to_string();
    let Some(second) = spawn_app_with(
        Backend::Postgres,
        &[
            ("DATABASE_URL", first.database_url.as_str()),
            ("OUTPUT_DIRECTORY", output.as_str()),
            ("MAX_CONCURRENT_DOWNLOADS", "4"),
        ],
    )
    .await
    else {
        return;
    };
    let media = MediaServer::start().await;
    let token = first.user_token("alice").await;
    // How many requests one download makes, to count the 200 below.
    let probe = first
        .submit_ok(&token, &media.url("/tagged.mp3?n=probe"), None)
        .await;
    first
        .wait_for(&token, &probe["id"], &["completed"], 30)
        .await;
    let per_job = media.hits("/tagged.mp3");
    assert!(per_job >= 1);

    let mut ids = Vec::new();
    for i in 0..200 {
        let app = if i % 2 == 0 { &first } else { &second };
        ids.push(
            app.submit_ok(&token, &media.url(&format!("/tagged.mp3?n={i}")), None)
                .await["id"]
                .clone(),
        );
    }
    for id in &ids {
        let d = first
            .wait_for(&token, id, &["completed", "failed"], 120)
            .await;
        assert_eq!(d["status"], "completed", "{d}");
        assert_eq!(d["attempts"], 1, "{d}");
    }
    assert_eq!(
        media.hits("/tagged.mp3"),
        per_job * 201,
        "some job ran twice"
    );
    assert_eq!(first.output_files().len(), 201);
    let _ = StatusCode::OK;
}

#[tokio::test]
async fn progress_reaches_event_streams_on_another_instance_through_postgres() {
    use futures_util::StreamExt;
    let Some(first) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let output = first.output_dir.path().display().to_string();
    let Some(second) = spawn_app_with(
        Backend::Postgres,
        &[
            ("DATABASE_URL", first.database_url.as_str()),
            ("OUTPUT_DIRECTORY", output.as_str()),
        ],
    )
    .await
    else {
        return;
    };
    let media = MediaServer::start().await;
    let token = first.user_token("alice").await;
    let stream = second
        .client
        .get(second.url("/api/downloads/events"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), StatusCode::OK);
    // Either instance may run the job; the stream on `second` must see its whole life.
    let d = first
        .submit_ok(&token, &media.url("/tagged.mp3"), None)
        .await;
    let mut body = stream.bytes_stream();
    let mut text = String::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while !text.contains("\"status\":\"completed\"") {
        let chunk = tokio::time::timeout_at(deadline, body.next())
            .await
            .expect("no completed event")
            .unwrap()
            .unwrap();
        text.push_str(&String::from_utf8_lossy(&chunk));
    }
    assert!(text.contains(&format!("\"id\":{}", d["id"])));
    assert!(
        text.contains("\"status\":\"pending\""),
        "the submission on the other instance was seen: {text}"
    );
}
