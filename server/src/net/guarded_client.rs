//! An HTTP client that cannot be steered at private addresses (SEC-4): names are resolved by
//! a resolver that refuses non-public answers (so DNS rebinding between check and connect
//! does not help), and every redirect hop is re-checked.

use super::url_policy::{AddressPolicy, check_addresses, check_literal_host, check_url_syntax};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::sync::Arc;

/// An extra test every redirect target must pass.
pub type HopCheck = Arc<dyn Fn(&url::Url) -> bool + Send + Sync>;

/// The most redirects followed before giving up.
pub const MAX_REDIRECTS: usize = 10;

struct PolicyResolver {
    policy: AddressPolicy,
}

impl Resolve for PolicyResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = self.policy;
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_addresses(addrs.iter().map(|a| a.ip()), policy)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)?;
            Ok(Box::new(addrs.into_iter()) as Addrs)
        })
    }
}

/// A `reqwest::ClientBuilder` with the address policy enforced on every connection and
/// redirect. Callers add their own timeouts and headers. `extra_hop_check` sees each
/// redirect target too (plugins use it to enforce their declared hosts).
pub fn guarded_client_builder(
    policy: AddressPolicy,
    extra_hop_check: Option<HopCheck>,
) -> reqwest::ClientBuilder {
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        let url = attempt.url().clone();
        if check_url_syntax(url.as_str()).is_err() || check_literal_host(&url, policy).is_err() {
            return attempt.error("redirect to a refused URL");
        }
        if let Some(check) = &extra_hop_check
            && !check(&url)
        {
            return attempt.error("redirect to an undeclared host");
        }
        attempt.follow()
    });
    reqwest::Client::builder()
        .redirect(redirect)
        .dns_resolver(Arc::new(PolicyResolver { policy }))
        .user_agent(concat!("nas-music-downloader/", env!("CARGO_PKG_VERSION")))
}
