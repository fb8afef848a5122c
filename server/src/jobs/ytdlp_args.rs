//! The yt-dlp argument vector (SEC-1, SEC-2, SEC-3). The host builds it; plugin options
//! have passed `domain::ytdlp_options` (the one allowlist) before they get here.

use std::ffi::OsString;
use std::path::Path;

use super::model::AudioFormat;

/// Everything the host decides for one yt-dlp run.
#[derive(Debug, Clone)]
pub struct YtDlpInvocation<'a> {
    pub url: &'a str,
    pub temp_dir: &'a Path,
    pub ffmpeg_location: &'a Path,
    /// Deno: yt-dlp gets this runtime and no other (`js_runtime_args`).
    pub js_runtime: &'a Path,
    pub format: AudioFormat,
    /// Already validated with `domain::ytdlp_options::validate_plugin_options`.
    pub plugin_options: &'a [String],
    /// yt-dlp skips a format whose announced size is larger (SEC-41; the host also
    /// measures what is written, for streams that announce nothing).
    pub max_file_bytes: u64,
    /// The job's egress proxy URL, credential included (SEC-40).
    pub proxy: &'a str,
}

/// SEC-40: the protocols a chosen format may use. Everything else (rtmp, rtsp, mms, f4m, …)
/// would be fetched by a tool that opens its own sockets, past the egress proxy. A merged
/// format's protocol reads `https+m3u8_native`.
pub const ALLOWED_PROTOCOLS_FILTER: &str = "protocol~='^(https?|m3u8(_native)?|http_dash_segments(_generator)?)(\\+(https?|m3u8(_native)?|http_dash_segments(_generator)?))*$'";

/// The options that keep every request of yt-dlp on the egress proxy (SEC-40; the module
/// doc of `net::egress_proxy` says why they hold).
fn egress_args(proxy: &str) -> [OsString; 6] {
    [
        "--proxy".into(),
        proxy.into(),
        // HLS and DASH fetched by yt-dlp itself, through the proxy, not by ffmpeg.
        "--downloader".into(),
        "native".into(),
        // A breaking filter: rejected formats stop yt-dlp (exit 101). Regular
        // `--match-filters` are OR-ed with each other, so this one must stay the only
        // breaking filter or be merged with the next one into a single expression.
        "--break-match-filters".into(),
        ALLOWED_PROTOCOLS_FILTER.into(),
    ]
}

/// The file name (without extension) yt-dlp writes inside the job's temp folder; the final
/// name comes from the server's template, never from the site.
pub const TEMP_STEM: &str = "download";

/// Builds yt-dlp's argv (without the program). The URL is last, after `--`, so it can never
/// be read as an option (SEC-1).
pub fn build_args(inv: &YtDlpInvocation<'_>) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &str| a.push(s.into());
    for s in ["--ignore-config", "--no-plugin-dirs"] {
        push(s);
    }
    a.extend(egress_args(inv.proxy));
    let mut push = |s: &str| a.push(s.into());
    for s in [
        "--no-cache-dir",
        "--no-mtime",
        "--newline",
        // `--print` implies quiet mode, which hides the lines that say why yt-dlp skipped a
        // download (a live stream, a size over --max-filesize; SEC-41): keep them.
        "--no-quiet",
        "--progress",
        "--color",
        "never",
        "--no-playlist",
        "--no-write-info-json",
        "--socket-timeout",
        "30",
        "--retries",
        "3",
        "--progress-template",
        "download:[p] %(progress)j",
        "--progress-template",
        "postprocess:[pp] %(progress.postprocessor)j",
        "--print",
        "after_move:[done] %(.{filepath,title})j",
        "--output",
        "download.%(ext)s",
    ] {
        push(s);
    }
    // SEC-41: no live streams, nothing announced as larger than the limit.
    a.extend([
        "--match-filter".into(),
        "!is_live".into(),
        "--max-filesize".into(),
        inv.max_file_bytes.to_string().into(),
    ]);
    a.push("--paths".into());
    a.push(inv.temp_dir.as_os_str().to_owned());
    a.push("--ffmpeg-location".into());
    a.push(inv.ffmpeg_location.as_os_str().to_owned());
    a.extend(js_runtime_args(inv.js_runtime));
    for o in inv.plugin_options {
        a.push(o.into());
    }
    // The user's format choice comes after the plugin's options: yt-dlp's last one wins.
    match inv.format.extension() {
        None => {
            // "best": audio only where the site offers it, extracted without re-encoding.
            if !inv
                .plugin_options
                .iter()
                .any(|o| o == "-f" || o.starts_with("--format"))
            {
                a.extend(["-f".into(), "bestaudio/best".into()]);
            }
        }
        Some(ext) => {
            a.extend([
                "--extract-audio".into(),
                "--audio-format".into(),
                ext.into(),
            ]);
        }
    }
    a.push("--".into());
    a.push(inv.url.into());
    a
}

/// Everything the host decides for one flat listing of a set.
#[derive(Debug, Clone)]
pub struct ListingInvocation<'a> {
    pub url: &'a str,
    /// Deno, as for downloads.
    pub js_runtime: &'a Path,
    /// Already validated with `domain::ytdlp_options::validate_plugin_options`; the
    /// playlist-item options among them choose what is listed.
    pub plugin_options: &'a [String],
    /// The job's egress proxy URL, credential included (SEC-40).
    pub proxy: &'a str,
}

/// Builds the argv of yt-dlp's flat listing (`--flat-playlist --dump-single-json`): the same
/// rules as a download (SEC-1 config and plugins off, URL after `--`; SEC-40 every request
/// through the job's proxy), nothing written to disk, one JSON document on stdout.
pub fn build_listing_args(inv: &ListingInvocation<'_>) -> Vec<OsString> {
    let mut a: Vec<OsString> = vec!["--ignore-config".into(), "--no-plugin-dirs".into()];
    a.extend(egress_args(inv.proxy));
    for s in [
        "--no-cache-dir",
        "--color",
        "never",
        "--socket-timeout",
        "30",
        "--retries",
        "3",
        "--flat-playlist",
        "--dump-single-json",
        "--no-write-info-json",
    ] {
        a.push(s.into());
    }
    a.extend(js_runtime_args(inv.js_runtime));
    for o in inv.plugin_options {
        a.push(o.into());
    }
    // After the plugin's options, so an allowed `--no-playlist` among them cannot turn the
    // listing of a set into a listing of one item (yt-dlp's last flag wins).
    a.push("--yes-playlist".into());
    a.push("--".into());
    a.push(inv.url.into());
    a
}

/// The arguments that point yt-dlp at the configured JavaScript runtime and at nothing else,
/// and that forbid it to fetch challenge scripts from the network (the pinned yt-dlp-ejs
/// package provides them).
pub fn js_runtime_args(js_runtime: &Path) -> [std::ffi::OsString; 4] {
    let mut runtime = std::ffi::OsString::from("deno:");
    runtime.push(js_runtime.as_os_str());
    [
        "--no-js-runtimes".into(),
        "--js-runtimes".into(),
        runtime,
        "--no-remote-components".into(),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }
    #[test]
    fn the_host_builds_a_safe_argv_sec_1_sec_2() {
        let plugin = strings(&["-f", "bestaudio"]);
        let args = build_args(&YtDlpInvocation {
            url: "https://example.com/--exec",
            temp_dir: Path::new("/out/.incomplete/j"),
            ffmpeg_location: Path::new("/usr/bin/ffmpeg"),
            js_runtime: Path::new("/opt/tools/bin/deno"),
            format: AudioFormat::Mp3,
            plugin_options: &plugin,
            max_file_bytes: 1 << 20,
            proxy: "http://job:secret@127.0.0.1:9",
        });
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(args[0], "--ignore-config");
        assert_eq!(args[1], "--no-plugin-dirs");
        assert_eq!(&args[2..4], ["--proxy", "http://job:secret@127.0.0.1:9"]);
        assert_eq!(
            &args[args.len() - 2..],
            ["--", "https://example.com/--exec"]
        );
        assert!(!args.iter().any(|a| a.contains("enable-file-urls")));
        assert!(
            !args
                .iter()
                .any(|a| a == "--exec" || a.starts_with("--cookies"))
        );
        let paths = args.iter().position(|a| a == "--paths").unwrap();
        assert_eq!(args[paths + 1], "/out/.incomplete/j");
        let filter = args.iter().position(|a| a == "--match-filter").unwrap();
        assert_eq!(
            args[filter + 1],
            "!is_live",
            "live streams refused (SEC-41)"
        );
        let size = args.iter().position(|a| a == "--max-filesize").unwrap();
        assert_eq!(args[size + 1], "1048576");
        let audio = args.iter().position(|a| a == "--audio-format").unwrap();
        assert_eq!(args[audio + 1], "mp3");
        // Only the configured runtime, and no challenge scripts fetched from the network.
        let runtimes = args.iter().position(|a| a == "--no-js-runtimes").unwrap();
        assert_eq!(
            &args[runtimes..runtimes + 4],
            [
                "--no-js-runtimes",
                "--js-runtimes",
                "deno:/opt/tools/bin/deno",
                "--no-remote-components"
            ]
        );
    }

    #[test]
    fn a_flat_listing_follows_the_download_rules_sec_1_sec_40() {
        let plugin = strings(&["-I", "1:3"]);
        let args = build_listing_args(&ListingInvocation {
            url: "https://example.com/--exec",
            js_runtime: Path::new("/opt/tools/bin/deno"),
            plugin_options: &plugin,
            proxy: "http://job:secret@127.0.0.1:9",
        });
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(
            &args[..4],
            [
                "--ignore-config",
                "--no-plugin-dirs",
                "--proxy",
                "http://job:secret@127.0.0.1:9"
            ]
        );
        assert_eq!(
            &args[args.len() - 2..],
            ["--", "https://example.com/--exec"]
        );
        for needed in [
            "--flat-playlist",
            "--dump-single-json",
            "--yes-playlist",
            "--break-match-filters",
        ] {
            assert!(args.iter().any(|a| a == needed), "{needed}");
        }
        assert!(
            !args
                .iter()
                .any(|a| a == "--no-playlist" || a.contains("enable-file-urls"))
        );
        assert!(
            !args.iter().any(|a| a == "--output" || a == "--paths"),
            "nothing is written"
        );
        let items = args.iter().position(|a| a == "-I").unwrap();
        assert_eq!(args[items + 1], "1:3");
    }

    #[test]
    fn a_plugins_no_playlist_cannot_turn_a_listing_into_one_item() {
        let plugin = strings(&["--no-playlist"]);
        let args = build_listing_args(&ListingInvocation {
            url: "https://example.com/set",
            js_runtime: Path::new("/opt/tools/bin/deno"),
            plugin_options: &plugin,
            proxy: "http://job:secret@127.0.0.1:9",
        });
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        let theirs = args.iter().position(|a| a == "--no-playlist").unwrap();
        let ours = args.iter().rposition(|a| a == "--yes-playlist").unwrap();
        assert!(ours > theirs, "yt-dlp's last flag wins: {args:?}");
    }

    #[test]
    fn ytdlp_goes_through_the_job_proxy_with_native_downloads_only_sec_40() {
        let args = build_args(&YtDlpInvocation {
            url: "https://example.com/a",
            temp_dir: Path::new("/out/.incomplete/j"),
            ffmpeg_location: Path::new("/usr/bin/ffmpeg"),
            js_runtime: Path::new("/opt/tools/bin/deno"),
            format: AudioFormat::Best,
            plugin_options: &[],
            max_file_bytes: 1 << 20,
            proxy: "http://job:secret@127.0.0.1:9",
        });
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        let count = |name: &str| args.iter().filter(|a| a.as_str() == name).count();
        assert_eq!(count("--proxy"), 1);
        let downloader = args.iter().position(|a| a == "--downloader").unwrap();
        assert_eq!(args[downloader + 1], "native");
        // Match filters OR with each other: exactly one breaking filter, the protocol rule.
        assert_eq!(count("--break-match-filters"), 1);
        let filter = args
            .iter()
            .position(|a| a == "--break-match-filters")
            .unwrap();
        assert_eq!(args[filter + 1], ALLOWED_PROTOCOLS_FILTER);
        assert!(!args.iter().any(|a| a.starts_with("--hls-prefer-ffmpeg")));
        assert!(!args.iter().any(|a| a == "--external-downloader"));
    }
}
