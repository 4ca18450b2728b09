//! tower-authy's integration tests, one binary: each module is one behaviour, through the HTTP
//! interface of an app built on the crate (see `docs/security-coverage.md` for which test checks
//! which guarantee).

#![allow(clippy::unwrap_used)]

mod axum_login;
mod client_contract;
mod enrol;
mod factors;
mod flows;
mod hardening;
mod logging;

mod recovery;
mod redis_store;
mod remember;
mod security;
mod step_up;
mod stores;
mod telemetry;
mod totp;
mod vectors;
mod verify_webhooks;
