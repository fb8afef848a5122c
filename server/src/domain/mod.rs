//! The downloads domain's vocabulary: the states a download moves through and the rules
//! between them, the audio formats, live progress, and the events other parts listen to.
//!
//! These types are the system's own. The database stores them (each is a `TEXT` column with
//! a `CHECK` listing the same names), the API shows them (`poem_openapi::Enum`, so the
//! OpenAPI document and the web page's generated types carry the exact set), and nothing
//! else spells them as strings.

mod event;
mod format;
mod handoff;
mod limits;
mod queue;
mod set_kind;
mod status;
pub use nas_music_checks::ytdlp_options;

pub use event::{DownloadChange, DownloadEvent};
pub use format::AudioFormat;
pub use handoff::{DeliveryStatus, MediaServerKind, WebhookEvent};
pub use limits::{JobLimits, LimitBreach};
pub use nas_music_checks::progress::{Phase, Progress};
pub use queue::JobQueue;
pub use set_kind::SetKind;
pub use status::{DownloadStatus, UserRequest};
