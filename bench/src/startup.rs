//! Start-up benchmark (issue 8): how long the release binary takes from `exec` to its first
//! `/health` 200, on a fresh data folder and on a warm one, and how much memory it keeps
//! while idle afterwards. Every run is a new process with its own temp folders, SQLite, and
//! the tool environment of `scripts/setup-tools.sh` (the preflight runs in the background).
//!
//!     cargo build --release -p nas-music-downloader -p nas-music-bench
//!     target/release/startup        # NAS_SERVER_BIN, TOOLS_DIRECTORY, STARTUP_RUNS override
//!
//! The clock starts just before `spawn` and stops when a `GET /health` on a fresh
//! connection answers 200; until the server listens, the bench retries the connection
//! every 0.5 ms.

mod support;
use anyhow::{Context, bail};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{rss_kib, workspace_root};

/// One `GET /health` on a new connection: the status code and body, or `None` when nothing
/// listens yet.
fn get_health(port: u16) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(5))).ok()?;
    stream
        .write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b.to_owned())?;
    Some((status, body))
}

struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary with its state in `root` and returns it with the time to `/health` 200.
fn start(bin: &Path, tools: &Path, root: &Path) -> anyhow::Result<(Server, Duration)> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let started = Instant::now();
    let child = Command::new(bin)
        .current_dir(root)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATA_DIRECTORY", root.join("data"))
        .env("OUTPUT_DIRECTORY", root.join("music"))
        .env("TOOLS_DIRECTORY", tools)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("starting {}", bin.display()))?;
    let mut server = Server { child, port };
    loop {
        if let Some((200, _)) = get_health(port) {
            return Ok((server, started.elapsed()));
        }
        if started.elapsed() > Duration::from_secs(60) {
            bail!("no /health 200 within 60 s");
        }
        if let Some(status) = server.child.try_wait()? {
            bail!("the server exited with {status}");
        }
        std::thread::sleep(Duration::from_micros(500));
    }
}

/// Waits until the background tool preflight is done (the server's idle state).
fn wait_for_preflight(server: &Server) -> anyhow::Result<Duration> {
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if let Some((_, body)) = get_health(server.port)
            && body.contains("\"preflight\":\"done\"")
        {
            return Ok(started.elapsed());
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    bail!("the preflight did not finish within 60 s")
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn summary(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| ms(samples[((samples.len() - 1) as f64 * q).round() as usize]);
    format!(
        "median {:.1} ms, min {:.1}, max {:.1} (n={})",
        at(0.5),
        at(0.0),
        at(1.0),
        samples.len()
    )
}

fn main() -> anyhow::Result<()> {
    let root = workspace_root();
    let bin = std::env::var_os("NAS_SERVER_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/nas-music-downloader"));
    let tools = std::env::var_os("TOOLS_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".venv"));
    let runs: usize = std::env::var("STARTUP_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10);
    let loadavg = || std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!("binary: {}", bin.display());
    println!("load average at start: {}", loadavg().trim());

    let mut fresh = Vec::new();
    let mut warm = Vec::new();
    let mut idle_fresh = Vec::new();
    let mut idle_warm = Vec::new();
    let mut preflight = Vec::new();
    for _ in 0..runs {
        let scratch = tempfile::tempdir()?;
        // First start on an empty data folder: key, database, migrations, plugins.
        let (server, took) = start(&bin, &tools, scratch.path())?;
        fresh.push(took);
        preflight.push(wait_for_preflight(&server)? + took);
        std::thread::sleep(Duration::from_secs(2));
        idle_fresh.push(rss_kib(server.child.id())?);
        drop(server);
        // Second start on the same folder.
        let (server, took) = start(&bin, &tools, scratch.path())?;
        warm.push(took);
        wait_for_preflight(&server)?;
        std::thread::sleep(Duration::from_secs(2));
        idle_warm.push(rss_kib(server.child.id())?);
    }
    let mib = |v: &mut Vec<u64>| {
        v.sort();
        format!(
            "median {:.1} MiB, max {:.1}",
            v[v.len() / 2] as f64 / 1024.0,
            v[v.len() - 1] as f64 / 1024.0
        )
    };
    println!(
        "start -> /health 200, fresh data folder: {}",
        summary(fresh)
    );
    println!("start -> /health 200, warm data folder:  {}", summary(warm));
    println!(
        "start -> tool preflight done (fresh):   {}",
        summary(preflight)
    );
    println!(
        "idle VmRSS 2 s after the preflight, first start:  {}",
        mib(&mut idle_fresh)
    );
    println!(
        "idle VmRSS 2 s after the preflight, second start: {}",
        mib(&mut idle_warm)
    );
    println!("load average at end: {}", loadavg().trim());
    Ok(())
}
