//! Where state lives: the application's users ([`UserStore`]), and the per-login challenges,
//! counters and nonces ([`ChallengeStore`]). Both are traits so that a shared store can serve
//! several instances: the callback may land on instance B while the browser waits on instance A.
//!
//! `user` holds the user store and its in-memory implementation, `challenge` the challenge
//! store's contract, `memory` its in-memory implementation, `clock` the time.

mod challenge;
mod clock;
pub(crate) mod factor;
mod feed;
pub(crate) mod first_factor;
mod hashing;
#[cfg(feature = "memory-store")]
mod memory;
#[cfg(feature = "memory-store")]
mod memory_users;
#[cfg(feature = "webauthn")]
pub(crate) mod passkey;
pub(crate) mod recovery;
#[cfg(feature = "redis")]
mod redis;
#[cfg(all(feature = "redis", feature = "webauthn"))]
pub(crate) mod redis_passkeys;
pub(crate) mod remember;
mod user;

pub use challenge::{AttemptDecision, Challenge, ChallengeState, ChallengeStore};
#[cfg(feature = "test-util")]
pub use clock::ManualClock;
pub use clock::{Clock, SystemClock};
#[cfg(feature = "redis")]
pub use feed::RedisChangeFeed;
pub use feed::{ChangeFeed, LocalChangeFeed};
/// The Redis client [`RedisChallengeStore`] is built on (the one tower-sessions-redis-store uses).
#[cfg(feature = "redis")]
pub use fred;
pub use hashing::HashLimiter;
#[cfg(feature = "memory-store")]
pub use memory::MemoryChallengeStore;
#[cfg(feature = "memory-store")]
pub use memory_users::MemoryUserStore;
#[cfg(feature = "redis")]
pub use redis::RedisChallengeStore;
pub use user::{UserRecord, UserStore};

/// A store could not answer. Nobody gets in while this happens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backing service failed or could not be reached.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// Too much work is queued (a [`HashLimiter`] is full): try again shortly. Answered like
    /// an outage (`503` with `Retry-After`), logged as a warning.
    #[error("the store is busy")]
    Busy,
}

impl StoreError {
    /// Wraps the backing service's error.
    pub fn unavailable(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Unavailable(e.into())
    }
}
