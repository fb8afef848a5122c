//! The yt-dlp argument vector (SEC-1, SEC-2, SEC-3). The host builds it; plugin options
//! pass an allowlist of exact spellings, and a denylist is checked first so that widening
//! the allowlist later can never let a dangerous option through. yt-dlp accepts any
//! unambiguous prefix of a long option (`--exe` means `--exec`) and bundled short flags
//! (`-xa FILE`), so both are treated as the option they could mean.

use std::ffi::OsString;
use std::path::Path;

use super::model::AudioFormat;

/// Long options a plugin may never pass, nor any prefix or extension of them.
const FORBIDDEN_LONG: &[&str] = &[
    "--exec",
    "--exec-before-download",
    "--netrc",
    "--netrc-cmd",
    "--netrc-location",
    "--downloader",
    "--downloader-args",
    "--external-downloader",
    "--external-downloader-args",
    "--postprocessor-args",
    "--ppa",
    "--use-postprocessor",
    "--config-location",
    "--config-locations",
    "--load-info-json",
    "--batch-file",
    "--cookies",
    "--cookies-from-browser",
    "--plugin-dirs",
    "--print-to-file",
    "--output",
    "--paths",
    "--proxy",
    "--geo-verification-proxy",
    "--ffmpeg-location",
    "--update",
    "--update-to",
    "--enable-file-urls",
    "--username",
    "--password",
    "--video-password",
    "--ap-username",
    "--ap-password",
    "--client-certificate",
    "--client-certificate-key",
    "--write-info-json",
    "--print",
    "--source-address",
];

/// Short options a plugin may never pass, alone or bundled (`-a`, `-o`, `-P`, `-U`, and the
/// credential ones `-u`/`-p`/`-n`).
const FORBIDDEN_SHORT: &[char] = &['a', 'o', 'P', 'U', 'u', 'p', 'n', 'O'];

/// (spelling, takes a value)
const ALLOWED: &[(&str, bool)] = &[
    ("-f", true),
    ("--format", true),
    ("-S", true),
    ("--format-sort", true),
    ("-x", false),
    ("--extract-audio", false),
    ("--audio-format", true),
    ("--audio-quality", true),
    ("--embed-metadata", false),
    ("--add-metadata", false),
    ("--no-embed-metadata", false),
    ("--embed-thumbnail", false),
    ("--no-embed-thumbnail", false),
    ("-I", true),
    ("--playlist-items", true),
    ("--yes-playlist", false),
    ("--no-playlist", false),
];

const MAX_VALUE_BYTES: usize = 256;

/// Why plugin options were refused; safe to log, not shown raw to users.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OptionRejection {
    #[error("forbidden yt-dlp option {0:?}")]
    Forbidden(String),
    #[error("yt-dlp option {0:?} is not on the allowlist")]
    NotAllowed(String),
    #[error("yt-dlp option {0:?} needs a value")]
    MissingValue(String),
    #[error("bad value for yt-dlp option {0:?}")]
    BadValue(String),
    #[error("unexpected argument {0:?}: plugins pass options only")]
    Positional(String),
}

/// True if `token` names, abbreviates or bundles a forbidden option.
pub fn is_forbidden(token: &str) -> bool {
    if let Some(long) = token.strip_prefix("--") {
        let name = format!("--{}", long.split('=').next().unwrap_or(""));
        if name == "--" {
            return true; // a plugin must not end option parsing and add its own URL
        }
        return FORBIDDEN_LONG
            .iter()
            .any(|f| f.starts_with(name.as_str()) || name.starts_with(f));
    }
    if let Some(short) = token.strip_prefix('-') {
        return short.chars().any(|c| FORBIDDEN_SHORT.contains(&c));
    }
    false
}

/// Checks plugin options and returns them unchanged if every one is allowed.
pub fn validate_plugin_options(options: &[String]) -> Result<Vec<String>, OptionRejection> {
    let mut out = Vec::with_capacity(options.len());
    let mut iter = options.iter();
    while let Some(token) = iter.next() {
        if !token.starts_with('-') {
            return Err(OptionRejection::Positional(token.clone()));
        }
        if is_forbidden(token) {
            return Err(OptionRejection::Forbidden(token.clone()));
        }
        let (name, inline) = match token.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v)),
            _ => (token.as_str(), None),
        };
        let Some(&(_, takes_value)) = ALLOWED.iter().find(|(a, _)| *a == name) else {
            return Err(OptionRejection::NotAllowed(token.clone()));
        };
        match (takes_value, inline) {
            (false, None) => out.push(token.clone()),
            (false, Some(_)) => return Err(OptionRejection::BadValue(token.clone())),
            (true, Some(v)) => {
                check_value(name, v)?;
                out.push(token.clone());
            }
            (true, None) => {
                let v = iter
                    .next()
                    .ok_or_else(|| OptionRejection::MissingValue(token.clone()))?;
                check_value(name, v)?;
                out.push(token.clone());
                out.push(v.clone());
            }
        }
    }
    Ok(out)
}

fn check_value(name: &str, value: &str) -> Result<(), OptionRejection> {
    // A value starting with '-' is harmless to yt-dlp's parser, but refusing it keeps every
    // option-looking token under the denylist's eye.
    if value.is_empty()
        || value.len() > MAX_VALUE_BYTES
        || value.starts_with('-')
        || value.chars().any(char::is_control)
    {
        return Err(OptionRejection::BadValue(name.to_string()));
    }
    Ok(())
}

/// Everything the host decides for one yt-dlp run.
#[derive(Debug, Clone)]
pub struct YtDlpInvocation<'a> {
    pub url: &'a str,
    pub temp_dir: &'a Path,
    pub ffmpeg_location: &'a Path,
    /// Deno: yt-dlp gets this runtime and no other (`tools::js_runtime_args`).
    pub js_runtime: &'a Path,
    pub format: AudioFormat,
    /// Already validated with `validate_plugin_options`.
    pub plugin_options: &'a [String],
}

/// The file name (without extension) yt-dlp writes inside the job's temp folder; the final
/// name comes from the server's template, never from the site.
pub const TEMP_STEM: &str = "download";

/// Builds yt-dlp's argv (without the program). The URL is last, after `--`, so it can never
/// be read as an option (SEC-1).
pub fn build_args(inv: &YtDlpInvocation<'_>) -> Vec<OsString> {
    let mut a: Vec<OsString> = Vec::new();
    let mut push = |s: &str| a.push(s.into());
    for s in [
        "--ignore-config",
        "--no-plugin-dirs",
        "--proxy",
        "",
        "--no-cache-dir",
        "--no-mtime",
        "--newline",
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
    a.push("--paths".into());
    a.push(inv.temp_dir.as_os_str().to_owned());
    a.push("--ffmpeg-location".into());
    a.push(inv.ffmpeg_location.as_os_str().to_owned());
    a.extend(super::tools::js_runtime_args(inv.js_runtime));
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

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn allowlisted_options_pass_sec_3() {
        let ok = strings(&[
            "-f",
            "bestaudio",
            "--format=ba[ext=m4a]",
            "-x",
            "--audio-format",
            "mp3",
            "--audio-quality=0",
            "--embed-metadata",
            "--embed-thumbnail",
            "--add-metadata",
            "--playlist-items",
            "1:3",
            "--yes-playlist",
            "--no-playlist",
            "-S",
            "abr",
        ]);
        assert_eq!(validate_plugin_options(&ok).unwrap(), ok);
    }

    #[test]
    fn denylisted_options_are_refused_in_every_spelling_sec_3() {
        let attacks = [
            "--exec",
            "--exec=touch pwned",
            "--exe",
            "--ex",
            "--exec-before-download",
            "--netrc-cmd=x",
            "--netrc",
            "--downloader",
            "--downloader-args",
            "--downloader=aria2c",
            "--external-downloader",
            "--postprocessor-args",
            "--ppa",
            "--use-postprocessor",
            "--use-post",
            "--config-location",
            "--config-locations=/etc",
            "--config",
            "--load-info-json",
            "--load-info",
            "-a",
            "--batch-file=/etc/passwd",
            "--batch",
            "--cookies",
            "--cookies=/x",
            "--cookies-from-browser",
            "--cook",
            "--plugin-dirs",
            "--plugin-dirs=/tmp",
            "--print-to-file",
            "-o",
            "-o/tmp/x",
            "--output=/x",
            "--out",
            "-P",
            "-P/tmp",
            "--paths",
            "--proxy",
            "--proxy=",
            "--ffmpeg-location",
            "--ffmpeg",
            "-U",
            "--update",
            "--update-to=nightly",
            "--upd",
            "-xU",
            "-xa",
            "-xo",
            "--enable-file-urls",
            "--enable-file",
            "--",
            "--=x",
            "-O",
            "--print",
        ];
        for attack in attacks {
            assert!(is_forbidden(attack), "{attack} not flagged");
            let err = validate_plugin_options(&strings(&[attack, "value"])).unwrap_err();
            assert!(
                matches!(err, OptionRejection::Forbidden(_)),
                "{attack}: {err:?}"
            );
        }
    }

    #[test]
    fn anything_else_is_refused_too_sec_3() {
        for bad in [
            &["--write-comments"][..],
            &["https://evil.example/x"],
            &["-f"],
            &["-f", "--exec"],
            &["-f", "a\nb"],
            &["--audio-format"],
            &["-x=1"],
            &["--extract-audio=yes"],
            &["-fbestaudio"],
            &["--enable-file-url"],
        ] {
            assert!(
                validate_plugin_options(&strings(bad)).is_err(),
                "{bad:?} accepted"
            );
        }
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
        });
        let args: Vec<String> = args.into_iter().map(|a| a.into_string().unwrap()).collect();
        assert_eq!(args[0], "--ignore-config");
        assert_eq!(args[1], "--no-plugin-dirs");
        assert_eq!(&args[2..4], ["--proxy", ""]);
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
}
