//! "This challenge changed": from whichever instance changed it (the callback landed there, a
//! code was verified there) to the waiting browsers' event streams on every instance.
//!
//! [`LocalChangeFeed`] (the default) reaches this instance's streams only; with several
//! instances, [`RedisChangeFeed`] (`redis` feature) carries the news through Redis pub/sub. Either
//! way a stream also re-reads the challenge store every `status_poll_every`, so a lost
//! notification delays the browser, it never strands it.

use tokio::sync::broadcast;

/// Carries "challenge `id` changed" to every event stream that may wait on it.
pub trait ChangeFeed: Send + Sync + 'static {
    /// Announces that a challenge changed. Never blocks; delivery is best effort.
    fn publish(&self, challenge_id: &str);

    /// Every challenge id announced from now on, on this instance or (for a shared feed) any.
    fn subscribe(&self) -> broadcast::Receiver<String>;
}

/// The in-process feed: one instance's streams hear that instance's changes.
#[derive(Debug, Clone)]
pub struct LocalChangeFeed {
    tx: broadcast::Sender<String>,
}

impl LocalChangeFeed {
    /// A feed buffering up to 1,024 announcements per slow listener.
    pub fn new() -> Self {
        LocalChangeFeed {
            tx: broadcast::channel(1024).0,
        }
    }
}

impl Default for LocalChangeFeed {
    fn default() -> Self {
        LocalChangeFeed::new()
    }
}

impl ChangeFeed for LocalChangeFeed {
    fn publish(&self, challenge_id: &str) {
        // No listener is fine: nobody is waiting.
        let _ = self.tx.send(challenge_id.to_owned());
    }

    fn subscribe(&self) -> broadcast::Receiver<String> {
        self.tx.subscribe()
    }
}

#[cfg(feature = "redis")]
pub use self::redis::RedisChangeFeed;

#[cfg(feature = "redis")]
mod redis {
    use super::{ChangeFeed, LocalChangeFeed};
    use crate::store::StoreError;
    use fred::clients::{Client, SubscriberClient};
    use fred::interfaces::{ClientLike as _, EventInterface as _, PubsubInterface as _};
    use fred::prelude::{Builder, Config, ReconnectPolicy};
    use std::sync::Arc;
    use tokio::sync::broadcast;

    /// A feed shared by every instance through Redis pub/sub (`redis` feature): an approval
    /// accepted on any instance reaches every instance's streams. The subscription is renewed
    /// after a reconnect.
    #[derive(Clone)]
    pub struct RedisChangeFeed {
        inner: Arc<Inner>,
    }

    struct Inner {
        local: LocalChangeFeed,
        publisher: Client,
        channel: String,
        /// Tags this instance's messages, so that it does not hear its own twice.
        origin: String,
        _subscriber: SubscriberClient,
        listener: tokio::task::JoinHandle<()>,
    }

    impl Drop for Inner {
        fn drop(&mut self) {
            self.listener.abort();
        }
    }

    impl std::fmt::Debug for RedisChangeFeed {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("RedisChangeFeed")
                .field("channel", &self.inner.channel)
                .finish_non_exhaustive()
        }
    }

    impl RedisChangeFeed {
        /// Connects to the Redis at `url` and listens on `<prefix>changes` (the default prefix
        /// is `tower-authy:`, as for [`RedisChallengeStore`](crate::store::RedisChallengeStore)):
        /// one publishing connection, one subscribed connection, reconnecting forever.
        ///
        /// # Errors
        /// [`StoreError`] when the URL is invalid or Redis cannot be reached now.
        pub async fn connect(url: &str, prefix: &str) -> Result<Self, StoreError> {
            let config = Config::from_url(url).map_err(StoreError::unavailable)?;
            let timeout = std::time::Duration::from_secs(2);
            let builder = {
                let mut b = Builder::from_config(config);
                b.with_connection_config(|c| c.connection_timeout = timeout)
                    .with_performance_config(|p| p.default_command_timeout = timeout)
                    .set_policy(ReconnectPolicy::new_constant(0, 500));
                b
            };
            let publisher = builder.build().map_err(StoreError::unavailable)?;
            let subscriber = builder
                .build_subscriber_client()
                .map_err(StoreError::unavailable)?;
            publisher.init().await.map_err(StoreError::unavailable)?;
            subscriber.init().await.map_err(StoreError::unavailable)?;
            // Resubscribes after every reconnect.
            drop(subscriber.manage_subscriptions());
            let channel = format!("{prefix}changes");
            subscriber
                .subscribe(channel.as_str())
                .await
                .map_err(StoreError::unavailable)?;
            let local = LocalChangeFeed::new();
            let origin = crate::random::id();
            let listener = tokio::spawn(forward(
                subscriber.message_rx(),
                local.clone(),
                format!("{origin}|"),
            ));
            Ok(RedisChangeFeed {
                inner: Arc::new(Inner {
                    local,
                    publisher,
                    channel,
                    origin,
                    _subscriber: subscriber,
                    listener,
                }),
            })
        }
    }

    /// Hands every other instance's announcement to this instance's streams.
    async fn forward(
        mut rx: broadcast::Receiver<fred::types::Message>,
        local: LocalChangeFeed,
        own: String,
    ) {
        loop {
            match rx.recv().await {
                Ok(message) => {
                    let Some(text) = message.value.as_string() else {
                        continue;
                    };
                    if text.starts_with(&own) {
                        continue;
                    }
                    if let Some((_, id)) = text.split_once('|') {
                        local.publish(id);
                    }
                }
                // Missed some: the streams' periodic re-read covers them.
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            }
        }
    }

    impl ChangeFeed for RedisChangeFeed {
        fn publish(&self, challenge_id: &str) {
            self.inner.local.publish(challenge_id);
            let inner = Arc::clone(&self.inner);
            let message = format!("{}|{challenge_id}", inner.origin);
            tokio::spawn(async move {
                let sent: Result<i64, _> = inner
                    .publisher
                    .publish(inner.channel.as_str(), message)
                    .await;
                if let Err(e) = sent {
                    tracing::warn!(error = %e, "could not announce a challenge change through Redis");
                }
            });
        }

        fn subscribe(&self) -> broadcast::Receiver<String> {
            self.inner.local.subscribe()
        }
    }
}
