//! SEC-22: `http-get` reaches only declared hosts, on every redirect hop, with a capped
//! body. The fixture declares `127.0.0.1`; `localhost` is the undeclared host.

use super::*;
use crate::plugins::PluginCallError;
use std::sync::atomic::{AtomicUsize, Ordering};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A tiny HTTP server: `/ok`, `/redirect` (→ localhost `/secret`), `/secret`, `/big`.
async fn serve() -> (u16, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let secret_hits = Arc::new(AtomicUsize::new(0));
    let hits = secret_hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let hits = hits.clone();
            tokio::spawn(async move {
                let mut buf = vec![0u8; 4096];
                let n = socket.read(&mut buf).await.unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]);
                let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
                let (status, extra, body) = match path.as_str() {
                    "/ok" => (
                        "200 OK",
                        String::new(),
                        "hello from the test server".to_owned(),
                    ),
                    "/redirect" => (
                        "302 Found",
                        format!("Location: http://localhost:{port}/secret\r\n"),
                        String::new(),
                    ),
                    "/secret" => {
                        hits.fetch_add(1, Ordering::SeqCst);
                        ("200 OK", String::new(), "secret".to_owned())
                    }
                    "/big" => ("200 OK", String::new(), "x".repeat(4096)),
                    _ => ("404 Not Found", String::new(), String::new()),
                };
                let response = format!(
                    "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = socket.write_all(response.as_bytes()).await;
            });
        }
    });
    (port, secret_hits)
}

fn network_error(result: Result<crate::plugins::Resolution, PluginCallError>) -> String {
    match result {
        Err(PluginCallError::Network(m)) => m,
        other => panic!("expected a network error, got {other:?}"),
    }
}

#[tokio::test]
async fn a_declared_host_is_reachable_sec_22() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["http-probe"]).await;
    let (port, _) = serve().await;
    let ok = registry
        .resolve("fixture-http-probe", &format!("http://127.0.0.1:{port}/ok"))
        .await
        .unwrap();
    assert_eq!(
        ok.metadata.title.as_deref(),
        Some("hello from the test server")
    );
}

#[tokio::test]
async fn an_undeclared_host_is_refused_before_any_request_sec_22() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["http-probe"]).await;
    let (port, secret_hits) = serve().await;
    let message = network_error(
        registry
            .resolve(
                "fixture-http-probe",
                &format!("http://localhost:{port}/secret"),
            )
            .await,
    );
    assert!(message.contains("not declared"), "{message}");
    assert_eq!(secret_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn a_redirect_to_an_undeclared_host_is_refused_sec_22() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["http-probe"]).await;
    let (port, secret_hits) = serve().await;
    let message = network_error(
        registry
            .resolve(
                "fixture-http-probe",
                &format!("http://127.0.0.1:{port}/redirect"),
            )
            .await,
    );
    assert!(message.contains("undeclared host"), "{message}");
    assert_eq!(secret_hits.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn response_bodies_are_capped_sec_22() {
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &["http-probe"]).await;
    let (port, _) = serve().await;
    let message = network_error(
        registry
            .resolve(
                "fixture-http-probe",
                &format!("http://127.0.0.1:{port}/big"),
            )
            .await,
    );
    assert!(message.contains("exceeds 1024 bytes"), "{message}");
}

#[tokio::test]
async fn plugins_without_declared_hosts_have_no_network_sec_22() {
    // `direct-media` declares no hosts; its guest never calls http-get, so check the host
    // side directly: the capability is absent.
    let tmp = tempfile::tempdir().unwrap();
    let registry = registry_with(tmp.path(), &[]).await;
    let direct = registry
        .list()
        .into_iter()
        .find(|p| p.name == "direct-media")
        .unwrap();
    assert!(direct.hosts.is_empty());
}
