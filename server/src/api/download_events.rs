//! One user's live event stream: the hub's updates for their downloads, in order, with a
//! `resync` wherever this stream fell behind and missed some (the client reloads its list).

use super::download_views::{DownloadStreamEvent, Resync};
use crate::jobs::events::LiveUpdate;
use futures_util::{StreamExt, stream::BoxStream};
use std::sync::Arc;
use tokio::sync::broadcast::{Receiver, error::RecvError};
use tokio_util::sync::CancellationToken;

/// Ends when the server shuts down (`stop`) or the hub goes away.
pub fn live_events(
    receiver: Receiver<Arc<LiveUpdate>>,
    user_id: i64,
    stop: CancellationToken,
) -> BoxStream<'static, DownloadStreamEvent> {
    futures_util::stream::unfold((receiver, stop), move |(mut rx, stop)| async move {
        loop {
            let next = tokio::select! {
                _ = stop.cancelled() => return None,
                next = rx.recv() => next,
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
            return Some((event, (rx, stop)));
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::events::LiveState;
    use tokio::sync::broadcast;

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
        let stream = live_events(rx, 7, stop.clone());
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
        let stream = live_events(rx, 7, CancellationToken::new());
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
        let mut stream = live_events(rx, 7, stop.clone());
        stop.cancel();
        assert!(stream.next().await.is_none());
    }
}
