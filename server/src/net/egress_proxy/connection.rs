//! One client connection to the egress proxy: read the request head, check the job's
//! credential, resolve the target once, check every address, connect to a checked one,
//! then copy bytes both ways until either side is done (or the job or the server ends).

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;
use url::{Host, Position, Url};

use super::NameResolver;
use super::credentials::{JobState, Registry};
use crate::net::url_policy::check_addresses;

/// The largest request head accepted.
const MAX_HEAD_BYTES: usize = 64 * 1024;
const MAX_HEADERS: usize = 128;
/// How long a client may take to send its request head.
const HEAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long one connection attempt to a checked address may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Hop-by-hop headers that are not forwarded; `Proxy-Authorization` above all.
const DROPPED_HEADERS: &[&str] = &[
    "proxy-authorization",
    "proxy-connection",
    "connection",
    "keep-alive",
];

/// The parts of a request head the proxy needs.
struct RequestHead {
    method: String,
    target: String,
    version: u8,
    headers: Vec<(String, Vec<u8>)>,
}

/// Where a request wants to go.
struct Destination {
    host: Host<String>,
    port: u16,
    /// For plain HTTP: the origin-form request target (`/path?query`); `None` for CONNECT.
    origin_form: Option<String>,
}

/// Serves one connection; errors only end it.
pub(super) async fn serve(
    mut client: TcpStream,
    jobs: Arc<Registry>,
    resolver: Arc<dyn NameResolver>,
    stop: CancellationToken,
) {
    let Ok(Ok((head, early))) = tokio::time::timeout(HEAD_TIMEOUT, read_head(&mut client)).await
    else {
        return;
    };
    let Some(request) = parse_head(&head) else {
        let _ = respond(&mut client, "400 Bad Request", "").await;
        return;
    };
    let job = request
        .headers
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case("proxy-authorization"))
        .and_then(|(_, value)| jobs.authorize(value));
    let Some(job) = job else {
        let _ = respond(
            &mut client,
            "407 Proxy Authentication Required",
            "Proxy-Authenticate: Basic realm=\"nas-music-downloader\"\r\n",
        )
        .await;
        return;
    };
    let tunnel = async {
        let Some(destination) = destination(&request) else {
            // A scheme other than http (ftp://…) or a malformed target: not for this proxy.
            tracing::warn!(target = %request.target, "egress proxy refused a non-HTTP request (SEC-40)");
            job.mark_refused();
            return respond(&mut client, "403 Forbidden", "").await;
        };
        let upstream = match connect_checked(&destination, &job, resolver.as_ref()).await {
            Ok(upstream) => upstream,
            Err(Failure::Refused) => return respond(&mut client, "403 Forbidden", "").await,
            Err(Failure::Unreachable) => return respond(&mut client, "502 Bad Gateway", "").await,
        };
        relay(client, upstream, &request, destination, &early).await
    };
    tokio::select! {
        _ = tunnel => {}
        _ = job.closed.cancelled() => {}
        _ = stop.cancelled() => {}
    }
}

/// Reads until the end of the request head; returns the head and any bytes read past it.
async fn read_head(client: &mut TcpStream) -> io::Result<(Vec<u8>, Vec<u8>)> {
    let mut buffer = Vec::with_capacity(2048);
    let mut chunk = [0u8; 4096];
    loop {
        let n = client.read(&mut chunk).await?;
        if n == 0 {
            return Err(io::ErrorKind::UnexpectedEof.into());
        }
        let searched_from = buffer.len().saturating_sub(3);
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer[searched_from..]
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
        {
            let end = searched_from + at + 4;
            let early = buffer.split_off(end);
            return Ok((buffer, early));
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(io::ErrorKind::InvalidData.into());
        }
    }
}

fn parse_head(head: &[u8]) -> Option<RequestHead> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    match request.parse(head) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return None,
    }
    Some(RequestHead {
        method: request.method?.to_owned(),
        target: request.path?.to_owned(),
        version: request.version?,
        headers: request
            .headers
            .iter()
            .map(|h| (h.name.to_owned(), h.value.to_vec()))
            .collect(),
    })
}

/// `CONNECT host:port`, or an absolute-form `http://` URL; nothing else.
fn destination(request: &RequestHead) -> Option<Destination> {
    if request.method.eq_ignore_ascii_case("CONNECT") {
        // Parsed as a URL authority so IP literals are read the way clients read them
        // (`[::1]`, and the numeric IPv4 forms such as `0x7f.1`).
        let url = Url::parse(&format!("http://{}/", request.target)).ok()?;
        let explicit_port = request.target.rsplit_once(':')?.1.parse::<u16>().ok()?;
        if !url.username().is_empty() || url.path() != "/" || url.query().is_some() {
            return None;
        }
        return Some(Destination {
            host: url.host()?.to_owned(),
            port: explicit_port,
            origin_form: None,
        });
    }
    let url = Url::parse(&request.target).ok()?;
    if url.scheme() != "http" || !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    Some(Destination {
        host: url.host()?.to_owned(),
        port: url.port_or_known_default()?,
        origin_form: Some(url[Position::BeforePath..Position::AfterQuery].to_owned()),
    })
}

enum Failure {
    /// The policy refused an address: 403, and the job is marked.
    Refused,
    /// The name did not resolve or no checked address answered: 502.
    Unreachable,
}

/// Resolves the destination once, checks every address against the job's policy, and
/// connects to the checked addresses in turn. Never a second lookup (SEC-40: rebinding).
async fn connect_checked(
    destination: &Destination,
    job: &JobState,
    resolver: &dyn NameResolver,
) -> Result<TcpStream, Failure> {
    let port = destination.port;
    let addresses: Vec<SocketAddr> = match &destination.host {
        Host::Ipv4(ip) => vec![SocketAddr::new(IpAddr::V4(*ip), port)],
        Host::Ipv6(ip) => vec![SocketAddr::new(IpAddr::V6(*ip), port)],
        Host::Domain(name) => match resolver.lookup(name.clone(), port).await {
            Ok(found) if !found.is_empty() => found,
            _ => {
                tracing::info!(host = %name, "egress proxy: name did not resolve");
                return Err(Failure::Unreachable);
            }
        },
    };
    if check_addresses(addresses.iter().map(SocketAddr::ip), &job.policy).is_err() {
        tracing::warn!(host = %destination.host, ?addresses, "egress proxy refused an address (SEC-40)");
        job.mark_refused();
        return Err(Failure::Refused);
    }
    for address in addresses {
        match tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(address)).await {
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(e)) => tracing::debug!(%address, error = %e, "egress proxy: connect failed"),
            Err(_) => tracing::debug!(%address, "egress proxy: connect timed out"),
        }
    }
    Err(Failure::Unreachable)
}

/// Opens the tunnel (CONNECT) or forwards the rewritten request head (plain HTTP), then
/// copies bytes both ways.
async fn relay(
    mut client: TcpStream,
    mut upstream: TcpStream,
    request: &RequestHead,
    destination: Destination,
    early: &[u8],
) -> io::Result<()> {
    match destination.origin_form {
        None => {
            client
                .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                .await?;
        }
        Some(path) => {
            upstream.write_all(&forwarded_head(request, &path)).await?;
        }
    }
    if !early.is_empty() {
        upstream.write_all(early).await?;
    }
    tokio::io::copy_bidirectional(&mut client, &mut upstream).await?;
    Ok(())
}

/// The request head as the origin server gets it: origin-form target, no proxy or
/// hop-by-hop headers, one request per connection.
fn forwarded_head(request: &RequestHead, path: &str) -> Vec<u8> {
    let mut head = format!("{} {path} HTTP/1.{}\r\n", request.method, request.version).into_bytes();
    for (name, value) in &request.headers {
        if DROPPED_HEADERS
            .iter()
            .any(|dropped| name.eq_ignore_ascii_case(dropped))
        {
            continue;
        }
        head.extend_from_slice(name.as_bytes());
        head.extend_from_slice(b": ");
        head.extend_from_slice(value);
        head.extend_from_slice(b"\r\n");
    }
    head.extend_from_slice(b"Connection: close\r\n\r\n");
    head
}

async fn respond(client: &mut TcpStream, status: &str, extra_headers: &str) -> io::Result<()> {
    let reply = format!(
        "HTTP/1.1 {status}\r\n{extra_headers}Content-Length: 0\r\nConnection: close\r\n\r\n"
    );
    client.write_all(reply.as_bytes()).await?;
    client.shutdown().await
}
