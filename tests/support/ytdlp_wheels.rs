//! A local wheel folder for the managed yt-dlp tests, built once (no network) from the
//! tool folder's pinned yt-dlp with patched version numbers by `make_wheel.py`:
//! - `GOOD` installs and passes the smoke test;
//! - `BROKEN_VERSION` fails on start (`--version` fails);
//! - `BROKEN_DOWNLOAD` answers `--version` and lists, but exits 1 on a download;
//! - yt-dlp-ejs at its pinned version, which every candidate installs beside yt-dlp.

use std::path::Path;
use std::sync::OnceLock;

pub const GOOD: &str = "2099.1.1";
pub const BROKEN_VERSION: &str = "2099.2.2";
pub const BROKEN_DOWNLOAD: &str = "2099.3.3";

/// The folder's path (for `YTDLP_WHEEL_DIRECTORY`).
pub fn wheel_directory() -> &'static str {
    static DIR: OnceLock<String> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("ytdlp-wheels-v1");
        let done = dir.join("complete");
        if !done.exists() {
            let _ = std::fs::remove_dir_all(&dir);
            let python = crate::media_server::tools_directory()
                .join("bin")
                .join("python");
            let script =
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/support/make_wheel.py");
            for (dist, version, mode) in [
                ("yt-dlp", GOOD, "ok"),
                ("yt-dlp", BROKEN_VERSION, "broken-version"),
                ("yt-dlp", BROKEN_DOWNLOAD, "broken-download"),
                ("yt-dlp-ejs", "0.8.0", "ok"),
            ] {
                let status = std::process::Command::new(&python)
                    .arg(&script)
                    .args([
                        dir.as_os_str(),
                        dist.as_ref(),
                        version.as_ref(),
                        mode.as_ref(),
                    ])
                    .stdout(std::process::Stdio::null())
                    .status()
                    .expect("run make_wheel.py");
                assert!(
                    status.success(),
                    "make_wheel.py {dist} {version} {mode} failed"
                );
            }
            std::fs::write(&done, b"").unwrap();
        }
        dir.display().to_string()
    })
}
