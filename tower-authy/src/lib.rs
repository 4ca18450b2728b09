#![doc = include_str!("../README.md")]
#![deny(missing_docs)]
#![deny(unreachable_pub)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

// The capabilities an application configures or implements, each a public module. A
// capability's folder (enrolment, factors, recovery, remember, step_up) holds its behaviour,
// routes and pages; its store's contract and settings live in `store` (which `config` may
// import without reaching any handler) and are re-exported here. `routes` mounts them all;
// `flow` is the login life cycle they build on. `python3 scripts/module-circles.py` checks
// that no two top-level modules import each other.
pub mod audit;
pub mod enrolment;
pub mod factors;
pub mod guard;
pub mod hardening;
pub mod i18n;
pub mod layout;
pub mod limits;
#[cfg(feature = "webauthn")]
pub mod passkeys;
pub mod provider;
pub mod recovery;
pub mod remember;
pub mod secret;
pub mod step_up;
pub mod store;

// The machinery behind them: `config` (the built configuration every handler reads), `flow`,
// `routes`, `web` (replies, the CSRF-checked form), `pages` (the shared page frame), and the
// rest.
mod config;
mod error;
mod flow;
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
pub use guard::{RequireTwoFactorLayer, VerifiedUser};
pub use provider::SecondFactorProvider;
pub use store::factor::FactorStore;
pub use store::{ChallengeStore, UserRecord, UserStore};
