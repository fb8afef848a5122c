//! Where jobs keep their partial files: one folder per job under `.incomplete` in the output
//! directory (hidden, and on the same filesystem so the final move is a rename), and what
//! recovery needs to find and remove folders of crashed attempts (SEC-30).

use super::model::ExecutorConfig;
use std::path::{Path, PathBuf};

/// The folder holding every job's temp folder. Hidden, and inside the output directory so
/// the final move is a rename on the same filesystem.
pub fn temp_root(output_directory: &Path) -> PathBuf {
    output_directory.join(".incomplete")
}

/// The temp folder of one job.
pub fn job_temp_dir(output_directory: &Path, job_id: uuid::Uuid) -> PathBuf {
    temp_root(output_directory).join(job_id.to_string())
}

/// Removes a job's temp folder (crash recovery, SEC-30). A missing folder is fine.
pub async fn remove_job_temp(config: &ExecutorConfig, job_id: uuid::Uuid) -> std::io::Result<()> {
    match tokio::fs::remove_dir_all(job_temp_dir(&config.output_directory, job_id)).await {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// The job ids that have a temp folder, for recovery: a folder whose job is not running
/// belongs to a crashed attempt and can go (SEC-30). Names that are not job ids are skipped.
pub async fn list_job_temps(output_directory: &Path) -> std::io::Result<Vec<uuid::Uuid>> {
    let mut ids = Vec::new();
    let mut entries = match tokio::fs::read_dir(temp_root(output_directory)).await {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(ids),
        Err(e) => return Err(e),
    };
    while let Some(entry) = entries.next_entry().await? {
        if let Some(id) = entry
            .file_name()
            .to_str()
            .and_then(|n| uuid::Uuid::parse_str(n).ok())
        {
            ids.push(id);
        }
    }
    Ok(ids)
}
