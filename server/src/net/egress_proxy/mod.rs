//! The loopback egress proxy every yt-dlp request goes through (SEC-40).
//!
//! yt-dlp follows what a page leads it to: redirects, `<meta http-equiv=refresh>`, HLS/DASH
//! manifests and their segments, embedded `<audio>`/`<video>`/iframes, thumbnails. Checking
//! only the submitted URL leaves all of those (and DNS rebinding between the check and
//! yt-dlp's own lookup) free to reach the LAN or 169.254.169.254. So the server runs this
//! proxy on 127.0.0.1:0 and starts yt-dlp with `--proxy http://job:<credential>@127.0.0.1:<port>`:
//!
//! - every request needs the job's credential in `Proxy-Authorization` (random, registered
//!   while the job runs, dropped after; anything else gets 407);
//! - `CONNECT host:port` (https) and absolute-form `http://` requests are served; any other
//!   form or scheme (`ftp://…`) is refused with 403;
//! - the name is resolved once, every address it resolves to must pass the job's
//!   `AddressPolicy` (the type the guarded reqwest client uses), and the proxy connects to
//!   the address it checked — there is no second lookup to rebind;
//! - a refused request gets 403 without any connection attempt, and the job is marked: the
//!   executor then fails it with one generic message, whatever was refused and whether
//!   yt-dlp went on without it, so a failed job never tells a scanner what is behind a
//!   private address.
//!
//! What keeps yt-dlp (and the ffmpeg it starts) on the proxy is in `jobs::ytdlp_args` and
//! `jobs::ytdlp`: `--proxy` for yt-dlp's own requests (page, redirects, manifests, native
//! HLS/DASH fragments, thumbnails), `--downloader native` so HLS and DASH are fetched by
//! yt-dlp itself, a `--break-match-filters` rule that refuses every format whose protocol is
//! not HTTP(S)/HLS/DASH (no rtmp, rtsp, mms… that would open their own sockets), and
//! `http_proxy` in the environment. ffmpeg still reads the network when yt-dlp hands it an
//! HLS stream the native downloader cannot handle (encrypted, live); yt-dlp then sets
//! `http_proxy` for it (FFmpegFD), ffmpeg sends http through it and tunnels https with
//! CONNECT, and its HLS demuxer opens only http(s), file and data URLs.
//!
//! Hand-written on tokio + httparse rather than a proxy crate: what is needed is small (parse
//! one request head, check a credential, resolve, check, connect, then copy bytes), and the
//! crates found either do their own DNS lookup at connect time (the rebinding gap) or bring
//! a full HTTP stack for a job that needs none.

mod connection;
mod credentials;
#[cfg(test)]
mod tests;

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use futures_util::future::BoxFuture;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use credentials::JobPass;

use super::AddressPolicy;
use credentials::Registry;

/// Resolves a host name to the addresses the proxy may then check and connect to.
pub trait NameResolver: Send + Sync + 'static {
    fn lookup(&self, host: String, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>>;
}

/// The system resolver (`getaddrinfo`, through tokio).
pub struct SystemResolver;

impl NameResolver for SystemResolver {
    fn lookup(&self, host: String, port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        Box::pin(async move {
            Ok(tokio::net::lookup_host((host.as_str(), port))
                .await?
                .collect())
        })
    }
}

/// The running proxy. Jobs get a `JobPass` from it; it stops with the token given to
/// `start`, closing every open tunnel.
pub struct EgressProxy {
    address: SocketAddr,
    jobs: Arc<Registry>,
}

impl fmt::Debug for EgressProxy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EgressProxy")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

impl EgressProxy {
    /// Binds 127.0.0.1:0 and serves until `stop` is cancelled.
    pub async fn start(stop: CancellationToken) -> io::Result<Arc<Self>> {
        Self::start_with_resolver(stop, Arc::new(SystemResolver)).await
    }

    /// `start` with another resolver (tests count and steer lookups with it).
    pub async fn start_with_resolver(
        stop: CancellationToken,
        resolver: Arc<dyn NameResolver>,
    ) -> io::Result<Arc<Self>> {
        let listener = TcpListener::bind(("127.0.0.1", 0)).await?;
        let address = listener.local_addr()?;
        let jobs = Arc::new(Registry::default());
        let serving = jobs.clone();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    _ = stop.cancelled() => break,
                    accepted = listener.accept() => accepted,
                };
                match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(connection::serve(
                            stream,
                            serving.clone(),
                            resolver.clone(),
                            stop.clone(),
                        ));
                    }
                    Err(e) => {
                        // Out of descriptors and the like: wait a little rather than spin.
                        tracing::warn!(error = %e, "egress proxy: accept failed");
                        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                    }
                }
            }
            tracing::debug!("egress proxy stopped");
        });
        tracing::info!(%address, "egress proxy for yt-dlp listening");
        Ok(Arc::new(Self { address, jobs }))
    }

    /// Where the proxy listens (always on 127.0.0.1).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// A fresh credential for one job, checked against `policy`; valid until the pass is
    /// dropped, which also closes the job's open connections.
    pub fn register_job(&self, policy: AddressPolicy) -> JobPass {
        JobPass::register(self.jobs.clone(), self.address, policy)
    }
}
