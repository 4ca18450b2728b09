//! The builder's settings for where shared state lives: the challenge store, the change feed
//! and the recovery codes. With several instances, all must be shared (for example Redis).

use super::TwoFactorBuilder;
use crate::{ChallengeStore, ChangeFeed};
use std::sync::Arc;

impl TwoFactorBuilder {
    /// Shares challenges, counters and nonces between instances. Default: in memory.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.challenge_store(tower_authy::MemoryChallengeStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn challenge_store(mut self, store: impl ChallengeStore) -> Self {
        self.challenges = Some(Arc::new(store));
        self
    }

    /// Carries "this challenge changed" to the waiting browsers' streams: on every instance
    /// with a shared feed such as `RedisChangeFeed` (`redis` feature). Default: this
    /// instance only ([`LocalChangeFeed`](crate::LocalChangeFeed)).
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.change_feed(tower_authy::LocalChangeFeed::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn change_feed(mut self, feed: impl ChangeFeed) -> Self {
        self.changes = Some(Arc::new(feed));
        self
    }

    /// Turns on recovery codes, kept (as hashes) in `store`: a verified user generates ten
    /// single-use codes at `{prefix}/recovery-codes` (shown once; generating again replaces
    /// them), and each is accepted once in place of a token on the code form, under the same
    /// attempt limits. Default: off. With several instances, the store must be shared.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.recovery_codes(tower_authy::MemoryRecoveryCodeStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn recovery_codes(mut self, store: impl crate::RecoveryCodeStore) -> Self {
        self.recovery = Some(Arc::new(store));
        self
    }
}
