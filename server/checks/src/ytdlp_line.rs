//! Reads yt-dlp's machine-readable stdout lines.
//!
//! The host asks yt-dlp for three kinds of lines (see the server's `jobs/ytdlp_args.rs`):
//! `[p] {json}` per download progress tick, `[pp] "name"` per post-processing step, and
//! `[done] {json}` once the final file is in place (yt-dlp's `after_move` fields). Anything
//! else is ignored. The parser must never panic whatever the child prints (SEC-35, SEC-49).

use serde_json::Value;

use crate::progress::{Phase, Progress};

/// Longest line considered; longer ones are ignored (a hostile extractor could print a lot).
pub const MAX_LINE_BYTES: usize = 64 * 1024;

/// What one stdout line means.
#[derive(Debug, Clone, PartialEq)]
pub enum YtDlpLine {
    Progress(Progress),
    /// A post-processor is running; `converting` is false for ones that only move files.
    Postprocess {
        converting: bool,
    },
    /// The finished file, as yt-dlp reports it after the final move.
    Done {
        filepath: String,
        title: Option<String>,
    },
    Other,
}

/// Parses one stdout line from yt-dlp.
pub fn parse_ytdlp_line(line: &str) -> YtDlpLine {
    if line.len() > MAX_LINE_BYTES {
        return YtDlpLine::Other;
    }
    let line = line.trim_end_matches(['\r', '\n']);
    if let Some(json) = line.strip_prefix("[p] ") {
        return match serde_json::from_str::<Value>(json) {
            Ok(v) => YtDlpLine::Progress(progress_from_json(&v)),
            Err(_) => YtDlpLine::Other,
        };
    }
    if let Some(json) = line.strip_prefix("[pp] ") {
        // The post-processor's name, e.g. "ExtractAudio", "Metadata", "MoveFiles".
        let name = serde_json::from_str::<Value>(json).ok();
        let name = name.as_ref().and_then(Value::as_str).unwrap_or("");
        return YtDlpLine::Postprocess {
            converting: !name.starts_with("MoveFiles"),
        };
    }
    if let Some(json) = line.strip_prefix("[done] ")
        && let Ok(v) = serde_json::from_str::<Value>(json)
        && let Some(filepath) = v.get("filepath").and_then(Value::as_str)
    {
        let title = v.get("title").and_then(Value::as_str).map(str::to_owned);
        return YtDlpLine::Done {
            filepath: filepath.to_owned(),
            title,
        };
    }
    YtDlpLine::Other
}

/// Builds a `Progress` from yt-dlp's progress dict. yt-dlp reports `null`, floats or the
/// string "NA" for unknowns; only finite, non-negative numbers are kept.
fn progress_from_json(v: &Value) -> Progress {
    let num = |key: &str| {
        v.get(key)
            .and_then(Value::as_f64)
            .filter(|n| n.is_finite() && *n >= 0.0)
    };
    // f64 → u64 saturates in Rust, so huge values cannot wrap.
    let bytes = |key: &str| num(key).map(|n| n as u64);
    let downloaded = bytes("downloaded_bytes");
    let total = bytes("total_bytes").or_else(|| bytes("total_bytes_estimate"));
    let percent = match (downloaded, total) {
        (Some(d), Some(t)) if t > 0 => Some((d as f64 / t as f64 * 100.0).min(100.0)),
        _ => None,
    };
    // "finished" means the bytes are in; any conversion announces itself with `[pp]` lines.
    let phase = Phase::Downloading;
    Progress {
        downloaded_bytes: downloaded,
        total_bytes: total,
        percent,
        speed_bps: num("speed"),
        eta_seconds: num("eta"),
        phase,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_real_progress_line() {
        let line = r#"[p] {"status": "downloading", "downloaded_bytes": 1024, "total_bytes": 4096, "speed": 2048.5, "eta": 1, "elapsed": 0.5, "filename": "x.mp3"}"#;
        let YtDlpLine::Progress(p) = parse_ytdlp_line(line) else {
            panic!("not progress")
        };
        assert_eq!(p.downloaded_bytes, Some(1024));
        assert_eq!(p.total_bytes, Some(4096));
        assert_eq!(p.percent, Some(25.0));
        assert_eq!(p.speed_bps, Some(2048.5));
        assert_eq!(p.eta_seconds, Some(1.0));
        assert_eq!(p.phase, Phase::Downloading);
    }

    #[test]
    fn unknowns_and_nonsense_become_none() {
        let line = r#"[p] {"status": "downloading", "downloaded_bytes": -5, "total_bytes": null, "total_bytes_estimate": "NA", "speed": "fast", "eta": "NA"}"#;
        let YtDlpLine::Progress(p) = parse_ytdlp_line(line) else {
            panic!("not progress")
        };
        assert_eq!(
            p,
            Progress {
                phase: Phase::Downloading,
                ..Progress::default()
            }
        );
        let over = r#"[p] {"downloaded_bytes": 10, "total_bytes_estimate": 5}"#;
        let YtDlpLine::Progress(p) = parse_ytdlp_line(over) else {
            panic!("not progress")
        };
        assert_eq!(p.percent, Some(100.0));
    }

    #[test]
    fn done_and_other_lines() {
        let done = r#"[done] {"filepath": "/tmp/j/download.mp3", "title": "Song"}"#;
        assert_eq!(
            parse_ytdlp_line(done),
            YtDlpLine::Done {
                filepath: "/tmp/j/download.mp3".into(),
                title: Some("Song".into())
            }
        );
        assert_eq!(
            parse_ytdlp_line(r#"[pp] "ExtractAudio""#),
            YtDlpLine::Postprocess { converting: true }
        );
        assert_eq!(
            parse_ytdlp_line(r#"[pp] "MoveFilesAfterDownload""#),
            YtDlpLine::Postprocess { converting: false }
        );
        assert_eq!(
            parse_ytdlp_line("[generic] Extracting URL"),
            YtDlpLine::Other
        );
        assert_eq!(parse_ytdlp_line("[done] {\"title\": 1}"), YtDlpLine::Other);
        assert_eq!(parse_ytdlp_line("[p] not json"), YtDlpLine::Other);
    }

    #[test]
    fn arbitrary_lines_never_panic_sec_35() {
        let seeds = [
            r#"[p] {"downloaded_bytes": 18446744073709551615, "total_bytes": 0, "speed": -0.0}"#,
            r#"[done] {"filepath": "\u0000\ud800", "title": null}"#,
            "[p] [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[",
            "[pp] ",
        ];
        for seed in seeds {
            for i in 0..=seed.len() {
                if let Some(prefix) = seed.get(..i) {
                    let _ = parse_ytdlp_line(prefix);
                }
            }
        }
        let deep = format!("[p] {}", "[".repeat(100_000));
        let _ = parse_ytdlp_line(&deep);
        let mut state = 0xdead_beef_cafe_f00du64;
        let alphabet: Vec<char> = "[p]{}\":,0123456789.e-+ nulltruefalse\\ué\u{0}"
            .chars()
            .collect();
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let len = (state % 120) as usize;
            let body: String = (0..len)
                .map(|i| alphabet[((state >> (i % 57)) as usize) % alphabet.len()])
                .collect();
            let _ = parse_ytdlp_line(&format!("[p] {{{body}"));
            let _ = parse_ytdlp_line(&format!("[done] {body}"));
        }
    }
}
