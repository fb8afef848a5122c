//! Plugin host benchmarks (section "plugins" of bench/README.md): resolve latency with a
//! fresh instance per call, routing among 10 plugins, compile vs cached load, hot-swap
//! latency under load, resident memory. Figures are printed, never asserted.
//!
//! Needs the fixture plugins: `NAS_FIXTURE_PLUGINS_DIR=<dir with *.wasm>` (build.rs of the
//! server puts them in `target/release/build/nas-music-downloader-*/out/fixture-plugins`).

use nas_music_downloader::net::AddressPolicy;
use nas_music_downloader::plugins::{PluginHostConfig, PluginRegistry};
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

fn config(root: &Path, watch: bool) -> PluginHostConfig {
    PluginHostConfig {
        plugin_directory: root.join("plugins"),
        data_directory: root.join("data"),
        address_policy: AddressPolicy::AllowPrivate,
        watch,
        ..PluginHostConfig::default()
    }
}

fn percentiles(mut samples: Vec<Duration>) -> String {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q) as usize];
    format!(
        "median {:?}, p90 {:?}, p99 {:?} (n={})",
        at(0.5),
        at(0.9),
        at(0.99),
        samples.len()
    )
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches(" kB").parse().ok())
        .unwrap_or(0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let fixtures = std::env::var("NAS_FIXTURE_PLUGINS_DIR")
        .map_err(|_| anyhow::anyhow!("set NAS_FIXTURE_PLUGINS_DIR"))?;
    let fixtures = Path::new(&fixtures);
    let rss_before = rss_kib();

    // Compile vs cached load: start twice over the same data directory.
    let tmp = tempfile::tempdir()?;
    std::fs::create_dir_all(tmp.path().join("plugins"))?;
    let t = Instant::now();
    let cold = PluginRegistry::start(config(tmp.path(), false), CancellationToken::new()).await?;
    let cold_time = t.elapsed();
    println!(
        "rss: {} KiB before the engine, {} KiB with the 5 default plugins loaded",
        rss_before,
        rss_kib()
    );
    drop(cold);
    let t = Instant::now();
    let warm = PluginRegistry::start(config(tmp.path(), false), CancellationToken::new()).await?;
    println!(
        "start with 5 plugins: compile {:?}, from artifact cache {:?}",
        cold_time,
        t.elapsed()
    );
    drop(warm);

    // Ten plugins: the defaults plus five fixtures.
    for name in [
        "loop-forever",
        "memory-hog",
        "panicker",
        "http-probe",
        "legacy-v0-1",
    ] {
        std::fs::copy(
            fixtures.join(format!("{name}.wasm")),
            tmp.path().join("plugins").join(format!("{name}.wasm")),
        )?;
    }
    let registry =
        PluginRegistry::start(config(tmp.path(), true), CancellationToken::new()).await?;
    assert_eq!(registry.list().len(), 10);

    let urls: Vec<url::Url> = [
        "https://youtu.be/dQw4w9WgXcQ",
        "https://artist.bandcamp.com/track/x",
        "https://cdn.example.org/a.mp3",
        "https://vimeo.com/1",
    ]
    .iter()
    .map(|u| url::Url::parse(u).unwrap())
    .collect();
    let t = Instant::now();
    let rounds = 100_000;
    for i in 0..rounds {
        std::hint::black_box(registry.route(&urls[i % urls.len()]));
    }
    println!(
        "route among 10 plugins: {:?} per call (mean of {rounds})",
        t.elapsed() / rounds as u32
    );

    for (plugin, url) in [
        // IP literals: a host name here would put a DNS lookup (no network on the bench
        // machine: a 5 s resolver timeout) into every call.
        ("generic", "http://127.0.0.1:9/page"),
        ("direct-media", "http://127.0.0.1:9/a.mp3"),
    ] {
        for _ in 0..200 {
            let call = registry.resolve(plugin, url);
            tokio::time::timeout(Duration::from_secs(30), call)
                .await
                .map_err(|_| anyhow::anyhow!("resolve({plugin}) did not return within 30 s"))??;
        }
        eprintln!("warm-up of {plugin} done");
        let mut samples = Vec::with_capacity(5000);
        for _ in 0..5000 {
            let t = Instant::now();
            registry.resolve(plugin, url).await.unwrap();
            samples.push(t.elapsed());
        }
        println!(
            "resolve({plugin}), fresh instance per call: {}",
            percentiles(samples)
        );
    }
    println!("rss with 10 plugins after 10k calls: {} KiB", rss_kib());

    // Hot swap under load: callers hammer `fixture-legacy-v0-1` while its file is replaced.
    let file = tmp.path().join("plugins").join("legacy-v0-1.wasm");
    let stop = Arc::new(AtomicBool::new(false));
    let (calls, failures) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let mut load = Vec::new();
    for _ in 0..2 {
        let (registry, stop, calls, failures) = (
            registry.clone(),
            stop.clone(),
            calls.clone(),
            failures.clone(),
        );
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                if registry
                    .resolve("fixture-legacy-v0-1", "https://legacy.fixture.test/a")
                    .await
                    .is_err()
                {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
                calls.fetch_add(1, Ordering::Relaxed);
            }
        }));
    }
    let original = std::fs::read(&file)?;
    let mut swaps = Vec::new();
    for i in 0..10u8 {
        // A trailing custom section changes the hash but not the behaviour.
        let mut bytes = original.clone();
        bytes.extend_from_slice(&[0, 7, 5, b'b', b'e', b'n', b'c', b'h', i]);
        let before = registry
            .list()
            .into_iter()
            .find(|p| p.name == "fixture-legacy-v0-1")
            .unwrap()
            .sha256;
        let t = Instant::now();
        std::fs::write(&file, &bytes)?;
        loop {
            let now = registry
                .list()
                .into_iter()
                .find(|p| p.name == "fixture-legacy-v0-1")
                .unwrap()
                .sha256;
            if now != before {
                break;
            }
            anyhow::ensure!(
                t.elapsed() < Duration::from_secs(10),
                "swap {i} never happened"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        swaps.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await?;
    }
    println!(
        "hot swap, file write → new version serving: {}; calls during swaps: {}, failed: {}",
        percentiles(swaps),
        calls.load(Ordering::Relaxed),
        failures.load(Ordering::Relaxed)
    );
    Ok(())
}
