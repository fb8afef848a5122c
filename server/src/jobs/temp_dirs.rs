//! Where jobs keep their partial files: one folder per attempt under `.incomplete` in the
//! output directory (hidden, and on the same filesystem so the final move is a rename), and
//! what recovery needs to find and remove folders of crashed attempts (SEC-30).
//!
//! The output folder is often a share others can write to, so (SEC-43) `.incomplete` is a
//! real folder owned by the server with mode 0700, and each attempt's folder is named
//! `<job uuid>.<128 random bits>` with mode 0700: nobody else can enter it or guess its
//! name to plant a symlink where yt-dlp, ffmpeg or the native fetch will write.

use super::model::ExecutorConfig;
use std::io;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// The folder holding every job's temp folder.
pub fn temp_root(output_directory: &Path) -> PathBuf {
    output_directory.join(".incomplete")
}

/// Makes sure `.incomplete` is a folder of this process's user, not a symlink, with mode
/// 0700 (an older one with looser permissions is tightened).
fn private_temp_root(output_directory: &Path) -> io::Result<PathBuf> {
    std::fs::create_dir_all(output_directory)?;
    let root = temp_root(output_directory);
    match std::fs::DirBuilder::new().mode(0o700).create(&root) {
        Err(e) if e.kind() != io::ErrorKind::AlreadyExists => return Err(e),
        _ => {}
    }
    let meta = std::fs::symlink_metadata(&root)?;
    if !meta.file_type().is_dir() || meta.uid() != nix::unistd::geteuid().as_raw() {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!(
                "{} must be a folder owned by the server's user (not a symlink)",
                root.display()
            ),
        ));
    }
    if meta.permissions().mode() & 0o777 != 0o700 {
        std::fs::set_permissions(&root, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(root)
}

/// Creates a fresh private folder for one attempt of a job, after removing any left by an
/// earlier attempt of the same job.
pub fn create_job_temp_dir(output_directory: &Path, job_id: uuid::Uuid) -> io::Result<PathBuf> {
    let root = private_temp_root(output_directory)?;
    remove_folders_of(&root, job_id)?;
    let secret: [u8; 16] = rand::random();
    let dir = root.join(format!("{job_id}.{}", hex::encode(secret)));
    std::fs::DirBuilder::new().mode(0o700).create(&dir)?;
    Ok(dir)
}

/// The job a temp folder belongs to, from its name (`<uuid>` or `<uuid>.<random>`).
fn job_of(name: &str) -> Option<uuid::Uuid> {
    uuid::Uuid::parse_str(name.split('.').next()?).ok()
}

fn remove_folders_of(root: &Path, job_id: uuid::Uuid) -> io::Result<()> {
    let entries = match std::fs::read_dir(root) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries.flatten() {
        if entry.file_name().to_str().and_then(job_of) == Some(job_id) {
            // remove_dir_all does not follow symlinks inside the folder.
            match std::fs::remove_dir_all(entry.path()) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
                _ => {}
            }
        }
    }
    Ok(())
}

/// Removes a job's temp folders (crash recovery, SEC-30). None at all is fine.
pub async fn remove_job_temp(config: &ExecutorConfig, job_id: uuid::Uuid) -> io::Result<()> {
    let root = temp_root(&config.output_directory);
    tokio::task::spawn_blocking(move || remove_folders_of(&root, job_id))
        .await
        .map_err(io::Error::other)?
}

/// The job ids that have a temp folder, for recovery: a folder whose job is not running
/// belongs to a crashed attempt and can go (SEC-30). Names that are not job ids are skipped.
pub async fn list_job_temps(output_directory: &Path) -> io::Result<Vec<uuid::Uuid>> {
    let mut ids = Vec::new();
    let mut entries = match tokio::fs::read_dir(temp_root(output_directory)).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        if let Some(id) = entry.file_name().to_str().and_then(job_of) {
            ids.push(id);
        }
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_folders_are_private_and_unguessable_sec_43() {
        let out = tempfile::tempdir().unwrap();
        let job = uuid::Uuid::from_u64_pair(0, 7);
        let first = create_job_temp_dir(out.path(), job).unwrap();
        let second = create_job_temp_dir(out.path(), job).unwrap();
        assert!(!first.exists(), "the earlier attempt's folder is gone");
        assert_ne!(first, second);
        let name = second.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with(&job.to_string()) && name.len() == 36 + 1 + 32,
            "{name}"
        );
        for dir in [temp_root(out.path()), second] {
            let mode = std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o700, "{}", dir.display());
        }
    }

    #[test]
    fn a_symlink_planted_as_the_temp_root_is_refused_sec_43() {
        let out = tempfile::tempdir().unwrap();
        let elsewhere = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(elsewhere.path(), temp_root(out.path())).unwrap();
        let err = create_job_temp_dir(out.path(), uuid::Uuid::nil()).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::PermissionDenied);
        assert!(
            std::fs::read_dir(elsewhere.path())
                .unwrap()
                .next()
                .is_none()
        );
    }

    #[test]
    fn a_loose_temp_root_is_tightened_sec_43() {
        let out = tempfile::tempdir().unwrap();
        std::fs::create_dir(temp_root(out.path())).unwrap();
        std::fs::set_permissions(
            temp_root(out.path()),
            std::fs::Permissions::from_mode(0o777),
        )
        .unwrap();
        create_job_temp_dir(out.path(), uuid::Uuid::nil()).unwrap();
        let mode = std::fs::metadata(temp_root(out.path()))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700);
    }
}
