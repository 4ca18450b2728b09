//! What every suite in the workspace shares, so that no test file carries its own copy:
//!
//! - [`Browser`]: a cookie-keeping HTTP client (reqwest's cookie store) that fills in the CSRF
//!   token and does not follow redirects;
//! - [`Server`]: a free loopback port, served with `TCP_NODELAY` and the peer address;
//! - [`World`]: an app on tower-authy wired to an in-process [`mock_authy::MockAuthy`] on a
//!   virtual clock;
//! - [`MockProcess`] and [`App`]: the mock-authy **binary**, driven through its typed control
//!   client, and an app pointed at it, as a user's CI would run them;
//! - [`Chromium`]: headless Chromium through chromedriver, driven with fantoccini;
//! - [`RedisServer`]: a real `redis-server` of the test's own, on a free loopback port.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod binary;
mod browser;
mod chromium;
mod macros;
mod provider;
mod redis;
mod server;
mod world;

pub use binary::{API_KEY, App, Configure, MockProcess, mock_binary};
pub use browser::{Browser, Page};
pub use chromium::{Chromium, DEADLINE};
pub use provider::{
    Counting, ProviderKind, ShownPush, answer, app_code, post_verify_webhook,
    provider as build_provider, pushes, sent_codes, verify_answer,
};
pub use redis::{Durability, RedisServer};
pub use server::{Server, app_router};
pub use world::{AuditLog, Options, RecordingStore, T0, World, read_events_until};

use std::time::Duration;

/// How long a test waits for something to happen before failing.
pub const WAIT: Duration = Duration::from_secs(10);
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery staple";
