#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod client;
mod config;
mod enrol;
pub mod factors;
mod feed;
mod hardening;
mod known_device;
mod layer;
mod layout;
mod limits;
mod pages;
mod provider;
mod random;
mod recovery;
mod remember;
mod routes;
mod secret;
mod session;
mod signature;
mod step_up;
mod store;
mod telemetry;
mod throttle;
mod watchers;

#[cfg(feature = "test-util")]
pub mod conformance;

/// The session layer's crate, re-exported so the version always matches tower-authy's.
pub use tower_sessions;

pub use client::{
    ApprovalRequest, ApprovalStatus, AuthyClient, AuthyClientBuilder, AuthyError, SendOutcome,
    UserStatus,
};
pub use config::{ConfigError, TwoFactor, TwoFactorBuilder};
pub use enrol::{AuthyIdStore, EnrolledPhone};
pub use factors::{Factor, FactorKind, FactorStore};
#[cfg(feature = "redis")]
pub use feed::RedisChangeFeed;
pub use feed::{ChangeFeed, LocalChangeFeed};
/// The Redis client [`RedisChallengeStore`] is built on (the one tower-sessions-redis-store uses).
#[cfg(feature = "redis")]
pub use fred;
pub use hardening::security_headers;
pub use layer::{RequireTwoFactor, RequireTwoFactorLayer, ResponseFuture, VerifiedUser};
pub use layout::{Layout, PageParts};
pub use limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
#[cfg(feature = "totp")]
pub use provider::totp::{
    TotpAlgorithm, TotpKey, TotpProvider, TotpProviderBuilder, TotpSecretStore,
};
#[cfg(feature = "verify")]
pub use provider::verify::{VerifyProvider, VerifyProviderBuilder};
pub use provider::{
    Capabilities, CodeChannel, PushAnswer, SecondFactorProvider, WebhookError, WebhookRequest,
};
pub use recovery::{RECOVERY_CODES_PER_SET, RecoveryCodeHash, RecoveryCodeStore};
pub use remember::{DeviceStore, RememberDevice, RememberKey, RememberedDevice};
pub use secret::{ApiKey, Password, Token, TokenError};
#[cfg(feature = "axum-login")]
pub use step_up::AxumLogin;
pub use step_up::FirstFactor;
#[cfg(feature = "test-util")]
pub use store::ManualClock;
#[cfg(feature = "redis")]
pub use store::RedisChallengeStore;
pub use store::{
    AttemptDecision, Challenge, ChallengeState, ChallengeStore, Clock, HashLimiter, StoreError,
    SystemClock, UserRecord, UserStore,
};
// The in-memory stores (one instance, tests, examples), all behind `memory-store`.
#[cfg(all(feature = "memory-store", feature = "totp"))]
pub use provider::totp::MemoryTotpSecretStore;
#[cfg(feature = "memory-store")]
pub use recovery::MemoryRecoveryCodeStore;
#[cfg(feature = "memory-store")]
pub use remember::MemoryDeviceStore;
#[cfg(feature = "memory-store")]
pub use store::{MemoryChallengeStore, MemoryUserStore};

/// Internal parsers, exposed for the fuzz targets only (the `fuzzing` feature). Not part of
/// the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;
