//! A local HTTP receiver for hand-off tests: records every request (method, path, query,
//! headers, body) and answers with scripted statuses (then 200), standing in for a webhook
//! receiver, a Subsonic server or a Jellyfin server on 127.0.0.1.

use poem::{Request, Response, http::StatusCode, listener::TcpAcceptor};
use std::{
    collections::VecDeque,
    sync::{Arc, Mutex},
    time::Duration,
};

#[derive(Debug, Clone)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: poem::http::HeaderMap,
    pub body: Vec<u8>,
}

impl Received {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }
}

#[derive(Default)]
struct Script {
    statuses: VecDeque<u16>,
    seen: Vec<Received>,
}

pub struct Receiver {
    pub base: String,
    script: Arc<Mutex<Script>>,
}

impl Receiver {
    /// Starts a receiver answering `statuses` in turn, then 200, each with `reply` as body.
    pub async fn start(statuses: &[u16], reply: &'static str) -> Receiver {
        Self::start_on("127.0.0.1", statuses, reply).await
    }

    /// The same on another loopback address (`127.0.0.2`: a "LAN" host for policy tests).
    pub async fn start_on(ip: &str, statuses: &[u16], reply: &'static str) -> Receiver {
        let listener = tokio::net::TcpListener::bind((ip, 0)).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let script = Arc::new(Mutex::new(Script {
            statuses: statuses.iter().copied().collect(),
            seen: Vec::new(),
        }));
        let state = script.clone();
        let endpoint = poem::endpoint::make(move |req: Request| {
            let state = state.clone();
            async move {
                let method = req.method().to_string();
                let path = req.uri().path().to_owned();
                let query = url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                    .into_owned()
                    .collect();
                let headers = req.headers().clone();
                let body = req.into_body().into_vec().await.unwrap_or_default();
                let status = {
                    let mut script = state.lock().unwrap();
                    script.seen.push(Received {
                        method,
                        path,
                        query,
                        headers,
                        body,
                    });
                    script.statuses.pop_front().unwrap_or(200)
                };
                Response::builder()
                    .status(StatusCode::from_u16(status).unwrap())
                    .content_type("application/json")
                    .body(reply)
            }
        });
        let acceptor = TcpAcceptor::from_tokio(listener).unwrap();
        tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(endpoint));
        Receiver { base, script }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Every request so far to `path`.
    pub fn seen(&self, path: &str) -> Vec<Received> {
        let script = self.script.lock().unwrap();
        script
            .seen
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits until `path` has seen `count` requests (panics after `secs`).
    pub async fn wait_for(&self, path: &str, count: usize, secs: u64) -> Vec<Received> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let seen = self.seen(path);
            if seen.len() >= count {
                return seen;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{path}: {} of {count} requests after {secs} s",
                seen.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// An address where nothing listens: a dead receiver.
pub async fn dead_address() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    format!("http://{address}")
}
