//! The history page cache: `GET /api/downloads` answers, kept as the bytes that were sent,
//! and sent again while the user's history has not changed.
//!
//! Why: the web page asks for the same page on every load, filter, reconnect and resync, and
//! nearly all of that request's time was building it (the query, decoding 50 rows,
//! serialising them; `bench/README.md`). A NAS's history changes rarely between those asks.
//!
//! When an entry may be sent: only for the same user, filter and page, and only while the
//! user's **history version** is the one the entry was built at. The database changes that
//! version in the same transaction as any change to the user's downloads (triggers, migration
//! `0009_history_versions`), so no write path can forget it and every instance behind one
//! database sees it. The bearer guard reads it in the session query every request already
//! makes (`SessionUser::history_version`), so a hit costs no query of its own.
//!
//! Why a hit is never stale: the version is read before the page is built. Whatever the page
//! then shows is at least as new as that version, so it is stored under it; once any change
//! commits, the version read by later requests is a new one, and the entry is not sent again.
//!
//! What the triggers cannot see: writes that fire no row triggers (`TRUNCATE`, a restore or
//! replication with triggers disabled). After such maintenance, restart the server.

use crate::{domain::DownloadStatus, metrics::HistoryPageMetrics};
use bytes::Bytes;
use quick_cache::{Weighter, sync::Cache};

/// What the cache may hold in all unless HISTORY_CACHE_MB says otherwise: about 250 pages
/// of 50 downloads (~32 KiB each); a NAS's few users fit many times over. When it is full,
/// quick_cache's eviction (S3-FIFO: pages asked for once leave before pages asked for again)
/// makes room.
pub const CAPACITY_BYTES: u64 = 8 * 1024 * 1024;

/// One page of one user's history, as asked for: the same request gets the same entry.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub user_id: i64,
    pub status: Option<DownloadStatus>,
    /// The search text, trimmed (as the query is run with it).
    pub query: Option<String>,
    pub page: u32,
    pub per_page: u32,
}

#[derive(Clone)]
struct Entry {
    version: i64,
    body: Bytes,
}

/// Weighs an entry by its bytes, so `CAPACITY_BYTES` bounds memory, not a count of pages.
#[derive(Clone)]
struct BodyBytes;

impl Weighter<PageKey, Entry> for BodyBytes {
    fn weight(&self, key: &PageKey, entry: &Entry) -> u64 {
        let key_bytes = std::mem::size_of::<PageKey>() + key.query.as_ref().map_or(0, String::len);
        (key_bytes + entry.body.len()) as u64
    }
}

/// The cache; see the module docs. One per server instance.
pub struct HistoryPages {
    /// `None`: HISTORY_CACHE_MB is 0, every page is built.
    pages: Option<Cache<PageKey, Entry, BodyBytes>>,
    metrics: HistoryPageMetrics,
}

impl HistoryPages {
    /// A cache of `CAPACITY_BYTES`.
    pub fn new(metrics: HistoryPageMetrics) -> Self {
        Self::with_capacity(CAPACITY_BYTES, metrics)
    }

    /// A cache of `bytes` (0: none).
    pub fn with_capacity(bytes: u64, metrics: HistoryPageMetrics) -> Self {
        // quick_cache sizes its tables from an estimate of the entry count.
        let estimated_pages = (bytes / (32 * 1024)).max(16) as usize;
        Self {
            pages: (bytes > 0).then(|| Cache::with_weighter(estimated_pages, bytes, BodyBytes)),
            metrics,
        }
    }

    /// The page's body, if it was built at `version` (counted as a hit or a miss).
    pub fn get(&self, key: &PageKey, version: i64) -> Option<Bytes> {
        let body = self
            .pages
            .as_ref()
            .and_then(|pages| pages.get(key))
            .filter(|entry| entry.version == version)
            .map(|entry| entry.body);
        self.metrics.lookup(body.is_some());
        body
    }

    /// Keeps a page built at `version`, unless a page built at a later version is already
    /// kept. (Not atomic: two requests racing across a change may still leave the older page,
    /// which costs a hit, never a stale answer, as an entry is sent only at its version.)
    pub fn insert(&self, key: PageKey, version: i64, body: Bytes) {
        let Some(pages) = &self.pages else {
            return;
        };
        if pages.get(&key).is_some_and(|kept| kept.version > version) {
            return;
        }
        pages.insert(key, Entry { version, body });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(user_id: i64) -> PageKey {
        PageKey {
            user_id,
            status: None,
            query: None,
            page: 1,
            per_page: 50,
        }
    }

    #[test]
    fn a_page_is_sent_only_at_its_version() {
        let pages = HistoryPages::new(HistoryPageMetrics::default());
        pages.insert(key(1), 7, Bytes::from_static(b"[7]"));
        assert_eq!(pages.get(&key(1), 7).as_deref(), Some(&b"[7]"[..]));
        assert_eq!(pages.get(&key(1), 8), None, "the history changed since");
        assert_eq!(pages.get(&key(2), 7), None, "another user's page (SEC-17)");
        let filtered = PageKey {
            status: Some(DownloadStatus::Completed),
            ..key(1)
        };
        assert_eq!(pages.get(&filtered, 7), None, "another filter");
    }

    #[test]
    fn an_older_page_does_not_replace_a_newer_one() {
        let pages = HistoryPages::new(HistoryPageMetrics::default());
        pages.insert(key(1), 8, Bytes::from_static(b"[8]"));
        pages.insert(key(1), 7, Bytes::from_static(b"[7]"));
        assert_eq!(pages.get(&key(1), 8).as_deref(), Some(&b"[8]"[..]));
        pages.insert(key(1), 9, Bytes::from_static(b"[9]"));
        assert_eq!(pages.get(&key(1), 9).as_deref(), Some(&b"[9]"[..]));
    }

    #[test]
    fn a_capacity_of_zero_keeps_nothing() {
        let pages = HistoryPages::with_capacity(0, HistoryPageMetrics::default());
        pages.insert(key(1), 7, Bytes::from_static(b"[7]"));
        assert_eq!(pages.get(&key(1), 7), None);
    }

    #[test]
    fn memory_stays_within_the_capacity() {
        let pages = HistoryPages::with_capacity(64 * 1024, HistoryPageMetrics::default());
        let body = Bytes::from(vec![b' '; 16 * 1024]);
        for user in 0..100 {
            pages.insert(key(user), 1, body.clone());
        }
        let kept = (0..100)
            .filter(|&u| pages.get(&key(u), 1).is_some())
            .count();
        assert!(
            (1..=4).contains(&kept),
            "{kept} pages of 16 KiB kept in 64 KiB"
        );
    }
}
