//! The proxy on its own (SEC-40): credentials, refusals without a connection, CONNECT and
//! plain HTTP, and one lookup per request whose answer is the address connected to.

use super::*;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A tiny origin server: counts connections, keeps each request head, answers `body`.
struct Origin {
    address: SocketAddr,
    hits: Arc<AtomicUsize>,
    heads: Arc<Mutex<Vec<String>>>,
}

async fn origin(bind: &str, body: &'static str) -> Origin {
    let listener = TcpListener::bind(bind).await.unwrap();
    let address = listener.local_addr().unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let heads = Arc::new(Mutex::new(Vec::new()));
    let (counted, kept) = (hits.clone(), heads.clone());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            let mut buffer = vec![0u8; 4096];
            let n = stream.read(&mut buffer).await.unwrap_or(0);
            kept.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buffer[..n]).into_owned());
            let reply = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes()).await;
        }
    });
    Origin {
        address,
        hits,
        heads,
    }
}

fn authorization(pass: &JobPass) -> String {
    use base64::Engine;
    let url = url::Url::parse(pass.proxy_url()).unwrap();
    let pair = format!("{}:{}", url.username(), url.password().unwrap());
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// Sends `request` to the proxy and reads everything it answers.
async fn exchange(proxy: &EgressProxy, request: String) -> String {
    let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        stream.read_to_end(&mut answer),
    )
    .await;
    String::from_utf8_lossy(&answer).into_owned()
}

fn get(url: &str, auth: Option<&str>) -> String {
    let auth = auth
        .map(|a| format!("Proxy-Authorization: {a}\r\n"))
        .unwrap_or_default();
    format!("GET {url} HTTP/1.1\r\nHost: x\r\n{auth}Connection: close\r\n\r\n")
}

fn loopback_only() -> AddressPolicy {
    AddressPolicy::parse("127.0.0.1/32").unwrap()
}

#[tokio::test]
async fn requests_without_a_valid_job_credential_get_407_sec_40() {
    let target = origin("127.0.0.1:0", "hello").await;
    let proxy = EgressProxy::start(CancellationToken::new()).await.unwrap();
    let url = format!("http://{}/", target.address);
    let answer = exchange(&proxy, get(&url, None)).await;
    assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
    assert!(answer.contains("Proxy-Authenticate: Basic"), "{answer}");
    let wrong = "Basic am9iOm5vdC10aGUtc2VjcmV0"; // job:not-the-secret
    let answer = exchange(&proxy, get(&url, Some(wrong))).await;
    assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");

    // A credential works while its job runs, and not after.
    let pass = proxy.register_job(loopback_only());
    let auth = authorization(&pass);
    let answer = exchange(&proxy, get(&url, Some(&auth))).await;
    assert!(answer.ends_with("hello"), "{answer}");
    drop(pass);
    let answer = exchange(&proxy, get(&url, Some(&auth))).await;
    assert!(answer.starts_with("HTTP/1.1 407"), "{answer}");
    assert_eq!(target.hits.load(Ordering::SeqCst), 1);
    // The origin never sees the job's credential.
    assert!(
        !target.heads.lock().unwrap()[0]
            .to_ascii_lowercase()
            .contains("proxy-authorization"),
        "{:?}",
        target.heads
    );
}

#[tokio::test]
async fn a_refused_address_gets_403_without_any_connection_sec_40() {
    let target = origin("127.0.0.1:0", "secret admin page").await;
    let proxy = EgressProxy::start(CancellationToken::new()).await.unwrap();
    let pass = proxy.register_job(AddressPolicy::PublicOnly);
    let auth = authorization(&pass);
    let plain = exchange(
        &proxy,
        get(&format!("http://{}/", target.address), Some(&auth)),
    )
    .await;
    assert!(plain.starts_with("HTTP/1.1 403"), "{plain}");
    let connect = format!(
        "CONNECT {0} HTTP/1.1\r\nHost: {0}\r\nProxy-Authorization: {auth}\r\n\r\n",
        target.address
    );
    let tunnel = exchange(&proxy, connect).await;
    assert!(tunnel.starts_with("HTTP/1.1 403"), "{tunnel}");
    let named = exchange(
        &proxy,
        get(
            &format!("http://localhost:{}/", target.address.port()),
            Some(&auth),
        ),
    )
    .await;
    assert!(named.starts_with("HTTP/1.1 403"), "{named}");
    assert_eq!(
        target.hits.load(Ordering::SeqCst),
        0,
        "a refused address was reached"
    );
    assert!(pass.refused(), "the job was not told");
}

#[tokio::test]
async fn non_http_schemes_are_refused_sec_40() {
    let proxy = EgressProxy::start(CancellationToken::new()).await.unwrap();
    let pass = proxy.register_job(AddressPolicy::AllowPrivate);
    let auth = authorization(&pass);
    for url in ["ftp://127.0.0.1:21/x", "https://127.0.0.1:1/x", "/relative"] {
        let answer = exchange(&proxy, get(url, Some(&auth))).await;
        assert!(answer.starts_with("HTTP/1.1 403"), "{url}: {answer}");
    }
    assert!(pass.refused());
}

#[tokio::test]
async fn connect_tunnels_to_an_allowed_address_sec_40() {
    let target = origin("127.0.0.1:0", "through the tunnel").await;
    let proxy = EgressProxy::start(CancellationToken::new()).await.unwrap();
    let pass = proxy.register_job(loopback_only());
    let auth = authorization(&pass);
    let mut stream = TcpStream::connect(proxy.address()).await.unwrap();
    let connect = format!(
        "CONNECT {0} HTTP/1.1\r\nHost: {0}\r\nProxy-Authorization: {auth}\r\n\r\n",
        target.address
    );
    stream.write_all(connect.as_bytes()).await.unwrap();
    let mut established = [0u8; 39];
    stream.read_exact(&mut established).await.unwrap();
    assert_eq!(
        &established[..],
        b"HTTP/1.1 200 Connection established\r\n\r\n"
    );
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).await.unwrap();
    assert!(answer.ends_with("through the tunnel"), "{answer}");
    assert_eq!(target.hits.load(Ordering::SeqCst), 1);
    assert!(!pass.refused());
}

/// Answers 127.0.0.1 the first time a name is looked up and 127.0.0.2 afterwards: a
/// rebinding DNS server.
struct Rebinding {
    port: u16,
    lookups: AtomicUsize,
}

impl NameResolver for Rebinding {
    fn lookup(&self, _host: String, _port: u16) -> BoxFuture<'static, io::Result<Vec<SocketAddr>>> {
        let first = self.lookups.fetch_add(1, Ordering::SeqCst) == 0;
        let ip = if first { "127.0.0.1" } else { "127.0.0.2" };
        let address = SocketAddr::new(ip.parse().unwrap(), self.port);
        Box::pin(async move { Ok(vec![address]) })
    }
}

#[tokio::test]
async fn a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_sec_40() {
    let target = origin("127.0.0.1:0", "checked").await;
    let port = target.address.port();
    let canary = origin(&format!("127.0.0.2:{port}"), "rebound").await;
    let resolver = Arc::new(Rebinding {
        port,
        lookups: AtomicUsize::new(0),
    });
    let proxy = EgressProxy::start_with_resolver(CancellationToken::new(), resolver.clone())
        .await
        .unwrap();
    let pass = proxy.register_job(loopback_only());
    let auth = authorization(&pass);
    let answer = exchange(
        &proxy,
        get(&format!("http://rebind.example:{port}/"), Some(&auth)),
    )
    .await;
    assert!(answer.ends_with("checked"), "{answer}");
    assert_eq!(
        resolver.lookups.load(Ordering::SeqCst),
        1,
        "looked up twice"
    );
    assert_eq!(canary.hits.load(Ordering::SeqCst), 0);
    // The next lookup rebinds to 127.0.0.2, which the policy refuses: 403, never reached.
    let answer = exchange(
        &proxy,
        get(&format!("http://rebind.example:{port}/"), Some(&auth)),
    )
    .await;
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert_eq!(canary.hits.load(Ordering::SeqCst), 0);
    assert!(pass.refused());
}

#[tokio::test]
async fn stopping_the_proxy_closes_its_listener_sec_40() {
    let stop = CancellationToken::new();
    let proxy = EgressProxy::start(stop.clone()).await.unwrap();
    stop.cancel();
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert!(TcpStream::connect(proxy.address()).await.is_err());
}
