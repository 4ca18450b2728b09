//! Routes the change feed's announcements to the event streams waiting on each challenge.
//!
//! One task per instance listens to the [`ChangeFeed`](crate::store::ChangeFeed) and wakes only the
//! streams watching the announced challenge. Ten thousand open streams therefore cost nothing
//! when somebody else's login changes, where a receiver per stream would wake all of them for
//! every announcement.

use crate::store::ChangeFeed;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

type Waiting = Mutex<HashMap<String, Entry>>;

/// The streams of one challenge: a counter bumped on every announcement, and how many watch.
struct Entry {
    tx: watch::Sender<u64>,
    streams: usize,
}

/// Every challenge some stream of this instance waits on.
pub(crate) struct Watchers {
    waiting: Arc<Waiting>,
    router: Mutex<Option<JoinHandle<()>>>,
}

impl Watchers {
    pub(crate) fn new() -> Self {
        Watchers {
            waiting: Arc::new(Mutex::new(HashMap::new())),
            router: Mutex::new(None),
        }
    }

    /// Starts watching challenge `id`: changes announced from now on wake the returned
    /// [`Watch`]. Read the challenge after this call, not before, and none is missed.
    pub(crate) fn watch(&self, feed: &dyn ChangeFeed, id: &str) -> Watch {
        self.ensure_router(feed);
        let mut waiting = lock(&self.waiting);
        let entry = waiting.entry(id.to_owned()).or_insert_with(|| Entry {
            tx: watch::Sender::new(0),
            streams: 0,
        });
        entry.streams += 1;
        Watch {
            rx: entry.tx.subscribe(),
            id: id.to_owned(),
            waiting: Arc::clone(&self.waiting),
        }
    }

    /// The router runs on the runtime of the first stream (again if that runtime went away).
    fn ensure_router(&self, feed: &dyn ChangeFeed) {
        let mut router = lock(&self.router);
        if router.as_ref().is_none_or(JoinHandle::is_finished) {
            let rx = feed.subscribe();
            *router = Some(tokio::spawn(route(rx, Arc::downgrade(&self.waiting))));
        }
    }
}

impl Drop for Watchers {
    fn drop(&mut self) {
        if let Some(router) = lock(&self.router).take() {
            router.abort();
        }
    }
}

/// Wakes the streams of each announced challenge; all of them when announcements were missed.
async fn route(mut rx: broadcast::Receiver<String>, waiting: Weak<Waiting>) {
    loop {
        let announced = rx.recv().await;
        let Some(waiting) = waiting.upgrade() else {
            return;
        };
        let waiting = lock(&waiting);
        match announced {
            Ok(id) => {
                if let Some(entry) = waiting.get(&id) {
                    entry.tx.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            Err(broadcast::error::RecvError::Lagged(_)) => {
                for entry in waiting.values() {
                    entry.tx.send_modify(|n| *n = n.wrapping_add(1));
                }
            }
            Err(broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// One stream's watch on one challenge; stops watching when dropped.
pub(crate) struct Watch {
    rx: watch::Receiver<u64>,
    id: String,
    waiting: Arc<Waiting>,
}

impl Watch {
    /// Returns once the challenge was announced as changed since the last call (or since the
    /// watch began). Never returns if the feed is gone: pair it with a timeout.
    pub(crate) async fn changed(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Watch {
    fn drop(&mut self) {
        let mut waiting = lock(&self.waiting);
        if let Some(entry) = waiting.get_mut(&self.id) {
            entry.streams -= 1;
            if entry.streams == 0 {
                waiting.remove(&self.id);
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::LocalChangeFeed;
    use std::time::Duration;

    /// Waits (with a deadline) until `w` is woken.
    async fn woken(w: &mut Watch) {
        tokio::time::timeout(Duration::from_secs(10), w.changed())
            .await
            .expect("the watch was not woken");
    }

    fn has_news(w: &Watch) -> bool {
        w.rx.has_changed().unwrap()
    }

    #[tokio::test]
    async fn an_announcement_wakes_only_the_streams_of_its_challenge() {
        let feed = LocalChangeFeed::new();
        let watchers = Watchers::new();
        let mut a1 = watchers.watch(&feed, "a");
        let mut a2 = watchers.watch(&feed, "a");
        let mut b = watchers.watch(&feed, "b");
        feed.publish("a");
        woken(&mut a1).await;
        // The router handled "a" in one step: a2 has it too, b has nothing.
        assert!(has_news(&a2));
        assert!(!has_news(&b));
        woken(&mut a2).await;
        feed.publish("b");
        woken(&mut b).await;
        assert!(!has_news(&a1) && !has_news(&a2));
    }

    #[tokio::test]
    async fn the_last_stream_of_a_challenge_stops_watching_it() {
        let feed = LocalChangeFeed::new();
        let watchers = Watchers::new();
        let first = watchers.watch(&feed, "a");
        let second = watchers.watch(&feed, "a");
        drop(first);
        assert_eq!(lock(&watchers.waiting).len(), 1);
        drop(second);
        assert!(lock(&watchers.waiting).is_empty());
    }

    #[tokio::test]
    async fn missed_announcements_wake_every_stream() {
        let feed = LocalChangeFeed::new();
        let watchers = Watchers::new();
        let mut a = watchers.watch(&feed, "a");
        // More than the feed buffers, before the router gets to run: it lags.
        for i in 0..2_000 {
            feed.publish(&format!("other-{i}"));
        }
        woken(&mut a).await;
    }
}
