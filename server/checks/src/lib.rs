//! The checks and parsers NAS Music Downloader applies to untrusted text: URLs and addresses
//! (SEC-1, SEC-2, SEC-4, SEC-40), file names (SEC-5), yt-dlp options (SEC-3) and yt-dlp's
//! output lines (SEC-35), and what plugins return (SEC-2, SEC-3, SEC-35).
//!
//! Pure functions on plain types: no I/O, no async, no server state. They live in a crate of
//! their own so that the fuzz targets in `tests/fuzz` (SEC-49) build in a minute instead of
//! recompiling the whole server with coverage instrumentation. The server re-exports each
//! module where it used to live (`net::url_policy`, `jobs::output_path`, …).

#![forbid(unsafe_code)]

pub mod address_policy;
pub mod file_names;
pub mod plugin_output;
pub mod progress;
pub mod set_listing;
pub mod url_policy;
pub mod ytdlp_line;
pub mod ytdlp_options;
