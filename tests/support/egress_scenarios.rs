//! SEC-40 test fixtures: a canary HTTP server on 127.0.0.2 (Linux routes all of 127.0.0.0/8
//! to the loopback interface) that counts every connection it accepts, and a scenario
//! server on 127.0.0.1 whose pages lead yt-dlp to the canary in different ways.
//!
//! ```ignore
//! #[path = "../support/egress_scenarios.rs"]
//! mod egress_scenarios;
//! ```
//! Scenario routes (see `SCENARIOS`):
//! - `/redirect` 302 to the canary
//! - `/refresh.html` a `<meta http-equiv="refresh">` to the canary
//! - `/stream.m3u8` an HLS playlist whose segment is on the canary
//! - `/embed.html` a page with one `<audio src>` on the canary
//! - `/encrypted.m3u8` an AES-128 HLS playlist whose key is on the canary (with no AES
//!   library in yt-dlp's environment, yt-dlp hands this one to ffmpeg)
//! - `/thumbnail.html` a page whose audio is here and whose `og:image` is on the canary
//!   (fetched when yt-dlp runs with `--embed-thumbnail`)
//! - `/rtmp.html` a page with one `<audio src="rtmp://…">` on the canary's port
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The routes that must never reach a refused canary, each a different way there.
pub const SCENARIOS: &[&str] = &[
    "/redirect",
    "/refresh.html",
    "/stream.m3u8",
    "/embed.html",
    "/encrypted.m3u8",
];

/// An HTTP server on 127.0.0.2 that answers every GET with the tagged mp3 fixture and
/// counts each connection it accepts, whatever comes over it.
pub struct Canary {
    pub base: String,
    pub port: u16,
    connections: Arc<AtomicUsize>,
}

impl Canary {
    pub async fn start() -> Canary {
        let listener = TcpListener::bind("127.0.0.2:0")
            .await
            .expect("bind 127.0.0.2 (Linux routes 127.0.0.0/8 to lo)");
        let port = listener.local_addr().unwrap().port();
        let connections = Arc::new(AtomicUsize::new(0));
        let counted = connections.clone();
        let mp3 = std::fs::read(&crate::media_server::fixtures().tagged_mp3).unwrap();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counted.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(answer(stream, "audio/mpeg", mp3.clone(), None));
            }
        });
        Canary {
            base: format!("http://127.0.0.2:{port}"),
            port,
            connections,
        }
    }

    /// How many connections reached the canary.
    pub fn hits(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// Pages on 127.0.0.1 that lead to the canary.
pub struct Scenarios {
    pub base: String,
}

impl Scenarios {
    pub async fn start(canary: &Canary) -> Scenarios {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let canary_base = canary.base.clone();
        let canary_port = canary.port;
        let own_base = base.clone();
        let mp3 = std::fs::read(&crate::media_server::fixtures().tagged_mp3).unwrap();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let Some(path) = read_path(&mut stream).await else {
                    continue;
                };
                let to = format!("{canary_base}/song.mp3");
                let html = |body: String| (String::from("text/html"), body.into_bytes(), None);
                let (ctype, body, location) = match path.as_str() {
                    "/redirect" => ("text/plain".into(), Vec::new(), Some(to)),
                    "/refresh.html" => html(format!(
                        "<html><head><title>Refresh</title><meta http-equiv=\"refresh\" content=\"0; url={to}\"></head><body></body></html>"
                    )),
                    "/embed.html" => html(format!(
                        "<html><head><title>Embed</title></head><body><audio src=\"{to}\"></audio></body></html>"
                    )),
                    "/thumbnail.html" => html(format!(
                        "<html><head><title>Thumbnail</title><meta property=\"og:image\" content=\"{canary_base}/cover.jpg\"></head><body><audio src=\"{own_base}/segment0.mp3\"></audio></body></html>"
                    )),
                    "/rtmp.html" => html(format!(
                        "<html><head><title>Rtmp</title></head><body><audio src=\"rtmp://127.0.0.2:{canary_port}/live/x\"></audio></body></html>"
                    )),
                    "/stream.m3u8" => (
                        "application/vnd.apple.mpegurl".into(),
                        format!(
                            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXTINF:3.0,\n{canary_base}/segment0.mp3\n#EXT-X-ENDLIST\n"
                        )
                        .into_bytes(),
                        None,
                    ),
                    "/encrypted.m3u8" => (
                        "application/vnd.apple.mpegurl".into(),
                        format!(
                            "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:4\n#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-KEY:METHOD=AES-128,URI=\"{canary_base}/key\"\n#EXTINF:3.0,\n{own_base}/segment0.mp3\n#EXT-X-ENDLIST\n"
                        )
                        .into_bytes(),
                        None,
                    ),
                    "/segment0.mp3" => ("audio/mpeg".into(), mp3.clone(), None),
                    _ => ("text/plain".into(), b"not found".to_vec(), None),
                };
                tokio::spawn(async move {
                    let status = if location.is_some() {
                        "302 Found"
                    } else {
                        "200 OK"
                    };
                    respond(stream, status, &ctype, &body, location.as_deref()).await;
                });
            }
        });
        Scenarios { base }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }
}

async fn read_path(stream: &mut TcpStream) -> Option<String> {
    let mut head = Vec::new();
    let mut buffer = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let n = stream.read(&mut buffer).await.ok()?;
        if n == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buffer[..n]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let target = head.lines().next()?.split_whitespace().nth(1)?.to_owned();
    Some(target.split('?').next().unwrap_or("/").to_owned())
}

async fn answer(mut stream: TcpStream, ctype: &str, body: Vec<u8>, location: Option<&str>) {
    if read_path(&mut stream).await.is_none() {
        return;
    }
    respond(stream, "200 OK", ctype, &body, location).await;
}

async fn respond(
    mut stream: TcpStream,
    status: &str,
    ctype: &str,
    body: &[u8],
    location: Option<&str>,
) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(location) = location {
        head.push_str(&format!("Location: {location}\r\n"));
    }
    head.push_str("\r\n");
    let _ = stream.write_all(head.as_bytes()).await;
    let _ = stream.write_all(body).await;
    let _ = stream.shutdown().await;
}
