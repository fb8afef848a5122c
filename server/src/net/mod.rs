//! Outbound network safety: which addresses the server will connect to on a user's behalf
//! (`AddressPolicy`), which URLs it will fetch, an HTTP client that enforces both on every
//! connection and redirect hop, and the loopback egress proxy that does the same for every
//! request yt-dlp and its ffmpeg make (SEC-4, SEC-40).

pub use nas_music_checks::address_policy;
pub mod egress_proxy;
pub mod guarded_client;
pub mod url_policy;

pub use address_policy::AddressPolicy;
pub use guarded_client::guarded_client_builder;
pub use url_policy::{UrlRejection, check_url_syntax, ip_is_public};
