//! Builds the extractor plugins (defaults and test fixtures) for wasm32-wasip2 in one nested
//! cargo invocation, embeds the defaults in the binary (`BUILTIN_PLUGINS`) and tells tests
//! where the fixtures are (`NAS_FIXTURE_PLUGINS_DIR`).

use std::path::{Path, PathBuf};
use std::process::Command;

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

    let wasm_target = out_dir.join("wasm-target");
    build_plugins(&workspace, &wasm_target);
    let built = wasm_target.join("wasm32-wasip2").join("release");

    let mut list =
        String::from("/// (name, component bytes) of the plugins built into the binary.\n");
    list.push_str("pub(crate) const BUILTIN_PLUGINS: &[(&str, &[u8])] = &[\n");
    for (package, name) in DEFAULTS {
        let file = built.join(format!("{}.wasm", package.replace('-', "_")));
        list.push_str(&format!(
            "    ({name:?}, include_bytes!({:?})),\n",
            file.display().to_string()
        ));
    }
    list.push_str("];\n");
    std::fs::write(out_dir.join("builtin_plugins.rs"), list).unwrap();

    let fixtures = out_dir.join("fixture-plugins");
    std::fs::create_dir_all(&fixtures).unwrap();
    for (package, name) in FIXTURES.iter().chain(DEFAULTS) {
        let from = built.join(format!("{}.wasm", package.replace('-', "_")));
        std::fs::copy(&from, fixtures.join(format!("{name}.wasm"))).unwrap();
    }
    println!(
        "cargo:rustc-env=NAS_FIXTURE_PLUGINS_DIR={}",
        fixtures.display()
    );
}

/// `$CARGO build --release --target wasm32-wasip2 -p …` with the outer build's settings
/// (target dir, rustflags, wrappers such as clippy-driver) removed from the environment.
fn build_plugins(workspace: &Path, target_dir: &Path) {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
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
    let status = command
        .status()
        .expect("running cargo to build the wasm plugins");
    assert!(
        status.success(),
        "building the plugins for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
    );
}
