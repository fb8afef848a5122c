//! When to announce new music: the folders that changed since the last rescan, and when the
//! next one is due. An album's last track makes it due at once; a single makes it due after
//! `quiet` more seconds without another single (a burst is one rescan); an album track that
//! is not the last only adds its folder. Pure, so the timing is tested without a clock.

use std::{collections::BTreeSet, time::Duration};
use tokio::time::Instant;

#[derive(Debug, Default)]
pub struct Debounce {
    folders: BTreeSet<String>,
    due: Option<Instant>,
}

/// What ended, as the debouncer needs it.
pub struct Arrival {
    /// The new file's folder (relative to OUTPUT_DIRECTORY), when a file arrived.
    pub folder: Option<String>,
    /// A single (not a track of an album).
    pub single: bool,
    /// The album's last track ended.
    pub album_done: bool,
}

impl Debounce {
    pub fn note(&mut self, arrival: Arrival, now: Instant, quiet: Duration) {
        if let Some(folder) = arrival.folder {
            self.folders.insert(folder);
            if arrival.single {
                self.due = Some(now + quiet);
            }
        }
        if arrival.album_done {
            self.due = Some(now);
        }
    }

    pub fn due(&self) -> Option<Instant> {
        self.due
    }

    /// The folders to announce now, if any are due (the state starts over).
    pub fn take_due(&mut self, now: Instant) -> Option<Vec<String>> {
        if self.due.is_none_or(|due| due > now) {
            return None;
        }
        self.due = None;
        let folders: Vec<String> = std::mem::take(&mut self.folders).into_iter().collect();
        (!folders.is_empty()).then_some(folders)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUIET: Duration = Duration::from_secs(30);

    fn single(folder: &str) -> Arrival {
        Arrival {
            folder: Some(folder.into()),
            single: true,
            album_done: false,
        }
    }

    fn track(last: bool) -> Arrival {
        Arrival {
            folder: Some("Artist/Album".into()),
            single: false,
            album_done: last,
        }
    }

    #[test]
    fn a_burst_of_singles_is_one_rescan_after_the_quiet_period() {
        let start = Instant::now();
        let mut d = Debounce::default();
        for (i, folder) in ["A", "B", "A"].into_iter().enumerate() {
            let at = start + Duration::from_secs(10 * i as u64);
            d.note(single(folder), at, QUIET);
            assert_eq!(d.take_due(at), None, "not while singles keep arriving");
        }
        assert_eq!(d.due(), Some(start + Duration::from_secs(50)));
        assert_eq!(d.take_due(start + Duration::from_secs(49)), None);
        assert_eq!(
            d.take_due(start + Duration::from_secs(50)),
            Some(vec!["A".to_owned(), "B".to_owned()])
        );
        assert_eq!(d.take_due(start + Duration::from_secs(500)), None, "once");
    }

    #[test]
    fn an_album_is_announced_when_its_last_track_ends_and_not_before() {
        let now = Instant::now();
        let mut d = Debounce::default();
        d.note(track(false), now, QUIET);
        d.note(track(false), now, QUIET);
        assert_eq!(d.due(), None);
        d.note(track(true), now, QUIET);
        assert_eq!(d.take_due(now), Some(vec!["Artist/Album".to_owned()]));
    }

    #[test]
    fn an_album_with_no_new_file_asks_for_nothing() {
        let now = Instant::now();
        let mut d = Debounce::default();
        d.note(
            Arrival {
                folder: None,
                single: false,
                album_done: true,
            },
            now,
            QUIET,
        );
        assert_eq!(d.take_due(now), None);
        assert_eq!(d.due(), None);
    }
}
