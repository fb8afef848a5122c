//! What the server keeps in DATA_DIRECTORY about itself, created on first start: the
//! signing key when SECRET_KEY is not set (SEC-18) and the instance id (SEC-30). Loaded by
//! `run`, after the configuration was read and validated.

use super::{Config, ConfigError, SecretKey};
use std::path::Path;

/// The file, inside DATA_DIRECTORY, that keeps a generated signing key across restarts.
pub const GENERATED_KEY_FILE: &str = "secret_key";

/// The server's signing key and instance id, as given or as kept in DATA_DIRECTORY.
#[derive(Debug, Clone)]
pub struct Identity {
    pub secret_key: SecretKey,
    pub instance_id: String,
}

impl Identity {
    /// Uses SECRET_KEY and INSTANCE_ID when set; otherwise reads (or creates) the files.
    pub fn load(config: &Config) -> Result<Self, ConfigError> {
        let secret_key = match &config.secret_key {
            Some(key) => key.clone(),
            None => load_or_generate_key(&config.data_directory)?,
        };
        let instance_id = match &config.instance_id {
            Some(id) => id.clone(),
            None => load_or_create_instance_id(&config.data_directory)?,
        };
        Ok(Self {
            secret_key,
            instance_id,
        })
    }
}

/// A stable id for this server, kept in DATA_DIRECTORY, so that after a crash it recognises
/// the jobs it was running (SEC-30).
fn load_or_create_instance_id(data_directory: &Path) -> Result<String, ConfigError> {
    let path = data_directory.join("instance_id");
    if let Ok(id) = std::fs::read_to_string(&path) {
        let id = id.trim();
        if !id.is_empty() && id.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(id.to_owned());
        }
    }
    let fail = |e: std::io::Error| {
        ConfigError::invalid(
            "DATA_DIRECTORY",
            format!("cannot write {}: {e}", path.display()),
        )
    };
    std::fs::create_dir_all(data_directory).map_err(fail)?;
    let id = hex::encode(rand::random::<[u8; 8]>());
    std::fs::write(&path, &id).map_err(fail)?;
    Ok(id)
}

/// Reads the generated key from DATA_DIRECTORY, creating it (32 random bytes, hex, mode 0600)
/// on first start so restarts keep sessions valid and no shared default ever exists.
fn load_or_generate_key(data_directory: &Path) -> Result<SecretKey, ConfigError> {
    use std::io::Write;
    let path = data_directory.join(GENERATED_KEY_FILE);
    let fail = |e: std::io::Error| {
        ConfigError::invalid(
            "SECRET_KEY",
            format!(
                "not set, and the generated key at {} cannot be used: {e}",
                path.display()
            ),
        )
    };
    if let Ok(existing) = std::fs::read_to_string(&path) {
        return SecretKey::new(existing.trim().as_bytes().to_vec());
    }
    std::fs::create_dir_all(data_directory).map_err(fail)?;
    let mut bytes = [0u8; 32];
    rand::fill(&mut bytes);
    let encoded = hex::encode(bytes);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => file.write_all(encoded.as_bytes()).map_err(fail)?,
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let existing = std::fs::read_to_string(&path).map_err(fail)?;
            return SecretKey::new(existing.trim().as_bytes().to_vec());
        }
        Err(e) => return Err(fail(e)),
    }
    SecretKey::new(encoded.into_bytes())
}
