#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// The capabilities an application configures or implements, each a public module.
pub mod audit;
pub mod enrolment;
pub mod factors;
pub mod guard;
pub mod hardening;
pub mod i18n;
pub mod layout;
pub mod limits;
pub mod provider;
pub mod recovery;
pub mod remember;
pub mod secret;
pub mod step_up;
pub mod store;

// The machinery behind them.
mod config;
mod error;
mod known_device;
mod offer;
mod pages;
mod policy;
mod random;
mod routes;
mod session;
mod telemetry;
mod throttle;
mod watchers;
mod web;

#[cfg(feature = "test-util")]
pub mod conformance;

/// Internal parsers, exposed for the fuzz targets only (the `fuzzing` feature). Not part of
/// the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing;

/// The session layer's crate, re-exported so the version always matches tower-authy's.
pub use tower_sessions;

pub use config::{TwoFactor, TwoFactorBuilder};
pub use error::ConfigError;
pub use factors::FactorStore;
pub use guard::{RequireTwoFactorLayer, VerifiedUser};
pub use provider::SecondFactorProvider;
pub use store::{ChallengeStore, UserRecord, UserStore};
