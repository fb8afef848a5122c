//! The smoke test's own web server on 127.0.0.1: a podcast feed with one item and the audio
//! file it points at. Nothing else is served; it stops when dropped.

use std::net::SocketAddr;
use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio_util::sync::{CancellationToken, DropGuard};

/// The largest request head read; the smoke test's requests are a few hundred bytes.
const MAX_REQUEST_HEAD: usize = 16 * 1024;

pub struct FixtureServer {
    pub address: SocketAddr,
    _stop: DropGuard,
}

impl FixtureServer {
    /// Serves `audio` (an mp3) as `/tone.mp3` and a feed listing it as `/feed.xml`.
    pub async fn start(audio: Vec<u8>) -> std::io::Result<FixtureServer> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let address = listener.local_addr()?;
        let feed = feed(&format!("http://{address}/tone.mp3")).into_bytes();
        let files = Arc::new((feed, audio));
        let stop = CancellationToken::new();
        let cancelled = stop.clone();
        tokio::spawn(async move {
            loop {
                let (stream, _) = tokio::select! {
                    _ = cancelled.cancelled() => return,
                    accepted = listener.accept() => match accepted {
                        Ok(a) => a,
                        Err(_) => continue,
                    },
                };
                tokio::spawn(serve(stream, files.clone()));
            }
        });
        Ok(FixtureServer {
            address,
            _stop: stop.drop_guard(),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

async fn serve(mut stream: tokio::net::TcpStream, files: Arc<(Vec<u8>, Vec<u8>)>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < MAX_REQUEST_HEAD {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
    }
    let line = String::from_utf8_lossy(&head);
    let mut words = line.split_whitespace();
    let (method, path) = (words.next().unwrap_or(""), words.next().unwrap_or(""));
    let (status, ctype, body): (&str, &str, &[u8]) = match path {
        "/feed.xml" => ("200 OK", "application/rss+xml; charset=utf-8", &files.0),
        "/tone.mp3" => ("200 OK", "audio/mpeg", &files.1),
        _ => ("404 Not Found", "text/plain", b"not found"),
    };
    let header = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    if stream.write_all(header.as_bytes()).await.is_err() {
        return;
    }
    if method != "HEAD" {
        let _ = stream.write_all(body).await;
    }
    let _ = stream.shutdown().await;
}

fn feed(audio_url: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
         <title>Smoke test</title><link>http://127.0.0.1/</link><description>yt-dlp smoke test</description>\n\
         <item><title>Tone</title><guid isPermaLink=\"false\">smoke-tone</guid>\
         <enclosure url=\"{audio_url}\" type=\"audio/mpeg\" length=\"1000\"/></item>\n</channel></rss>\n"
    )
}
