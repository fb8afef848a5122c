//! SEC-49 (SEC-35): any line yt-dlp (or an extractor it runs) prints is parsed without a
//! panic, and a progress value that comes out is finite, non-negative and a sane percentage.
//! Covers the `[done]` line, which carries yt-dlp's `after_move` fields.
#![no_main]

use libfuzzer_sys::fuzz_target;
use nas_music_checks::ytdlp_line::{MAX_LINE_BYTES, YtDlpLine, parse_ytdlp_line};

fuzz_target!(|line: &str| {
    match parse_ytdlp_line(line) {
        YtDlpLine::Progress(p) => {
            assert!(line.len() <= MAX_LINE_BYTES && line.starts_with("[p] "));
            for v in [p.percent, p.speed_bps, p.eta_seconds]
                .into_iter()
                .flatten()
            {
                assert!(v.is_finite() && v >= 0.0, "{v} from {line:?}");
            }
            if let Some(percent) = p.percent {
                assert!(percent <= 100.0);
            }
            // The heartbeat stores it as JSON: that must always work.
            serde_json::to_string(&p).expect("progress serializes");
        }
        YtDlpLine::Done { .. } => assert!(line.starts_with("[done] ")),
        YtDlpLine::Postprocess { .. } => assert!(line.starts_with("[pp] ")),
        YtDlpLine::Other => {}
    }
});
