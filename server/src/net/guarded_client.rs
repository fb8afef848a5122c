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
        let policy = self.policy.clone();
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addrs: Vec<std::net::SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            check_addresses(addrs.iter().map(|a| a.ip()), &policy)
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
    let resolver = PolicyResolver {
        policy: policy.clone(),
    };
    let redirect = reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= MAX_REDIRECTS {
            return attempt.error("too many redirects");
        }
        let url = attempt.url().clone();
        if check_url_syntax(url.as_str()).is_err() || check_literal_host(&url, &policy).is_err() {
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
        // A proxy from HTTP(S)_PROXY/ALL_PROXY would resolve and connect on our behalf,
        // past the resolver below (issue 11, SEC-4).
        .no_proxy()
        .dns_resolver(Arc::new(resolver))
        .user_agent(concat!("nas-music-downloader/", env!("CARGO_PKG_VERSION")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// Accepts connections, counts them, and answers each with a fixed body.
    async fn server(body: &'static str) -> (std::net::SocketAddr, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        let hits = Arc::new(AtomicUsize::new(0));
        let counted = hits.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                let mut buffer = [0u8; 2048];
                let _ = stream.read(&mut buffer).await;
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            }
        });
        (address, hits)
    }

    #[tokio::test]
    // SAFETY of `set_var`: nextest runs each test in its own process, and nothing else in
    // this one reads the environment while the variables are set.
    #[allow(unsafe_code)]
    async fn proxy_variables_do_not_route_guarded_requests_sec_4() {
        let (target, _) = server("target").await;
        let (proxy, proxied) = server("proxy").await;
        for name in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
            unsafe { std::env::set_var(name, format!("http://{proxy}")) };
        }
        let url = format!("http://{target}/x");
        // The control: a plain client goes through the proxy the environment names.
        let plain = reqwest::Client::new().get(&url).send().await.unwrap();
        assert_eq!(plain.text().await.unwrap(), "proxy");
        assert_eq!(proxied.load(Ordering::SeqCst), 1);
        let guarded = guarded_client_builder(AddressPolicy::AllowPrivate, None)
            .build()
            .unwrap();
        let direct = guarded.get(&url).send().await.unwrap();
        assert_eq!(direct.text().await.unwrap(), "target");
        assert_eq!(
            proxied.load(Ordering::SeqCst),
            1,
            "the guarded client used the proxy"
        );
    }
}
