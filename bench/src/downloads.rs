//! Download benchmarks (section "downloads" of bench/README.md), against the real release
//! binary started as a child process with a fresh SQLite data folder and a media server on
//! 127.0.0.1 inside this process. Figures are printed, never asserted.
//!
//! Measures: idle resident memory after start-up (fresh data folder, then a restart on the
//! warm artifact cache), a direct link from `POST /api/download` to its `completed` event on
//! the SSE stream (with a plain reqwest GET, `curl` and the `yt-dlp` CLI fetching the same
//! file for comparison), 100 direct links submitted at once until all are completed, and the
//! yt-dlp path through the API divided by the same yt-dlp command run by hand.
//!
//! Needs `target/release/nas-music-downloader` (`NAS_SERVER_BIN` overrides), ffmpeg
//! (`FFMPEG_PATH`) and the pinned yt-dlp (`YTDLP_PATH`, default `.venv/bin/yt-dlp`).

mod support;
use anyhow::{Context, bail, ensure};
use futures_util::StreamExt;
use nas_music_downloader::jobs::AudioFormat;
use nas_music_downloader::jobs::ytdlp_args::{YtDlpInvocation, build_args};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{rss_kib, workspace_root};
use tokio::sync::Notify;

/// Timed runs of the single direct link and of the in-process / curl comparisons.
const DIRECT_RUNS: usize = 20;
/// Timed runs of anything that starts Python (yt-dlp by hand, the yt-dlp path via the API).
const YTDLP_RUNS: usize = 5;
/// Rounds of the 100-at-once batch.
const BATCH_ROUNDS: usize = 3;
const BATCH_SIZE: usize = 100;
/// The generic plugin's yt-dlp options (plugins/generic/src/lib.rs); checked against the
/// argv the server really runs before the timed runs.
const GENERIC_PLUGIN_OPTIONS: &[&str] = &[
    "--format",
    "bestaudio/best",
    "--extract-audio",
    "--no-playlist",
];

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    format!(
        "median {:.1} ms, min {:.1}, p90 {:.1}, max {:.1} (n={})",
        ms(at(0.5)),
        ms(samples[0]),
        ms(at(0.9)),
        ms(samples[samples.len() - 1]),
        samples.len()
    )
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn tool(var: &str, default: PathBuf) -> PathBuf {
    std::env::var_os(var).map(PathBuf::from).unwrap_or(default)
}

/// A 5 s, 128 kbit/s tagged mp3 and a page that embeds it, served by poem on 127.0.0.1.
async fn start_media_server(dir: &Path, ffmpeg: &Path) -> anyhow::Result<String> {
    let status = std::process::Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-y", "-f", "lavfi"])
        .args(["-i", "sine=frequency=440:duration=5", "-b:a", "128k"])
        .args(["-metadata", "title=Bench Tone", "-metadata", "artist=Bench"])
        .arg(dir.join("a.mp3"))
        .status()?;
    ensure!(status.success(), "ffmpeg failed to generate the fixture");
    std::fs::write(
        dir.join("page.html"),
        "<!doctype html><html><head><title>Bench Tone</title></head>\
         <body><audio controls src=\"/a.mp3\"></audio></body></html>",
    )?;
    use poem::listener::{Acceptor, Listener};
    let acceptor = poem::listener::TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await?;
    let addr = acceptor.local_addr()[0]
        .as_socket_addr()
        .copied()
        .context("media server address")?;
    let app = poem::endpoint::StaticFilesEndpoint::new(dir);
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(app));
    Ok(format!("http://{addr}"))
}

/// The release server as a child process; killed when dropped.
struct ServerProcess {
    child: tokio::process::Child,
    base: String,
    pid: u32,
    /// Spawn → first `GET /health` answered 200.
    ready_after: Duration,
}

async fn start_server(
    bin: &Path,
    root: &Path,
    ytdlp: &Path,
    ffmpeg: &Path,
    http: &reqwest::Client,
) -> anyhow::Result<ServerProcess> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let log = std::fs::File::create(root.join("server.log"))?;
    let started = Instant::now();
    let mut child = tokio::process::Command::new(bin)
        .env("DATA_DIRECTORY", root.join("data"))
        .env("OUTPUT_DIRECTORY", root.join("out"))
        .env(
            "SECRET_KEY",
            "bench-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
        )
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("ALLOW_PRIVATE_URLS", "true")
        .env("YTDLP_PATH", ytdlp)
        .env("FFMPEG_PATH", ffmpeg)
        .env("RUST_LOG", "warn")
        .env_remove("DATABASE_URL")
        .env_remove("MAX_CONCURRENT_DOWNLOADS")
        .env_remove("PLUGIN_DIRECTORY")
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log)
        .kill_on_drop(true)
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let pid = child.id().context("server pid")?;
    let base = format!("http://127.0.0.1:{port}");
    loop {
        if let Some(status) = child.try_wait()? {
            bail!(
                "server exited with {status}; see {}",
                root.join("server.log").display()
            );
        }
        if let Ok(r) = http.get(format!("{base}/health")).send().await
            && r.status().is_success()
        {
            break;
        }
        ensure!(
            started.elapsed() < Duration::from_secs(120),
            "server never became healthy"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Ok(ServerProcess {
        ready_after: started.elapsed(),
        child,
        base,
        pid,
    })
}

impl ServerProcess {
    async fn stop(mut self) -> anyhow::Result<()> {
        self.child.kill().await?;
        Ok(())
    }
}

/// Terminal status of a download and when its event arrived on the SSE stream.
#[derive(Clone)]
struct Finished {
    status: String,
    at: Instant,
    /// Server-side `completed_at - created_at`.
    server_side: Option<Duration>,
    error: Option<String>,
}

/// Reads the SSE stream in the background and records terminal events by download id.
#[derive(Default)]
struct Completions {
    done: Mutex<HashMap<i64, Finished>>,
    changed: Notify,
}

impl Completions {
    async fn follow(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<Arc<Self>> {
        let response = http
            .get(format!("{base}/api/downloads/events"))
            .bearer_auth(token)
            .send()
            .await?
            .error_for_status()?;
        let this = Arc::new(Self::default());
        let sink = this.clone();
        tokio::spawn(async move {
            let mut stream = response.bytes_stream();
            let mut buffer = Vec::new();
            while let Some(Ok(chunk)) = stream.next().await {
                let at = Instant::now();
                buffer.extend_from_slice(&chunk);
                while let Some(end) = buffer.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buffer.drain(..=end).collect();
                    let Some(data) = line.strip_prefix(b"data:") else {
                        continue;
                    };
                    let Ok(view) = serde_json::from_slice::<Value>(data.trim_ascii()) else {
                        continue;
                    };
                    sink.record(&view, at);
                }
            }
        });
        Ok(this)
    }

    fn record(&self, view: &Value, at: Instant) {
        let status = view["status"].as_str().unwrap_or_default();
        if !matches!(status, "completed" | "failed" | "cancelled") {
            return;
        }
        let time = |k: &str| {
            view[k]
                .as_str()
                .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
        };
        let server_side = match (time("created_at"), time("completed_at")) {
            (Some(a), Some(b)) => (b - a).to_std().ok(),
            _ => None,
        };
        let finished = Finished {
            status: status.to_owned(),
            at,
            server_side,
            error: view["error"].as_str().map(str::to_owned),
        };
        let id = view["id"].as_i64().unwrap_or_default();
        self.done.lock().unwrap().entry(id).or_insert(finished);
        self.changed.notify_waiters();
    }

    /// Waits until every id has a terminal event; fails on a timeout or a non-completed one.
    async fn wait_all(&self, ids: &[i64], timeout: Duration) -> anyhow::Result<Vec<Finished>> {
        let deadline = Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            {
                let done = self.done.lock().unwrap();
                let found: Vec<Finished> =
                    ids.iter().filter_map(|id| done.get(id).cloned()).collect();
                if found.len() == ids.len() {
                    if let Some(bad) = found.iter().find(|f| f.status != "completed") {
                        bail!("a download ended {}: {:?}", bad.status, bad.error);
                    }
                    return Ok(found);
                }
                ensure!(
                    Instant::now() < deadline,
                    "{} of {} downloads finished before the timeout",
                    found.len(),
                    ids.len()
                );
            }
            let _ = tokio::time::timeout(Duration::from_millis(500), notified).await;
        }
    }
}

async fn login(http: &reqwest::Client, base: &str) -> anyhow::Result<String> {
    let password = "bench-password-42";
    http.post(format!("{base}/auth/register"))
        .json(&json!({"username": "bench", "email": "bench@example.com", "password": password}))
        .send()
        .await?
        .error_for_status()?;
    let token: Value = http
        .post(format!("{base}/auth/login"))
        .form(&[("username", "bench"), ("password", password)])
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    Ok(token["access_token"]
        .as_str()
        .context("no access_token")?
        .to_owned())
}

async fn submit(http: &reqwest::Client, base: &str, token: &str, url: &str) -> anyhow::Result<i64> {
    let response = http
        .post(format!("{base}/api/download"))
        .bearer_auth(token)
        .json(&json!({ "url": url }))
        .send()
        .await?;
    ensure!(
        response.status() == reqwest::StatusCode::ACCEPTED,
        "POST /api/download {url}: {}",
        response.status()
    );
    let view: Value = response.json().await?;
    view["id"].as_i64().context("no id")
}

/// One download through the API: POST → its terminal event. Returns (wall, server-side).
async fn api_download(
    http: &reqwest::Client,
    server: &ServerProcess,
    token: &str,
    events: &Completions,
    url: &str,
) -> anyhow::Result<(Duration, Option<Duration>)> {
    let t = Instant::now();
    let id = submit(http, &server.base, token, url).await?;
    let finished = events.wait_all(&[id], Duration::from_secs(60)).await?;
    Ok((finished[0].at - t, finished[0].server_side))
}

/// `yt-dlp` as the server runs it: the same argv (built by the server's own `build_args`
/// with the generic plugin's options), the same scrubbed environment, and an egress proxy
/// of its own (SEC-40), as every server job has.
fn manual_ytdlp_command(
    ytdlp: &Path,
    ffmpeg: &Path,
    temp_dir: &Path,
    url: &str,
    proxy: &str,
) -> std::process::Command {
    let options: Vec<String> = GENERIC_PLUGIN_OPTIONS
        .iter()
        .map(|s| s.to_string())
        .collect();
    let args = build_args(&YtDlpInvocation {
        url,
        temp_dir,
        ffmpeg_location: ffmpeg,
        js_runtime: &ffmpeg.with_file_name("deno"),
        format: AudioFormat::Best,
        plugin_options: &options,
        max_file_bytes: nas_music_downloader::domain::JobLimits::default().max_file_bytes,
        proxy,
    });
    let mut cmd = std::process::Command::new(ytdlp);
    cmd.args(&args).env_clear();
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    for key in ["http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY"] {
        cmd.env(key, proxy);
    }
    cmd.env("LC_ALL", "C.UTF-8")
        .env("PYTHONIOENCODING", "utf-8")
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

fn run_timed(mut cmd: std::process::Command) -> anyhow::Result<Duration> {
    let t = Instant::now();
    let output = cmd.output()?;
    let elapsed = t.elapsed();
    ensure!(
        output.status.success(),
        "{:?} failed: {}",
        cmd.get_program(),
        String::from_utf8_lossy(&output.stderr)
    );
    Ok(elapsed)
}

/// The argv of the yt-dlp process the server is running (found through /proc), from the
/// first option on, with the temp folder replaced by `<tmp>`.
fn find_server_ytdlp_argv() -> Option<Vec<String>> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(raw) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        // NUL-terminated; keep empty arguments (`--proxy ""`), drop the final terminator.
        let raw = raw.strip_suffix(&[0]).unwrap_or(&raw);
        let argv: Vec<String> = raw
            .split(|&b| b == 0)
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        if let Some(start) = argv.iter().position(|a| a.ends_with("/yt-dlp"))
            && argv.iter().any(|a| a.contains("/.incomplete/"))
        {
            return Some(normalise_argv(&argv[start + 1..]));
        }
    }
    None
}

fn normalise_argv(args: &[String]) -> Vec<String> {
    let mut out: Vec<String> = args.to_vec();
    if let Some(i) = out.iter().position(|a| a == "--paths") {
        out[i + 1] = "<tmp>".into();
    }
    // Each job has its own proxy credential (SEC-40).
    if let Some(i) = out.iter().position(|a| a == "--proxy") {
        out[i + 1] = "<proxy>".into();
    }
    if let Some(last) = out.last_mut() {
        // The query string differs between runs (?n=…).
        *last = last.split('?').next().unwrap_or_default().to_owned();
    }
    out
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    let bin = tool(
        "NAS_SERVER_BIN",
        root.join("target/release/nas-music-downloader"),
    );
    let ytdlp = tool("YTDLP_PATH", root.join(".venv/bin/yt-dlp"));
    let ffmpeg = tool("FFMPEG_PATH", root.join(".venv/bin/ffmpeg"));
    let scratch = tempfile::tempdir()?;
    let media_dir = scratch.path().join("media");
    let server_root = scratch.path().join("server");
    let by_hand = scratch.path().join("by-hand");
    for dir in [&media_dir, &server_root, &by_hand] {
        std::fs::create_dir_all(dir)?;
    }
    // Other work on this shared machine moves every figure; say how busy it was.
    let loadavg = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("load average at start: {}", loadavg().trim());
    let media = start_media_server(&media_dir, &ffmpeg).await?;
    let mp3_bytes = std::fs::metadata(media_dir.join("a.mp3"))?.len();
    println!("fixture: 5 s sine mp3 at 128 kbit/s, {mp3_bytes} bytes, served from {media}");
    let http = reqwest::Client::builder().no_proxy().build()?;

    // --- Start-up and idle memory (fresh data folder).
    let server = start_server(&bin, &server_root, &ytdlp, &ffmpeg, &http).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_fresh = rss_kib(server.pid)?;
    println!(
        "start-up, fresh data folder: healthy after {:.0} ms; idle VmRSS 3 s later {} KiB ({:.1} MiB)",
        ms(server.ready_after),
        idle_fresh,
        idle_fresh as f64 / 1024.0
    );

    let token = login(&http, &server.base).await?;
    let events = Completions::follow(&http, &server.base, &token).await?;

    // --- Direct link through the API.
    for n in 0..3 {
        let url = format!("{media}/a.mp3?warmup={n}");
        api_download(&http, &server, &token, &events, &url).await?;
    }
    let (mut wall, mut server_side) = (Vec::new(), Vec::new());
    for n in 0..DIRECT_RUNS {
        let url = format!("{media}/a.mp3?n={n}");
        let (w, s) = api_download(&http, &server, &token, &events, &url).await?;
        wall.push(w);
        server_side.extend(s);
    }
    println!(
        "direct link, POST → completed event (SSE): {}",
        summary(wall)
    );
    if !server_side.is_empty() {
        println!(
            "  same runs, server-side completed_at - created_at: {}",
            summary(server_side)
        );
    }

    // --- The same file fetched without the server.
    let reqwest_file = by_hand.join("reqwest.mp3");
    let mut samples = Vec::new();
    for n in 0..DIRECT_RUNS + 3 {
        let t = Instant::now();
        let body = http
            .get(format!("{media}/a.mp3?r={n}"))
            .send()
            .await?
            .error_for_status()?
            .bytes()
            .await?;
        tokio::fs::write(&reqwest_file, &body).await?;
        if n >= 3 {
            samples.push(t.elapsed());
        }
    }
    println!(
        "reqwest GET → file, in process, kept-alive client: {}",
        summary(samples)
    );
    let curl = tool("CURL_PATH", PathBuf::from("curl"));
    let mut samples = Vec::new();
    for n in 0..DIRECT_RUNS + 3 {
        let mut cmd = std::process::Command::new(&curl);
        cmd.args(["-sS", "--fail", "--noproxy", "*", "-o"])
            .arg(by_hand.join("curl.mp3"))
            .arg(format!("{media}/a.mp3?c={n}"));
        let t = run_timed(cmd)?;
        if n >= 3 {
            samples.push(t);
        }
    }
    println!(
        "curl -sS --fail -o FILE URL (process spawn included): {}",
        summary(samples)
    );
    let mut samples = Vec::new();
    for n in 0..YTDLP_RUNS + 1 {
        let dir = by_hand.join(format!("cli-{n}"));
        let mut cmd = std::process::Command::new(&ytdlp);
        cmd.args([
            "--ignore-config",
            "--no-cache-dir",
            "--quiet",
            "--no-progress",
        ])
        .args(["--paths".as_ref(), dir.as_os_str()])
        .args(["--output", "download.%(ext)s"])
        .arg(format!("{media}/a.mp3?y={n}"));
        let t = run_timed(cmd)?;
        if n >= 1 {
            samples.push(t);
        }
    }
    println!(
        "yt-dlp --ignore-config --no-cache-dir --quiet --no-progress -P DIR -o download.%(ext)s URL: {}",
        summary(samples)
    );

    // --- 100 direct links at once.
    let mut rounds = Vec::new();
    for round in 0..BATCH_ROUNDS {
        let t = Instant::now();
        let posts = (0..BATCH_SIZE).map(|i| {
            let url = format!("{media}/a.mp3?b={round}-{i}");
            let (http, base, token) = (&http, &server.base, &token);
            async move { submit(http, base, token, &url).await }
        });
        let ids = futures_util::future::try_join_all(posts).await?;
        let accepted = t.elapsed();
        let finished = events.wait_all(&ids, Duration::from_secs(120)).await?;
        let last = finished.iter().map(|f| f.at).max().unwrap() - t;
        println!(
            "batch {round}: {BATCH_SIZE} direct links, all 202 after {:.0} ms, all completed after {:.0} ms",
            ms(accepted),
            ms(last)
        );
        rounds.push(last);
    }
    println!(
        "{BATCH_SIZE} direct links at once → all completed: median of {BATCH_ROUNDS} rounds {:.0} ms",
        ms(median(rounds))
    );

    // --- yt-dlp path: the API versus the same command by hand, interleaved.
    let page = format!("{media}/page.html");
    let warmup_dir = by_hand.join("check");
    let id = submit(&http, &server.base, &token, &format!("{page}?check=1")).await?;
    let mut seen = None;
    let check_started = Instant::now();
    while seen.is_none() && check_started.elapsed() < Duration::from_secs(10) {
        seen = find_server_ytdlp_argv();
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    events.wait_all(&[id], Duration::from_secs(60)).await?;
    let egress = nas_music_downloader::net::egress_proxy::EgressProxy::start(
        tokio_util::sync::CancellationToken::new(),
    )
    .await?;
    let pass = egress.register_job(nas_music_downloader::net::AddressPolicy::AllowPrivate);
    let manual = manual_ytdlp_command(&ytdlp, &ffmpeg, &warmup_dir, &page, pass.proxy_url());
    let manual_argv: Vec<String> = manual
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    let manual_argv = normalise_argv(&manual_argv);
    match &seen {
        Some(argv) if *argv == manual_argv => {
            println!(
                "yt-dlp argv by hand == argv the server ran: {}",
                argv.join(" ")
            )
        }
        Some(argv) => println!(
            "WARNING: yt-dlp argv differs\n  server:  {}\n  by hand: {}",
            argv.join(" "),
            manual_argv.join(" ")
        ),
        None => println!("WARNING: did not catch the server's yt-dlp process in /proc"),
    }
    run_timed(manual)?;
    let (mut api, mut hand, mut api_server_side) = (Vec::new(), Vec::new(), Vec::new());
    for n in 0..YTDLP_RUNS {
        let url = format!("{page}?n={n}");
        let (w, s) = api_download(&http, &server, &token, &events, &url).await?;
        api.push(w);
        api_server_side.extend(s);
        let dir = by_hand.join(format!("page-{n}"));
        hand.push(run_timed(manual_ytdlp_command(
            &ytdlp,
            &ffmpeg,
            &dir,
            &url,
            pass.proxy_url(),
        ))?);
    }
    let ratio = median(api.clone()).as_secs_f64() / median(hand.clone()).as_secs_f64();
    println!(
        "yt-dlp path via API, POST → completed event: {}",
        summary(api)
    );
    if !api_server_side.is_empty() {
        println!(
            "  server-side completed_at - created_at: {}",
            summary(api_server_side)
        );
    }
    println!("same yt-dlp argv by hand: {}", summary(hand));
    println!("ratio of medians, API ÷ by hand: {ratio:.3}");

    let after = rss_kib(server.pid)?;
    println!(
        "VmRSS after all of the above: {after} KiB ({:.1} MiB)",
        after as f64 / 1024.0
    );
    server.stop().await?;

    // --- Restart on the same data folder: plugins come from the artifact cache.
    let server = start_server(&bin, &server_root, &ytdlp, &ffmpeg, &http).await?;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_warm = rss_kib(server.pid)?;
    println!(
        "restart, warm artifact cache: healthy after {:.0} ms; idle VmRSS 3 s later {} KiB ({:.1} MiB)",
        ms(server.ready_after),
        idle_warm,
        idle_warm as f64 / 1024.0
    );
    server.stop().await?;
    println!("load average at end: {}", loadavg().trim());
    Ok(())
}
