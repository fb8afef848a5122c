//! Download jobs. The executor half (this folder's `executor`, `ytdlp*`, `direct`,
//! `convert`, `progress`, `output_path`, `tags`, `errors`, `process`) turns "fetch this URL"
//! into a finished, tagged, safely named file; the queue, workers, recovery and events sit
//! on top of `execute`.

pub mod album_layout;
pub mod album_tags;
pub mod beneath;
pub mod convert;
pub mod cover_art;
pub mod cover_fetch;
pub mod direct;
pub mod errors;
pub mod events;
pub mod executor;
pub mod limits;
pub mod model;
pub mod output_path;
pub mod playlist_m3u;
pub mod process;
pub mod progress;
pub use nas_music_checks::set_listing;
pub mod tags;
pub mod temp_dirs;
#[cfg(test)]
pub(crate) mod test_input;
#[cfg(test)]
pub(crate) mod test_media;
pub mod tools;
pub mod track_tagging;
pub mod worker;
pub mod ytdlp;
pub mod ytdlp_args;
pub mod ytdlp_listing;
pub mod ytdlp_selection;

pub use album_layout::DEFAULT_ALBUM_OUTPUT_TEMPLATE;
pub use executor::execute;
pub use model::{
    AlbumTrackHint, AudioFormat, DEFAULT_OUTPUT_TEMPLATE, ErrorClass, ExecutionError,
    ExecutionRequest, ExecutorConfig, FetchAction, Finished, Phase, Progress, TrackMetadataHint,
};
pub use temp_dirs::{create_job_temp_dir, list_job_temps, remove_job_temp, temp_root};
pub use tools::{ToolReport, ToolStatus, probe_tools};
pub use ytdlp_selection::{ActiveYtdlp, YtdlpSelection};
