//! Throttles the progress updates parsed from yt-dlp's stdout (the parser itself is
//! `nas_music_checks::ytdlp_line`, fuzzed under SEC-49).

use std::time::{Duration, Instant};

use super::model::{Phase, Progress};
pub use nas_music_checks::ytdlp_line::{MAX_LINE_BYTES, YtDlpLine, parse_ytdlp_line};

/// Lets a progress update through at most every `interval`, except that a phase change
/// always passes (users want to see "converting" at once).
#[derive(Debug)]
pub struct Throttle {
    interval: Duration,
    last: Option<(Instant, Phase)>,
}

impl Throttle {
    /// Four updates a second: smooth enough for a progress bar, cheap for SSE and NOTIFY.
    pub fn new() -> Self {
        Throttle::with_interval(Duration::from_millis(250))
    }

    pub fn with_interval(interval: Duration) -> Self {
        Throttle {
            interval,
            last: None,
        }
    }

    /// True if `progress` should be published now.
    pub fn admit(&mut self, progress: &Progress) -> bool {
        let now = Instant::now();
        let pass = match self.last {
            None => true,
            Some((at, phase)) => phase != progress.phase || now.duration_since(at) >= self.interval,
        };
        if pass {
            self.last = Some((now, progress.phase));
        }
        pass
    }
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phase_changes_pass_the_throttle_at_once() {
        let mut t = Throttle::with_interval(Duration::from_secs(3600));
        let dl = Progress::phase(Phase::Downloading);
        assert!(t.admit(&dl));
        assert!(!t.admit(&dl));
        assert!(t.admit(&Progress::phase(Phase::Converting)));
    }
}
