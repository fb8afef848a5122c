//! The one way the hand-off reaches other servers (webhook receivers, media servers): the
//! same address policy as downloads (SEC-4, `ALLOW_PRIVATE_URLS`), checked once and pinned —
//! the client connects to the addresses that were checked, so a DNS answer that changes
//! between check and connect (rebinding) does not help — no redirects, short timeouts, and
//! at most a few KiB of the answer read back.

use crate::net::{
    AddressPolicy, UrlRejection, check_url_syntax, guarded_client_builder,
    url_policy::check_destination,
};
use std::time::Duration;
use url::{Host, Url};

/// How much of an answer is read, and how much of it is kept for people to see.
const READ_LIMIT: usize = 4096;
const SUMMARY_CHARS: usize = 200;

/// Why a request was not answered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("the URL is not a valid http(s) URL")]
    InvalidUrl,
    #[error("the target is an address this server does not allow (ALLOW_PRIVATE_URLS)")]
    Refused,
    #[error("the target's name does not resolve")]
    Unresolvable,
    /// Connection refused, reset, timed out, TLS failure…: a short, safe description.
    #[error("{0}")]
    Network(String),
}

impl OutboundError {
    /// Whether trying again later may help.
    pub fn is_transient(&self) -> bool {
        matches!(self, Self::Unresolvable | Self::Network(_))
    }
}

/// What the other server answered: its status and a short, printable summary of its body.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub summary: String,
}

#[derive(Debug, Clone)]
pub struct Outbound {
    pub policy: AddressPolicy,
    pub timeout: Duration,
}

impl Outbound {
    /// Checks `raw` (shape, then destination) and returns it with a client that connects
    /// only to the checked addresses and follows no redirect.
    pub async fn prepare(&self, raw: &str) -> Result<(Url, reqwest::Client), OutboundError> {
        let url = check_url_syntax(raw).map_err(|_| OutboundError::InvalidUrl)?;
        let addrs = check_destination(&url, &self.policy)
            .await
            .map_err(|e| match e {
                UrlRejection::Unresolvable => OutboundError::Unresolvable,
                UrlRejection::PrivateAddress => OutboundError::Refused,
                _ => OutboundError::InvalidUrl,
            })?;
        let mut builder = guarded_client_builder(self.policy.clone(), None)
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.timeout)
            .timeout(self.timeout);
        if let Some(Host::Domain(name)) = url.host()
            && !addrs.is_empty()
        {
            builder = builder.resolve_to_addrs(name, &addrs);
        }
        let client = builder.build().map_err(|e| {
            tracing::error!(error = %e, "could not build the outbound HTTP client");
            OutboundError::Network("the server could not prepare the request".into())
        })?;
        Ok((url, client))
    }

    /// Sends a prepared request and reads the start of the answer.
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<Answer, OutboundError> {
        let mut response = request.send().await.map_err(network_error)?;
        let status = response.status().as_u16();
        let mut body = Vec::new();
        while body.len() < READ_LIMIT {
            match response.chunk().await {
                Ok(Some(chunk)) => body.extend_from_slice(&chunk),
                _ => break,
            }
        }
        body.truncate(READ_LIMIT);
        Ok(Answer {
            status,
            summary: summarize(&body),
        })
    }
}

/// A reqwest error in a few safe words (no URL with its query, no internal detail).
fn network_error(err: reqwest::Error) -> OutboundError {
    let what = if err.is_timeout() {
        "timed out"
    } else if err.is_connect() {
        "could not connect"
    } else if err.is_redirect() {
        "redirects are not followed"
    } else {
        "the connection failed"
    };
    tracing::debug!(error = ?err, "outbound request failed");
    OutboundError::Network(what.into())
}

/// The body as one short line of printable text: control characters dropped, whitespace
/// collapsed, cut at `SUMMARY_CHARS`.
pub fn summarize(body: &[u8]) -> String {
    let text = String::from_utf8_lossy(body);
    let mut out = String::new();
    for word in text.split_whitespace() {
        let word: String = word.chars().filter(|c| !c.is_control()).collect();
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&word);
        if out.chars().count() >= SUMMARY_CHARS {
            break;
        }
    }
    if out.chars().count() > SUMMARY_CHARS {
        out = out.chars().take(SUMMARY_CHARS).collect::<String>() + "…";
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outbound(policy: AddressPolicy) -> Outbound {
        Outbound {
            policy,
            timeout: Duration::from_secs(2),
        }
    }

    #[tokio::test]
    async fn private_targets_are_refused_unless_their_network_is_allowed_sec_4() {
        let public_only = outbound(AddressPolicy::PublicOnly);
        for url in [
            "http://127.0.0.1:9/hook",
            "http://10.1.2.3/x",
            "http://169.254.169.254/",
        ] {
            assert_eq!(
                public_only.prepare(url).await.err(),
                Some(OutboundError::Refused),
                "{url}"
            );
        }
        let loopback = outbound(AddressPolicy::parse("127.0.0.1/32").unwrap());
        assert!(loopback.prepare("http://127.0.0.1:9/hook").await.is_ok());
        assert_eq!(
            loopback.prepare("http://127.0.0.2:9/hook").await.err(),
            Some(OutboundError::Refused)
        );
        assert_eq!(
            loopback.prepare("file:///etc/passwd").await.err(),
            Some(OutboundError::InvalidUrl)
        );
    }

    #[test]
    fn summaries_are_short_printable_lines() {
        assert_eq!(summarize(b"  {\"ok\":\n true}\r\n"), "{\"ok\": true}");
        assert_eq!(summarize(b"a\x1b[31mb"), "a[31mb");
        let long = "x".repeat(1000);
        assert_eq!(
            summarize(long.as_bytes()).chars().count(),
            SUMMARY_CHARS + 1
        );
    }
}
