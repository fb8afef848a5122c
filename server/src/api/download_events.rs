//! One user's live event stream: the hub's updates for their downloads, in order, with a
//! `resync` wherever this stream fell behind and missed some (the client reloads its list).
//! Other users' updates are dropped before anything is serialized. While open, the stream
//! re-checks its session every so often and ends when it no longer holds (SEC-46).

use super::download_views::{DownloadStreamEvent, Resync};
use crate::jobs::events::LiveUpdate;
use futures_util::{
    StreamExt,
    future::BoxFuture,
    stream::{BoxStream, unfold},
};
use std::{sync::Arc, time::Duration};
use tokio::{
    sync::broadcast::{Receiver, error::RecvError},
    time::{Interval, MissedTickBehavior, interval_at},
};
use tokio_util::sync::CancellationToken;

/// Asks, every `every`, whether the stream's session still holds (`check` → false ends it).
pub struct Revalidate {
    pub every: Duration,
    pub check: Box<dyn FnMut() -> BoxFuture<'static, bool> + Send>,
}

struct Open {
    rx: Receiver<Arc<LiveUpdate>>,
    stop: CancellationToken,
    ticks: Interval,
    revalidate: Revalidate,
}

/// Ends when the server shuts down (`stop`), the hub goes away, or the session is revoked.
pub fn live_events(
    receiver: Receiver<Arc<LiveUpdate>>,
    user_id: i64,
    stop: CancellationToken,
    revalidate: Revalidate,
) -> BoxStream<'static, DownloadStreamEvent> {
    let mut ticks = interval_at(
        tokio::time::Instant::now() + revalidate.every,
        revalidate.every,
    );
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let open = Open {
        rx: receiver,
        stop,
        ticks,
        revalidate,
    };
    unfold(open, move |mut open| async move {
        loop {
            let next = tokio::select! {
                _ = open.stop.cancelled() => return None,
                _ = open.ticks.tick() => {
                    if (open.revalidate.check)().await {
                        continue;
                    }
                    tracing::debug!(user_id, "session revoked; closing its event stream");
                    return None;
                }
                next = open.rx.recv() => next,
            };
            let event = match next {
                Ok(update) if update.user_id == user_id => {
                    DownloadStreamEvent::from_update(&update)
                }
                Ok(_) => continue,
                Err(RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "an event stream fell behind; resync");
                    DownloadStreamEvent::Resync(Resync {})
                }
                Err(RecvError::Closed) => return None,
            };
            return Some((event, open));
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::events::LiveState;
    use futures_util::FutureExt;
    use tokio::sync::broadcast;

    /// A session that always holds.
    fn forever() -> Revalidate {
        Revalidate {
            every: Duration::from_secs(3600),
            check: Box::new(|| async { true }.boxed()),
        }
    }

    fn deleted(seq: u64, user_id: i64) -> Arc<LiveUpdate> {
        Arc::new(LiveUpdate {
            seq,
            user_id,
            download_id: seq as i64,
            state: LiveState::Deleted,
        })
    }

    fn ids(events: &[DownloadStreamEvent]) -> Vec<String> {
        events
            .iter()
            .map(|e| match e {
                DownloadStreamEvent::Deleted(d) => d.id.to_string(),
                DownloadStreamEvent::Resync(_) => "resync".into(),
                DownloadStreamEvent::Download(d) => format!("download {}", d.id),
            })
            .collect()
    }

    #[tokio::test]
    async fn a_stream_sees_only_its_owners_updates_in_order() {
        let (tx, rx) = broadcast::channel(16);
        let stop = CancellationToken::new();
        let stream = live_events(rx, 7, stop.clone(), forever());
        for (seq, user) in [(1, 7), (2, 8), (3, 7)] {
            tx.send(deleted(seq, user)).unwrap();
        }
        drop(tx);
        let events: Vec<_> = stream.collect().await;
        assert_eq!(ids(&events), ["1", "3"]);
    }

    #[tokio::test]
    async fn a_stream_that_fell_behind_is_told_to_resync_and_goes_on() {
        let (tx, rx) = broadcast::channel(2);
        let stream = live_events(rx, 7, CancellationToken::new(), forever());
        for seq in 1..=5 {
            tx.send(deleted(seq, 7)).unwrap();
        }
        drop(tx);
        let events: Vec<_> = stream.collect().await;
        // Updates 1–3 were overwritten before the stream read them.
        assert_eq!(ids(&events), ["resync", "4", "5"]);
    }

    #[tokio::test]
    async fn a_stream_ends_when_the_server_stops() {
        let (_tx, rx) = broadcast::channel::<Arc<LiveUpdate>>(2);
        let stop = CancellationToken::new();
        let mut stream = live_events(rx, 7, stop.clone(), forever());
        stop.cancel();
        assert!(stream.next().await.is_none());
    }
}

#[cfg(test)]
mod revalidation_tests {
    use super::*;
    use futures_util::FutureExt;
    use std::sync::atomic::{AtomicBool, Ordering};
    use tokio::sync::broadcast;

    #[tokio::test]
    async fn a_stream_ends_at_the_first_recheck_after_its_session_is_revoked_sec_46() {
        let (_tx, rx) = broadcast::channel::<Arc<LiveUpdate>>(2);
        let holds = Arc::new(AtomicBool::new(true));
        let flag = holds.clone();
        let every = Duration::from_millis(50);
        let revalidate = Revalidate {
            every,
            check: Box::new(move || {
                let holds = flag.load(Ordering::SeqCst);
                async move { holds }.boxed()
            }),
        };
        let mut stream = live_events(rx, 7, CancellationToken::new(), revalidate);
        // Several re-checks pass while the session holds; then it goes away.
        let next = tokio::time::timeout(every * 4, stream.next()).await;
        assert!(
            next.is_err(),
            "the stream stays open while the session holds"
        );
        holds.store(false, Ordering::SeqCst);
        let revoked = std::time::Instant::now();
        let end = tokio::time::timeout(Duration::from_secs(5), stream.next()).await;
        assert!(matches!(end, Ok(None)), "the stream ends");
        let took = revoked.elapsed();
        assert!(
            took < Duration::from_secs(2),
            "closed {took:?} after the revocation"
        );
    }
}
