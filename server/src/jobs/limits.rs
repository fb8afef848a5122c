//! Watching a running job against its bounds (SEC-41): its wall-clock time, what it has
//! written into its temp folder, and the free space left on the output volume. yt-dlp's own
//! `--max-filesize` only acts when a server announces a length; an endless stream announces
//! none, so the host measures the folder itself.

use crate::domain::{JobLimits, LimitBreach};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often a running job's folder and volume are measured.
const CHECK_EVERY: Duration = Duration::from_millis(500);

/// Bytes available to this process on the volume holding `path`.
pub fn free_bytes(path: &Path) -> Option<u64> {
    let stat = nix::sys::statvfs::statvfs(path).ok()?;
    Some((stat.blocks_available() as u64).saturating_mul(stat.fragment_size() as u64))
}

/// Whether the output volume has room for another job (unknown counts as room: a volume
/// that cannot be measured is reported by the preflight, not silently idled).
pub fn volume_has_room(output_directory: &Path, limits: &JobLimits) -> bool {
    limits.min_free_bytes == 0
        || free_bytes(output_directory).is_none_or(|free| free >= limits.min_free_bytes)
}

/// The bytes of every regular file under `dir`; symlinks are not followed.
fn folder_bytes(dir: &Path) -> u64 {
    let mut total = 0u64;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let Ok(meta) = entry.path().symlink_metadata() else {
                continue;
            };
            if meta.is_dir() {
                pending.push(entry.path());
            } else if meta.is_file() {
                total = total.saturating_add(meta.len());
            }
        }
    }
    total
}

/// Resolves with the first bound the job crosses; never resolves while it stays inside
/// them. The caller stops the job when it does.
pub async fn first_breach(limits: JobLimits, temp_dir: PathBuf, volume: PathBuf) -> LimitBreach {
    let deadline = tokio::time::Instant::now() + limits.time_limit;
    let mut tick = tokio::time::interval(CHECK_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return LimitBreach::TooLong(limits.time_limit),
            _ = tick.tick() => {}
        }
        let (dir, vol) = (temp_dir.clone(), volume.clone());
        let Ok((used, free)) =
            tokio::task::spawn_blocking(move || (folder_bytes(&dir), free_bytes(&vol))).await
        else {
            continue;
        };
        if used > limits.max_file_bytes {
            return LimitBreach::TooLarge(limits.max_file_bytes);
        }
        if free.is_some_and(|free| free < limits.min_free_bytes) {
            return LimitBreach::DiskFull(limits.min_free_bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> JobLimits {
        JobLimits {
            min_free_bytes: 0,
            ..JobLimits::default()
        }
    }

    #[tokio::test]
    async fn a_job_past_its_time_limit_is_a_breach_sec_41() {
        let dir = tempfile::tempdir().unwrap();
        let limits = JobLimits {
            time_limit: Duration::from_millis(300),
            ..limits()
        };
        let started = std::time::Instant::now();
        let breach = first_breach(limits, dir.path().into(), dir.path().into()).await;
        assert_eq!(breach, LimitBreach::TooLong(Duration::from_millis(300)));
        assert!(started.elapsed() < Duration::from_secs(2));
    }

    #[tokio::test]
    async fn a_folder_past_the_size_limit_is_a_breach_and_symlinks_do_not_count_sec_41() {
        let dir = tempfile::tempdir().unwrap();
        let big = tempfile::tempdir().unwrap();
        std::fs::write(big.path().join("large"), vec![0u8; 4096]).unwrap();
        std::os::unix::fs::symlink(big.path().join("large"), dir.path().join("link")).unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        std::fs::write(dir.path().join("sub/a.part"), vec![0u8; 1000]).unwrap();
        assert_eq!(folder_bytes(dir.path()), 1000);
        let limits = JobLimits {
            max_file_bytes: 999,
            ..limits()
        };
        let breach = first_breach(limits, dir.path().into(), dir.path().into()).await;
        assert_eq!(breach, LimitBreach::TooLarge(999));
    }

    #[tokio::test]
    async fn a_volume_below_the_floor_is_a_breach_and_stops_claiming_sec_41() {
        let dir = tempfile::tempdir().unwrap();
        let limits = JobLimits {
            min_free_bytes: u64::MAX,
            ..JobLimits::default()
        };
        assert!(!volume_has_room(dir.path(), &limits));
        assert!(volume_has_room(dir.path(), &JobLimits::default()));
        let breach = first_breach(limits, dir.path().into(), dir.path().into()).await;
        assert_eq!(breach, LimitBreach::DiskFull(u64::MAX));
    }
}
