//! Makes the binary self-contained:
//! - builds the web page (`web/dist`, embedded by `api/web_assets.rs`) when it is missing or
//!   older than its sources and npm is available; without npm it says so and the binary
//!   serves the API only;
//! - builds the extractor plugins (defaults and test fixtures) for wasm32-wasip2 in one nested
//!   cargo invocation, adding the wasm target first when rustup can;
//! - precompiles the default plugins with the server's own code-generation settings
//!   (`src/plugins/engine_config.rs`) and embeds both forms (`BUILTIN_PLUGINS`), so the first
//!   start compiles nothing; tells tests where the fixtures are (`NAS_FIXTURE_PLUGINS_DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

#[path = "src/plugins/engine_config.rs"]
mod engine_config;

/// (package, plugin file name) of the plugins shipped inside the binary.
const DEFAULTS: &[(&str, &str)] = &[
    ("nas-extractor-direct-media", "direct-media"),
    ("nas-extractor-youtube", "youtube"),
    ("nas-extractor-soundcloud", "soundcloud"),
    ("nas-extractor-bandcamp", "bandcamp"),
    ("nas-extractor-generic", "generic"),
];
/// (package, file name) of the misbehaving plugins the tests load; never embedded.
const FIXTURES: &[(&str, &str)] = &[
    ("nas-fixture-loop-forever", "loop-forever"),
    ("nas-fixture-memory-hog", "memory-hog"),
    ("nas-fixture-panicker", "panicker"),
    ("nas-fixture-http-probe", "http-probe"),
    ("nas-fixture-legacy-v0-1", "legacy-v0-1"),
    ("nas-fixture-legacy-v0-2", "legacy-v0-2"),
    ("nas-fixture-set-router", "set-router"),
];
/// What the web page is built from; a change to any of them rebuilds it.
const WEB_SOURCES: &[&str] = &[
    "src",
    "public",
    "index.html",
    "package.json",
    "package-lock.json",
    "vite.config.ts",
    "tsconfig.json",
];

fn main() {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap());
    let workspace = manifest_dir.parent().unwrap().to_path_buf();
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").unwrap());
    for watched in [
        "plugin-sdk",
        "plugins",
        "tests/fixture-plugins",
        "Cargo.lock",
    ] {
        println!(
            "cargo:rerun-if-changed={}",
            workspace.join(watched).display()
        );
    }
    println!("cargo:rerun-if-changed=src/plugins/engine_config.rs");
    println!("cargo:rerun-if-env-changed=NAS_SKIP_WEB_BUILD");

    build_web_page(&workspace.join("web"));

    let wasm_target = out_dir.join("wasm-target");
    build_plugins(&workspace, &wasm_target);
    let built = wasm_target.join("wasm32-wasip2").join("release");
    embed_default_plugins(&built, &out_dir);

    let fixtures = out_dir.join("fixture-plugins");
    std::fs::create_dir_all(&fixtures).unwrap();
    for (package, name) in FIXTURES.iter().chain(DEFAULTS) {
        std::fs::copy(
            wasm_file(&built, package),
            fixtures.join(format!("{name}.wasm")),
        )
        .unwrap();
    }
    println!(
        "cargo:rustc-env=NAS_FIXTURE_PLUGINS_DIR={}",
        fixtures.display()
    );
}

fn wasm_file(built: &Path, package: &str) -> PathBuf {
    built.join(format!("{}.wasm", package.replace('-', "_")))
}

/// Writes `builtin_plugins.rs`: each default plugin's component and its precompiled artifact.
fn embed_default_plugins(built: &Path, out_dir: &Path) {
    let memory_limit =
        engine_config::effective_memory_limit(engine_config::DEFAULT_MEMORY_LIMIT_BYTES);
    let engine = wasmtime::Engine::new(&engine_config::compilation_config(memory_limit))
        .expect("a wasmtime engine for precompiling the default plugins");
    let engine_hash = engine_config::engine_hash(&engine);
    let mut list = String::from("/// The plugins built into the binary.\n");
    list.push_str("pub(crate) const BUILTIN_PLUGINS: &[BuiltinPlugin] = &[\n");
    for (package, name) in DEFAULTS {
        let wasm = wasm_file(built, package);
        let bytes = std::fs::read(&wasm).unwrap();
        let artifact = engine
            .precompile_component(&bytes)
            .unwrap_or_else(|e| panic!("precompiling {name}: {e:#}"));
        let cwasm = out_dir.join(format!("{name}.cwasm"));
        std::fs::write(&cwasm, artifact).unwrap();
        let sha256 = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&bytes));
        list.push_str(&format!(
            "    BuiltinPlugin {{ name: {name:?}, wasm: include_bytes!({:?}), sha256: {sha256:?}, artifact: include_bytes!({:?}), engine_hash: {engine_hash:?} }},\n",
            wasm.display().to_string(),
            cwasm.display().to_string()
        ));
    }
    list.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), list).unwrap();
}

/// `npm ci` (when node_modules is missing or older than the lock file) and `npm run build`
/// (when dist is missing or older than its sources). Never fails the build: without npm, or
/// when npm fails, it warns and the binary serves whatever `web/dist` holds (maybe nothing).
fn build_web_page(web: &Path) {
    for source in WEB_SOURCES {
        println!("cargo:rerun-if-changed={}", web.join(source).display());
    }
    println!("cargo:rerun-if-changed={}", web.join("dist").display());
    let built = newest_mtime(&web.join("dist/index.html"));
    let sources = WEB_SOURCES
        .iter()
        .filter_map(|s| newest_mtime(&web.join(s)))
        .max();
    let fresh = matches!((built, sources), (Some(b), Some(s)) if b >= s);
    if fresh || std::env::var_os("NAS_SKIP_WEB_BUILD").is_some() {
        return;
    }
    let npm_works = Command::new("npm")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !npm_works {
        println!(
            "cargo:warning=npm not found: the web page (web/dist) is {}; the binary serves the API only until it is built (install Node 20 + npm and build again)",
            if built.is_some() {
                "out of date"
            } else {
                "not built"
            }
        );
        return;
    }
    let lock = newest_mtime(&web.join("package-lock.json"));
    let installed = newest_mtime(&web.join("node_modules/.package-lock.json"));
    let mut steps: Vec<&[&str]> = Vec::new();
    if installed.is_none() || installed < lock {
        steps.push(&["ci", "--no-audit", "--no-fund", "--loglevel=error"]);
    }
    steps.push(&["run", "build"]);
    for args in steps {
        let ok = Command::new("npm")
            .args(args)
            .current_dir(web)
            .env_remove("NODE_ENV")
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            println!(
                "cargo:warning=`npm {}` failed in web/: the binary embeds whatever web/dist holds",
                args.join(" ")
            );
            return;
        }
    }
}

/// The newest modification time of a file, or of any file below a folder.
fn newest_mtime(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(|entry| newest_mtime(&entry.ok()?.path()))
        .max()
}

/// `$CARGO build --release --target wasm32-wasip2 -p …` with the outer build's settings
/// (target dir, rustflags, wrappers such as clippy-driver) removed from the environment.
fn build_plugins(workspace: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    add_wasm_target(workspace);
    let mut command = Command::new(cargo);
    command
        .current_dir(workspace)
        .args([
            "build",
            "--release",
            "--target",
            "wasm32-wasip2",
            "--target-dir",
        ])
        .arg(target_dir);
    for (package, _) in DEFAULTS.iter().chain(FIXTURES) {
        command.args(["-p", package]);
    }
    strip_outer_cargo_environment(&mut command);
    let status = command
        .status()
        .expect("running cargo to build the wasm plugins");
    assert!(
        status.success(),
        "building the plugins for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
    );
}

/// rustup reads `rust-toolchain.toml` but (since 1.28) does not add its targets to a
/// toolchain that is already installed, so a fresh machine lacks wasm32-wasip2. Adding it is
/// idempotent and quick when it is there; without rustup the nested build says what is wrong.
fn add_wasm_target(workspace: &Path) {
    let mut command = Command::new("rustup");
    command
        .current_dir(workspace)
        .args(["target", "add", "wasm32-wasip2"]);
    strip_outer_cargo_environment(&mut command);
    match command.output() {
        Ok(out) if out.status.success() => {}
        Ok(out) => println!(
            "cargo:warning=`rustup target add wasm32-wasip2` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ),
        Err(_) => println!(
            "cargo:warning=rustup not found: the wasm32-wasip2 target must already be installed"
        ),
    }
}

fn strip_outer_cargo_environment(command: &mut Command) {
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        let outer = (key.starts_with("CARGO") && key != "CARGO_HOME")
            || key.starts_with("RUSTC")
            || key.starts_with("RUSTDOC")
            || key == "RUSTFLAGS"
            || [
                "TARGET",
                "HOST",
                "OUT_DIR",
                "PROFILE",
                "OPT_LEVEL",
                "DEBUG",
                "NUM_JOBS",
            ]
            .contains(&key.as_str());
        if outer {
            command.env_remove(&key);
        }
    }
}
