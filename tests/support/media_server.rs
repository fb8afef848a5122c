//! A local HTTP media server for tests, on 127.0.0.1 with an OS-chosen port, serving
//! fixtures that real ffmpeg generates on first use (cached under the target folder).
//!
//! Use it from any test crate:
//! ```ignore
//! #[path = "../support/media_server.rs"]
//! mod media_server;
//! let server = media_server::MediaServer::start().await;
//! let url = server.url("/tagged.mp3");
//! ```
//! Routes (GET and HEAD):
//! - `/tagged.mp3`  3 s sine, ID3 title "Fixture Song", artist "Fixture Artist", album "Fixture Album"
//! - `/untagged.mp3` the same sound with no tags at all
//! - `/song.m4a`, `/song.flac`  tagged "Fixture M4A"/"Fixture FLAC", artist "Fixture Artist"
//! - `/download.bin` the tagged mp3 as `application/octet-stream` (no usable extension)
//! - `/page.html`  an HTML page with `<audio src="/tagged.mp3">` (yt-dlp's generic extractor)
//! - `/playlist.html` a page with two `<audio>` elements (tagged mp3 and m4a)
//! - `/not-audio.mp3` an HTML page that pretends to be an mp3 by its name
//! - `/fake.mp3` an HTML page served as `audio/mpeg`
//! - `/redirect` 302 to `/tagged.mp3`
//! - `/redirect-private` 302 to `http://0.0.0.0:<port>/tagged.mp3`: a non-public address that
//!   still only reaches this machine, so a policy bug can never send traffic off the host
//! - `/slow.mp3` an endless mp3 stream (no Content-Length, ~80 KB/s) for cancel tests
//! - `/live.m3u8` an HLS playlist without `#EXT-X-ENDLIST` (a live stream to yt-dlp)
//! - `/feed.xml` a podcast RSS feed, "Fixture Radio" by "Fixture Host", whose three items
//!   ("Episode One/Two/Three", with guids) enclose `/tagged.mp3`, `/untagged.mp3`, `/song.m4a`
//! - `/feed-private.xml` the same feed with a second item on `http://0.0.0.0:<port>/` (SEC-4)
//! - anything else: 404
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Metadata written into the tagged fixtures.
pub const TITLE: &str = "Fixture Song";
pub const ARTIST: &str = "Fixture Artist";
pub const ALBUM: &str = "Fixture Album";

/// Generated fixture files.
#[derive(Debug, Clone)]
pub struct Fixtures {
    pub tagged_mp3: PathBuf,
    /// Tagged like `tagged_mp3`, with an embedded 320×180 (not square) JPEG front cover.
    pub covered_mp3: PathBuf,
    /// That 320×180 JPEG on its own (served as `/cover.jpg`, a site's thumbnail).
    pub cover_jpg: PathBuf,
    pub untagged_mp3: PathBuf,
    pub m4a: PathBuf,
    pub flac: PathBuf,
}

/// The project's tool environment (`scripts/setup-tools.sh`): `$TOOLS_DIRECTORY`, else the
/// repository's `.venv`. Tests fail loudly without it rather than skip, so CI cannot pass
/// without the real tools.
pub fn tools_directory() -> PathBuf {
    let dir = std::env::var_os("TOOLS_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../.venv"));
    assert!(
        dir.join("bin/yt-dlp").is_file(),
        "no tool environment at {}: run `scripts/setup-tools.sh` (or set TOOLS_DIRECTORY) before these tests",
        dir.display()
    );
    dir
}

/// One of the tools: yt-dlp, deno, ffmpeg or ffprobe.
pub fn tool(name: &str) -> PathBuf {
    tools_directory().join("bin").join(name)
}

/// The ffmpeg binary: `$FFMPEG_PATH`, else the tool environment's.
pub fn ffmpeg_path() -> PathBuf {
    std::env::var_os("FFMPEG_PATH")
        .map(PathBuf::from)
        .unwrap_or_else(|| tool("ffmpeg"))
}

/// Generates the fixtures once per cache folder (bump the folder's version when they change).
pub fn fixtures() -> &'static Fixtures {
    static FIXTURES: OnceLock<Fixtures> = OnceLock::new();
    FIXTURES.get_or_init(|| {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("media-fixtures-v1");
        std::fs::create_dir_all(&dir).expect("create fixture folder");
        let sine = [
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=3",
            "-ac",
            "2",
        ];
        let tags = |title: &str| {
            vec![
                "-metadata".to_string(),
                format!("title={title}"),
                "-metadata".to_string(),
                format!("artist={ARTIST}"),
                "-metadata".to_string(),
                format!("album={ALBUM}"),
            ]
        };
        let mut mp3_tags = tags(TITLE);
        mp3_tags.extend(["-id3v2_version".into(), "3".into()]);
        let untagged: Vec<String> = [
            "-fflags",
            "+bitexact",
            "-map_metadata",
            "-1",
            "-id3v2_version",
            "0",
            "-write_id3v1",
            "0",
            "-write_xing",
            "0",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        // A 320×180 picture: not square, so the server must crop it.
        let cover = generate(
            &dir,
            "cover-320x180.jpg",
            &["-f", "lavfi", "-i", "color=c=0x3050a0:s=320x180:d=1"],
            &["-frames:v", "1"],
            &[],
        );
        Fixtures {
            tagged_mp3: generate(
                &dir,
                "tagged.mp3",
                &sine,
                &["-c:a", "libmp3lame", "-b:a", "64k"],
                &mp3_tags,
            ),
            cover_jpg: cover.clone(),
            covered_mp3: generate(
                &dir,
                "covered.mp3",
                &[
                    "-f",
                    "lavfi",
                    "-i",
                    "sine=frequency=440:duration=3",
                    "-i",
                    cover.to_str().expect("fixture paths are UTF-8"),
                ],
                &[
                    "-map",
                    "0:a",
                    "-map",
                    "1:v",
                    "-ac",
                    "2",
                    "-c:a",
                    "libmp3lame",
                    "-b:a",
                    "64k",
                    "-c:v",
                    "copy",
                    "-disposition:v",
                    "attached_pic",
                    "-metadata:s:v",
                    "comment=Cover (front)",
                ],
                &mp3_tags,
            ),
            untagged_mp3: generate(
                &dir,
                "untagged.mp3",
                &sine,
                &["-c:a", "libmp3lame", "-b:a", "64k"],
                &untagged,
            ),
            m4a: generate(
                &dir,
                "song.m4a",
                &sine,
                &["-c:a", "aac", "-b:a", "64k"],
                &tags("Fixture M4A"),
            ),
            flac: generate(
                &dir,
                "song.flac",
                &sine,
                &["-c:a", "flac"],
                &tags("Fixture FLAC"),
            ),
        }
    })
}

fn generate(dir: &Path, name: &str, input: &[&str], codec: &[&str], extra: &[String]) -> PathBuf {
    let target = dir.join(name);
    if target.is_file() {
        return target;
    }
    // Written under a unique name, then renamed: test binaries may race to create it.
    let (stem, ext) = name.rsplit_once('.').unwrap();
    let tmp = dir.join(
        format!(
            "{stem}.tmp-{}-{:?}.{ext}",
            std::process::id(),
            std::thread::current().id()
        )
        .replace(['(', ')'], ""),
    );
    let status = Command::new(ffmpeg_path())
        .args(["-nostdin", "-loglevel", "error", "-y"])
        .args(input)
        .args(codec)
        .args(extra)
        .arg(&tmp)
        .status()
        .unwrap_or_else(|e| panic!("ffmpeg is needed for the test fixtures (apt-get install -y ffmpeg, or set FFMPEG_PATH): {e}"));
    assert!(status.success(), "ffmpeg failed to generate {name}");
    std::fs::rename(&tmp, &target).expect("move fixture into place");
    target
}

/// A running media server; it stops with the test's runtime.
pub struct MediaServer {
    pub base: String,
    pub port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

impl MediaServer {
    pub async fn start() -> MediaServer {
        let fixtures = fixtures().clone();
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind media server");
        let port = listener.local_addr().unwrap().port();
        let hits = Arc::new(Mutex::new(HashMap::new()));
        let state = Arc::new(State {
            fixtures,
            port,
            hits: hits.clone(),
        });
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(handle(stream, state.clone()));
            }
        });
        MediaServer {
            base: format!("http://127.0.0.1:{port}"),
            port,
            hits,
        }
    }

    /// The absolute URL of a route.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// How many requests a path (without query) has received.
    pub fn hits(&self, path: &str) -> usize {
        self.hits.lock().unwrap().get(path).copied().unwrap_or(0)
    }
}

struct State {
    fixtures: Fixtures,
    port: u16,
    hits: Arc<Mutex<HashMap<String, usize>>>,
}

async fn handle(mut stream: TcpStream, state: Arc<State>) {
    let mut head = Vec::new();
    let mut buf = [0u8; 2048];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > 16 * 1024 {
            return;
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let mut parts = head.lines().next().unwrap_or("").split_whitespace();
    let method = parts.next().unwrap_or("").to_string();
    let target = parts.next().unwrap_or("/");
    let path = target.split('?').next().unwrap_or("/").to_string();
    *state.hits.lock().unwrap().entry(path.clone()).or_default() += 1;
    let head_only = method == "HEAD";

    let f = &state.fixtures;
    let file = |p: &Path| std::fs::read(p).expect("fixture readable");
    let (status, ctype, body, location): (&str, &str, Vec<u8>, Option<String>) = match path.as_str()
    {
        "/tagged.mp3" => ("200 OK", "audio/mpeg", file(&f.tagged_mp3), None),
        "/covered.mp3" => ("200 OK", "audio/mpeg", file(&f.covered_mp3), None),
        "/cover.jpg" => ("200 OK", "image/jpeg", file(&f.cover_jpg), None),
        "/untagged.mp3" => ("200 OK", "audio/mpeg", file(&f.untagged_mp3), None),
        "/song.m4a" => ("200 OK", "audio/mp4", file(&f.m4a), None),
        "/song.flac" => ("200 OK", "audio/flac", file(&f.flac), None),
        "/download.bin" => (
            "200 OK",
            "application/octet-stream",
            file(&f.tagged_mp3),
            None,
        ),
        "/page.html" => (
            "200 OK",
            "text/html; charset=utf-8",
            page("Fixture Page", &["/tagged.mp3"]),
            None,
        ),
        "/playlist.html" => (
            "200 OK",
            "text/html; charset=utf-8",
            page("Fixture Playlist", &["/tagged.mp3", "/song.m4a"]),
            None,
        ),
        "/not-audio.mp3" => (
            "200 OK",
            "text/html",
            b"<html>not audio</html>".to_vec(),
            None,
        ),
        "/fake.mp3" => (
            "200 OK",
            "audio/mpeg",
            b"<html>not audio at all</html>".to_vec(),
            None,
        ),
        "/redirect" => (
            "302 Found",
            "text/plain",
            Vec::new(),
            Some("/tagged.mp3".into()),
        ),
        "/album/redirect-private" => (
            "302 Found",
            "text/plain",
            Vec::new(),
            Some(format!("http://0.0.0.0:{}/album/private-feed.xml", state.port)),
        ),
        "/redirect-private" => (
            "302 Found",
            "text/plain",
            Vec::new(),
            Some(format!("http://0.0.0.0:{}/tagged.mp3", state.port)),
        ),
        "/slow.mp3" => return slow_stream(stream, file(&f.tagged_mp3), head_only).await,
        "/live.m3u8" => (
            "200 OK",
            "application/vnd.apple.mpegurl",
            // No #EXT-X-ENDLIST: a live stream, as yt-dlp sees it.
            b"#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXT-X-MEDIA-SEQUENCE:100\n\
              #EXTINF:2.0,\nseg100.ts\n#EXTINF:2.0,\nseg101.ts\n"
                .to_vec(),
            None,
        ),
        "/list.m3u" => (
            "200 OK",
            "audio/x-mpegurl",
            b"#EXTM3U\n#PLAYLIST:Fixture List\n#EXTINF:3,Fixture Artist - Fixture Song\n/tagged.mp3\n\
              #EXTINF:3,Fixture M4A\nsong.m4a\n"
                .to_vec(),
            None,
        ),
        "/list.pls" => (
            "200 OK",
            "audio/x-scpls",
            b"[playlist]\nFile1=/song.flac\nTitle1=Fixture FLAC\nLength1=3\nNumberOfEntries=1\nVersion=2\n"
                .to_vec(),
            None,
        ),
        "/slow-feed.xml" => (
            "200 OK",
            "application/rss+xml; charset=utf-8",
            feed(&[1, 2, 3].map(|n| {
                (
                    FEED_ITEMS[n - 1],
                    format!("http://127.0.0.1:{}/slow.mp3?n={n}", state.port),
                )
            })),
            None,
        ),
        // `/album/…` is what the set-router fixture plugin claims.
        "/feed.xml" | "/album/feed.xml" => (
            "200 OK",
            "application/rss+xml; charset=utf-8",
            feed(&[
                (
                    FEED_ITEMS[0],
                    format!("http://127.0.0.1:{}/covered.mp3", state.port),
                ),
                (
                    FEED_ITEMS[1],
                    format!("http://127.0.0.1:{}/untagged.mp3", state.port),
                ),
                (
                    FEED_ITEMS[2],
                    format!("http://127.0.0.1:{}/song.m4a", state.port),
                ),
            ]),
            None,
        ),
        "/feed-private.xml" => (
            "200 OK",
            "application/rss+xml; charset=utf-8",
            feed(&[
                (
                    FEED_ITEMS[0],
                    format!("http://127.0.0.1:{}/tagged.mp3", state.port),
                ),
                (
                    FEED_ITEMS[1],
                    format!("http://0.0.0.0:{}/untagged.mp3", state.port),
                ),
            ]),
            None,
        ),
        _ => ("404 Not Found", "text/plain", b"not found".to_vec(), None),
    };
    let mut response = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    if let Some(location) = location {
        response.push_str(&format!("Location: {location}\r\n"));
    }
    response.push_str("\r\n");
    let _ = stream.write_all(response.as_bytes()).await;
    if !head_only {
        let _ = stream.write_all(&body).await;
    }
    let _ = stream.shutdown().await;
}

/// The feed served at `/feed.xml`: its title, its author, and its items' titles.
pub const FEED_TITLE: &str = "Fixture Radio";
pub const FEED_AUTHOR: &str = "Fixture Host";
pub const FEED_ITEMS: [&str; 3] = ["Episode One", "Episode Two", "Episode Three"];

/// A podcast RSS feed whose items enclose `items`' URLs (yt-dlp's generic extractor lists it
/// as a playlist; the guids make it smuggle data into the entry URLs).
fn feed(items: &[(&str, String)]) -> Vec<u8> {
    let items: String = items
        .iter()
        .enumerate()
        .map(|(i, (title, url))| {
            format!(
                "<item><title>{title}</title><guid isPermaLink=\"false\">fixture-ep-{n}</guid>\
                 <enclosure url=\"{url}\" type=\"audio/mpeg\" length=\"1000\"/></item>\n",
                n = i + 1
            )
        })
        .collect();
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\" \
         xmlns:itunes=\"http://www.itunes.com/dtds/podcast-1.0.dtd\"><channel>\
         <title>{FEED_TITLE}</title><itunes:author>{FEED_AUTHOR}</itunes:author>\
         <link>http://127.0.0.1/</link><description>fixture feed</description>\n{items}</channel></rss>\n"
    )
    .into_bytes()
}

fn page(title: &str, sources: &[&str]) -> Vec<u8> {
    let audio: String = sources
        .iter()
        .map(|s| format!("<audio controls src=\"{s}\"></audio>\n"))
        .collect();
    format!("<!doctype html><html><head><title>{title}</title></head><body><h1>{title}</h1>\n{audio}</body></html>")
        .into_bytes()
}

/// Sends a real mp3 header, then mp3 frames forever, slowly, until the client goes away.
async fn slow_stream(mut stream: TcpStream, mp3: Vec<u8>, head_only: bool) {
    let head = "HTTP/1.1 200 OK\r\nContent-Type: audio/mpeg\r\nConnection: close\r\n\r\n";
    if stream.write_all(head.as_bytes()).await.is_err() || head_only {
        return;
    }
    let mut offset = 0;
    loop {
        let end = (offset + 4096).min(mp3.len());
        if stream.write_all(&mp3[offset..end]).await.is_err() {
            return;
        }
        offset = if end == mp3.len() { 0 } else { end };
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
