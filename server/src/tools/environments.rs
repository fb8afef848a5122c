//! The managed yt-dlp environments in the data volume: `DATA_DIRECTORY/tools/yt-dlp/<id>/`,
//! each a Python venv holding one yt-dlp (and yt-dlp-ejs), and `state.json`, which says
//! which one is active and which one came before it. The tool folder's yt-dlp
//! (`TOOLS_DIRECTORY`) is the environment without an id. ffmpeg, ffprobe and Deno always
//! come from the tool folder.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::model::{Channel, Refusal, UpdateRequest, UpdateStep};
use crate::config::YtdlpUpdateSettings;

/// How long making an environment and pip's install may take together.
const INSTALL_TIMEOUT: Duration = Duration::from_secs(10 * 60);
const STATE_FILE: &str = "state.json";

/// One yt-dlp the server can run: a managed environment (`id`) or the tool folder's (`None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvRecord {
    pub id: Option<String>,
    pub version: Option<String>,
}

/// Which environment runs new jobs, and which one a rollback returns to. `active: None`:
/// the tool folder's yt-dlp.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvState {
    pub active: Option<EnvRecord>,
    pub previous: Option<EnvRecord>,
}

/// The environments' folder and how new ones are made.
#[derive(Debug, Clone)]
pub struct Environments {
    root: PathBuf,
    bundled: PathBuf,
    python: PathBuf,
    source: YtdlpUpdateSettings,
}

impl Environments {
    pub fn new(
        data_directory: &Path,
        bundled_ytdlp: PathBuf,
        python: PathBuf,
        source: YtdlpUpdateSettings,
    ) -> Self {
        Self {
            root: data_directory.join("tools").join("yt-dlp"),
            bundled: bundled_ytdlp,
            python,
            source,
        }
    }

    /// The folder the environments (and the smoke test's scratch files) live in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The yt-dlp program of an environment.
    pub fn program(&self, env: &EnvRecord) -> PathBuf {
        match &env.id {
            Some(id) => self.root.join(id).join("bin").join("yt-dlp"),
            None => self.bundled.clone(),
        }
    }

    /// The recorded state; a missing or unreadable file means "the tool folder's yt-dlp".
    pub async fn load_state(&self) -> EnvState {
        match tokio::fs::read(self.root.join(STATE_FILE)).await {
            Ok(bytes) => serde_json::from_slice(&bytes).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "managed yt-dlp state unreadable; using the tool folder's yt-dlp");
                EnvState::default()
            }),
            Err(_) => EnvState::default(),
        }
    }

    /// Writes the state atomically (a temp file renamed over the old one).
    pub async fn save_state(&self, state: &EnvState) -> std::io::Result<()> {
        tokio::fs::create_dir_all(&self.root).await?;
        let partial = self.root.join(format!("{STATE_FILE}.partial"));
        let bytes = serde_json::to_vec_pretty(state).map_err(std::io::Error::other)?;
        tokio::fs::write(&partial, bytes).await?;
        tokio::fs::rename(&partial, self.root.join(STATE_FILE)).await
    }

    /// A fresh id: the time and a random suffix, so ids sort by age and never collide.
    pub fn new_id() -> String {
        let suffix: [u8; 3] = rand::random();
        format!(
            "{}-{}",
            chrono::Utc::now().format("%Y%m%dT%H%M%S"),
            hex::encode(suffix)
        )
    }

    /// Makes environment `id` and installs the requested yt-dlp into it. Does not switch.
    pub async fn create(&self, id: &str, request: &UpdateRequest) -> Result<EnvRecord, Refusal> {
        let dir = self.root.join(id);
        tokio::fs::create_dir_all(&self.root)
            .await
            .map_err(|_| Refusal::new(UpdateStep::Install, "could not create the tools folder"))?;
        let install = async {
            // No pip inside: the tool folder's pip installs into it (`pip --python`), which
            // keeps each environment small and its creation fast.
            let venv = [
                "-m".into(),
                "venv".into(),
                "--without-pip".into(),
                dir.clone().into_os_string(),
            ];
            let made = run_quiet(&self.python, &venv).await;
            if !made.as_ref().is_some_and(|o| o.status.success()) {
                return Err(Refusal::new(
                    UpdateStep::Install,
                    "could not create a Python environment (python3 -m venv)",
                ));
            }
            let out = run_quiet(&self.python, &self.pip_args(&dir, request))
                .await
                .ok_or_else(|| Refusal::new(UpdateStep::Install, "pip did not start"))?;
            if out.status.success() {
                Ok(())
            } else {
                Err(Refusal::new(
                    UpdateStep::Install,
                    pip_reason(&String::from_utf8_lossy(&out.stderr), &self.root),
                ))
            }
        };
        let result = tokio::time::timeout(INSTALL_TIMEOUT, install)
            .await
            .unwrap_or_else(|_| Err(Refusal::new(UpdateStep::Install, "pip took too long")));
        match result {
            Ok(()) => Ok(EnvRecord {
                id: Some(id.to_owned()),
                version: None,
            }),
            Err(refusal) => {
                self.remove(id).await;
                Err(refusal)
            }
        }
    }

    /// pip's arguments: the source (index or wheel folder), the channel, the packages.
    fn pip_args(&self, dir: &Path, request: &UpdateRequest) -> Vec<std::ffi::OsString> {
        let mut args: Vec<std::ffi::OsString> = vec!["-m".into(), "pip".into(), "--python".into()];
        args.push(dir.join("bin").join("python").into_os_string());
        // `--isolated`: no pip.conf or PIP_* variables choose another source.
        for a in [
            "install",
            "--isolated",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--no-cache-dir",
        ] {
            args.push(a.into());
        }
        match &self.source.wheel_directory {
            Some(folder) => {
                args.extend(["--no-index".into(), "--find-links".into()]);
                args.push(folder.clone().into_os_string());
            }
            None => {
                args.push("--index-url".into());
                args.push(format!("{}/simple", self.source.index_url).into());
            }
        }
        if request.channel == Channel::Nightly {
            args.push("--pre".into());
        }
        // `check_version` keeps the version a plain PEP 440 string.
        args.push(match &request.version {
            Some(v) => format!("yt-dlp=={v}").into(),
            None => "yt-dlp".into(),
        });
        args.push("yt-dlp-ejs".into());
        args
    }

    /// Deletes environment `id` (a failed candidate, or one two switches old).
    pub async fn remove(&self, id: &str) {
        let dir = self.root.join(id);
        if let Err(e) = tokio::fs::remove_dir_all(&dir).await
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(error = %e, dir = %dir.display(), "could not remove a yt-dlp environment");
        }
    }
}

/// Runs a setup command with stdin closed and its output captured (never a shell).
async fn run_quiet(program: &Path, args: &[std::ffi::OsString]) -> Option<std::process::Output> {
    tokio::process::Command::new(program)
        .args(args)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output()
        .await
        .ok()
}

/// pip's last `ERROR:` line, shortened and without the data folder's path, else a generic
/// message.
fn pip_reason(stderr: &str, root: &Path) -> String {
    let root = root.to_string_lossy();
    stderr
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("ERROR:"))
        .map(|l| {
            let l = l.trim().replace(root.as_ref(), "…");
            l.chars().take(200).collect()
        })
        .unwrap_or_else(|| "pip could not install yt-dlp".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pip_reason_is_one_short_line_without_paths() {
        let root = Path::new("/data/tools/yt-dlp");
        let stderr = "noise\nERROR: Could not find a version that satisfies the requirement yt-dlp==9 (from versions: none)\nERROR: No matching distribution found for yt-dlp==9 in /data/tools/yt-dlp/x\n";
        assert_eq!(
            pip_reason(stderr, root),
            "No matching distribution found for yt-dlp==9 in …/x"
        );
        assert_eq!(pip_reason("", root), "pip could not install yt-dlp");
    }
}
