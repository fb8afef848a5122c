//! Child processes in their own process group (SEC-1, SEC-7): argv only, stdin null, a
//! clean environment, and a stop that reaches the whole group — yt-dlp's ffmpeg children
//! included — with SIGINT first, SIGKILL after a grace period.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::process::{Child, Command};

/// Builds a command that runs `program` with `args` in a new process group, no stdin, piped
/// stdout/stderr and only the environment variables it needs. `kill_on_drop` is a last line
/// of defence; `GroupGuard` is the real one.
pub fn group_command<I, S>(program: &Path, args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut cmd = Command::new(program);
    cmd.args(args)
        .env_clear()
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    // A proxy or Python path in the server's environment must not steer the child.
    for key in ["PATH", "HOME", "TMPDIR"] {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.env("LC_ALL", "C.UTF-8")
        .env("PYTHONIOENCODING", "utf-8")
        // Progress lines must arrive as they are printed, not when a pipe buffer fills.
        .env("PYTHONUNBUFFERED", "1")
        .env("PYTHONNOUSERSITE", "1")
        .env("PYTHONDONTWRITEBYTECODE", "1");
    cmd
}

/// Owns a spawned child's process group: on drop (a job future aborted mid-way) the whole
/// group is killed, so no ffmpeg is left behind.
pub struct GroupGuard {
    pgid: Option<Pid>,
}

impl GroupGuard {
    pub fn new(child: &Child) -> Self {
        let pgid = child
            .id()
            .and_then(|id| i32::try_from(id).ok())
            .map(Pid::from_raw);
        GroupGuard { pgid }
    }

    /// The process group id (equal to the leader's pid).
    pub fn pgid(&self) -> Option<i32> {
        self.pgid.map(Pid::as_raw)
    }

    pub fn signal(&self, signal: Signal) {
        if let Some(pgid) = self.pgid {
            // ESRCH means the group is already empty: nothing to stop.
            let _ = killpg(pgid, signal);
        }
    }

    /// Stops the group: SIGINT (yt-dlp and ffmpeg clean up on it), then SIGKILL to the whole
    /// group if the leader has not exited within `grace`, and SIGKILL again afterwards for
    /// any member that outlived the leader.
    pub async fn stop(&mut self, child: &mut Child, grace: Duration) -> Option<ExitStatus> {
        self.signal(Signal::SIGINT);
        let status = match tokio::time::timeout(grace, child.wait()).await {
            Ok(status) => status.ok(),
            Err(_) => {
                self.signal(Signal::SIGKILL);
                child.wait().await.ok()
            }
        };
        self.finish();
        status
    }

    /// Called once the leader has been reaped: kills stragglers in the group. The group id
    /// cannot be reused while any member lives, and the kernel hands out pids sequentially,
    /// so this cannot hit an unrelated process in practice.
    pub fn finish(&mut self) {
        self.signal(Signal::SIGKILL);
        self.pgid = None;
    }
}

impl Drop for GroupGuard {
    fn drop(&mut self) {
        self.signal(Signal::SIGKILL);
    }
}

/// Resolves a bare program name ("ffmpeg") on `PATH`, as yt-dlp's `--ffmpeg-location` wants
/// a real path. Paths with a separator are returned as they are.
pub fn resolve_program(program: &Path) -> Option<PathBuf> {
    if program.components().count() > 1 || program.is_absolute() {
        return program.is_file().then(|| program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Runs `program args` to completion (for version probes), at most `timeout`, returning
/// stdout if it exited 0.
pub async fn capture_output(program: &Path, args: &[&str], timeout: Duration) -> Option<String> {
    let out = run_to_completion(program, args, timeout).await?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs `program args` in its own process group to completion, at most `timeout` (then the
/// group is killed), and returns what it printed; `None` if it could not start or timed out.
pub async fn run_to_completion<S: AsRef<OsStr>>(
    program: &Path,
    args: &[S],
    timeout: Duration,
) -> Option<std::process::Output> {
    let child = group_command(program, args).spawn().ok()?;
    let mut guard = GroupGuard::new(&child);
    let out = tokio::time::timeout(timeout, child.wait_with_output())
        .await
        .ok()?
        .ok()?;
    guard.finish();
    Some(out)
}

/// How a supervised child ended.
#[derive(Debug)]
pub enum RunOutcome {
    /// The child exited by itself; `stderr_tail` is for the log and for classification only.
    Exited {
        status: ExitStatus,
        stderr_tail: String,
    },
    /// The token fired; the group was stopped and reaped.
    Cancelled,
}

/// The most stderr kept per child, from the end (error messages come last).
const STDERR_TAIL_BYTES: usize = 32 * 1024;

/// Spawns `cmd` (built with `group_command`) and feeds each stdout line to `on_line` until
/// the child exits or `cancel` fires. Lines longer than `max_line` are dropped. The child is
/// always reaped and its group emptied before this returns.
pub async fn run_supervised(
    mut cmd: Command,
    grace: Duration,
    cancel: &tokio_util::sync::CancellationToken,
    max_line: usize,
    mut on_line: impl FnMut(&str),
) -> std::io::Result<RunOutcome> {
    use tokio::io::AsyncReadExt;

    if cancel.is_cancelled() {
        return Ok(RunOutcome::Cancelled);
    }
    let mut child = cmd.spawn()?;
    let mut guard = GroupGuard::new(&child);
    let stdout = child
        .stdout
        .take()
        .expect("stdout is piped by group_command");
    let mut stderr = child
        .stderr
        .take()
        .expect("stderr is piped by group_command");
    let stderr_task = tokio::spawn(async move {
        let mut tail: Vec<u8> = Vec::new();
        let mut chunk = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut chunk).await {
            if n == 0 {
                break;
            }
            tail.extend_from_slice(&chunk[..n]);
            if tail.len() > 2 * STDERR_TAIL_BYTES {
                tail.drain(..tail.len() - STDERR_TAIL_BYTES);
            }
        }
        String::from_utf8_lossy(&tail).into_owned()
    });

    let mut reader = tokio::io::BufReader::new(stdout);
    let mut line = Vec::new();
    let mut stdout_open = true;
    let status = loop {
        tokio::select! {
            biased;
            _ = cancel.cancelled() => {
                guard.stop(&mut child, grace).await;
                stderr_task.abort();
                return Ok(RunOutcome::Cancelled);
            }
            next = read_line_capped(&mut reader, &mut line, max_line), if stdout_open => {
                match next {
                    Ok(Some(text)) => on_line(&text),
                    Ok(None) | Err(_) => stdout_open = false,
                }
            }
            status = child.wait() => break status?,
        }
    };
    // The leader is gone; stragglers may still hold the pipe open, so the rest of its
    // output is read with a deadline before the group is emptied.
    let drain = async {
        while stdout_open {
            match read_line_capped(&mut reader, &mut line, max_line).await {
                Ok(Some(text)) => on_line(&text),
                Ok(None) | Err(_) => stdout_open = false,
            }
        }
    };
    let _ = tokio::time::timeout(Duration::from_secs(5), drain).await;
    guard.finish();
    let stderr_tail = stderr_task.await.unwrap_or_default();
    Ok(RunOutcome::Exited {
        status,
        stderr_tail,
    })
}

/// Reads one line, keeping at most `max` bytes of it (the rest is skipped). Returns
/// `Ok(None)` at end of input. Cancel-safe: a partial line stays in `buf`.
async fn read_line_capped<R: tokio::io::AsyncBufRead + Unpin>(
    reader: &mut R,
    buf: &mut Vec<u8>,
    max: usize,
) -> std::io::Result<Option<String>> {
    use tokio::io::AsyncBufReadExt;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            if buf.is_empty() {
                return Ok(None);
            }
            let text = String::from_utf8_lossy(buf).into_owned();
            buf.clear();
            return Ok(Some(text));
        }
        let (used, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        let room = (max + 1).saturating_sub(buf.len());
        buf.extend_from_slice(&available[..used.min(room)]);
        reader.consume(used);
        if done {
            let too_long = buf.len() > max;
            let text = (!too_long).then(|| String::from_utf8_lossy(buf).trim_end().to_owned());
            buf.clear();
            // An over-long line is reported as empty so the caller's parser ignores it.
            return Ok(Some(text.unwrap_or_default()));
        }
    }
}
