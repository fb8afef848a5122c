//! Per-job credentials: random, registered while the job runs, gone when its `JobPass` is
//! dropped. Each carries the job's address policy and remembers whether anything was refused.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use tokio_util::sync::CancellationToken;

use crate::net::AddressPolicy;

/// The user name in every job's proxy URL; the password is the secret.
const USER: &str = "job";

/// What the proxy knows about a running job.
pub(super) struct JobState {
    pub policy: AddressPolicy,
    refused: AtomicBool,
    /// Cancelled when the job's pass is dropped: its tunnels close with it.
    pub closed: CancellationToken,
}

impl JobState {
    pub fn mark_refused(&self) {
        self.refused.store(true, Ordering::SeqCst);
    }
}

/// The credentials of the running jobs, by secret.
#[derive(Default)]
pub(super) struct Registry {
    jobs: Mutex<HashMap<String, Arc<JobState>>>,
}

impl Registry {
    /// The job a `Proxy-Authorization` header value belongs to (`Basic base64(job:secret)`).
    pub fn authorize(&self, header: &[u8]) -> Option<Arc<JobState>> {
        let header = std::str::from_utf8(header).ok()?.trim();
        let (scheme, encoded) = header.split_once(' ')?;
        if !scheme.eq_ignore_ascii_case("basic") {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(encoded.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (user, secret) = decoded.split_once(':')?;
        if user != USER {
            return None;
        }
        self.jobs.lock().ok()?.get(secret).cloned()
    }
}

/// One job's right to use the proxy. Dropping it revokes the credential and closes the
/// job's connections. `Debug` never shows the secret.
pub struct JobPass {
    secret: String,
    proxy_url: String,
    state: Arc<JobState>,
    registry: Arc<Registry>,
}

impl JobPass {
    pub(super) fn register(
        registry: Arc<Registry>,
        proxy: SocketAddr,
        policy: AddressPolicy,
    ) -> Self {
        // 128 random bits: the proxy is loopback-only, but other local users can connect.
        let secret = hex::encode(rand::random::<[u8; 16]>());
        let state = Arc::new(JobState {
            policy,
            refused: AtomicBool::new(false),
            closed: CancellationToken::new(),
        });
        if let Ok(mut jobs) = registry.jobs.lock() {
            jobs.insert(secret.clone(), state.clone());
        }
        Self {
            proxy_url: format!("http://{USER}:{secret}@{proxy}"),
            secret,
            state,
            registry,
        }
    }

    /// `http://job:<secret>@127.0.0.1:<port>`, for yt-dlp's `--proxy` and `http_proxy`.
    pub fn proxy_url(&self) -> &str {
        &self.proxy_url
    }

    /// Whether the proxy refused anything for this job so far.
    pub fn refused(&self) -> bool {
        self.state.refused.load(Ordering::SeqCst)
    }
}

impl Drop for JobPass {
    fn drop(&mut self) {
        if let Ok(mut jobs) = self.registry.jobs.lock() {
            jobs.remove(&self.secret);
        }
        self.state.closed.cancel();
    }
}

impl fmt::Debug for JobPass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JobPass")
            .field("secret", &"<redacted>")
            .field("refused", &self.refused())
            .finish()
    }
}
