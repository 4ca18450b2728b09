//! tower-authy's integration tests, one binary: each module is one behaviour, through the HTTP
//! interface of an app built on the crate (see `docs/security-coverage.md` for which test checks
//! which guarantee).

#![allow(clippy::unwrap_used)]

mod audit;
mod axum_login;
mod brute_force;
mod callbacks;
mod client_contract;
mod enrol;
mod factors;
mod fail_closed;
mod flows;
mod fresh;
mod headers;
mod i18n;
mod logging;
mod passkeys;
mod policy;
mod recovery;
mod redis_store;
mod remember;
mod send_limits;
mod step_up;
mod stores;
mod streams;
mod support;
mod telemetry;
mod throttles;
mod totp;
mod vectors;
mod verify_webhooks;
mod web_hygiene;
mod webauthn;
