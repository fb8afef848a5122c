//! Managed tools: yt-dlp kept current without a restart. New yt-dlp versions are installed
//! into environments in the data volume (`environments`), smoke-tested against a local
//! feed and audio file through the server's own argv and egress proxy (`smoke`,
//! `fixture_server`), and switched to only when they pass (`manager`); the previous one
//! stays for a rollback. `package_index` reads the newest release.

pub mod auto_update;
pub mod environments;
pub mod fixture_server;
pub mod manager;
pub mod model;
pub mod package_index;
pub mod smoke;

pub use environments::{EnvRecord, EnvState, Environments};
pub use manager::{LastUpdate, YtdlpManager};
pub use model::{Channel, Refusal, ToolsError, UpdateOutcome, UpdateRequest, UpdateStep};
