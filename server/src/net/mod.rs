//! Outbound network safety: which URLs the server will fetch, and an HTTP client that
//! enforces that on every connection and redirect hop.

pub mod guarded_client;
pub mod url_policy;

pub use guarded_client::guarded_client_builder;
pub use url_policy::{AddressPolicy, UrlRejection, check_url_syntax, ip_is_public};
