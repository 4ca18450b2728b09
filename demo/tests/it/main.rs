//! The demo's tests, one binary: its user store, its hardening, two instances on one database,
//! and the whole tutorial in headless Chromium.

#![allow(clippy::unwrap_used)]

mod browser;
mod hardening;
mod instances;
mod users;
