//! Demand a second factor on any tower or axum route: an Authy OneTouch push first, a token
//! from the Authy app or by SMS (or a voice call) as the fallback.
//!
//! A wrapped route is reached only when the session holds a user who completed **both** factors
//! in that session. Everything else is a 303 to the login page (browsers) or a 401
//! `application/problem+json` (API clients).
//!
//! ```
//! use axum::{Router, routing::get, body::Body};
//! use http::{Request, StatusCode};
//! use tower::ServiceExt as _;
//! use tower_authy::{ApiKey, AuthyClient, MemoryUserStore, TwoFactor, VerifiedUser};
//! use tower_sessions::MemoryStore;
//!
//! async fn account(user: VerifiedUser) -> String {
//!     format!("hello, user {}", user.user_id)
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let users = MemoryUserStore::new();
//! users.insert("ada@example.com", "correct horse battery staple", Some(1234567));
//!
//! let authy = AuthyClient::builder(ApiKey::new("your-authy-api-key")).build()?;
//! let two_factor = TwoFactor::builder(authy, users)
//!     .callback_url("https://app.example.com/authy/callback")
//!     .build()?;
//!
//! let app: Router = Router::new()
//!     .route("/account", get(account))
//!     .route_layer(two_factor.layer())
//!     .merge(two_factor.router())
//!     .layer(two_factor.session_layer(MemoryStore::default()));
//!
//! // Nobody has logged in, so the account page sends the browser to log in.
//! let response = app.oneshot(Request::get("/account").body(Body::empty())?).await?;
//! assert_eq!(response.status(), StatusCode::SEE_OTHER);
//! assert_eq!(response.headers()["location"], "/authy/login?return_to=%2Faccount");
//! # Ok(()) }
//! ```
//!
//! # Serving
//! Serve with `TCP_NODELAY` on accepted sockets, so that the waiting page's server-sent event
//! leaves at once instead of waiting out the browser's delayed ACK (about 40 ms on Linux), and
//! with the peer address, which the per-address password throttle reads:
//! `axum::serve(listener.tap_io(|tcp| drop(tcp.set_nodelay(true))),
//! app.into_make_service_with_connect_info::<SocketAddr>())` with `axum::serve::ListenerExt` in
//! scope. Behind a load balancer, use
//! [`client_address_from_forwarded_for`](TwoFactorBuilder::client_address_from_forwarded_for)
//! instead. Give the server a deadline for request headers (hyper's `header_read_timeout`, as
//! the demo does); tower-authy's own routes refuse a declared body over 64 KiB at once (`413`)
//! and give a body 10 s to arrive ([`body_timeout`](TwoFactorBuilder::body_timeout), `408`).
//!
//! # Routes
//! Under the prefix (default `/authy`): `GET/POST /login`, `GET /verify` (the waiting page),
//! `GET /status` (JSON), `GET /events` (server-sent events), `POST /token`, `POST /sms`,
//! `POST /call`, `POST /confirm`, `POST /logout`, and `POST`/`GET /callback` for Authy.
//!
//! # Security
//! - The server alone decides: each login gets its own challenge, bound to the session, the
//!   user, the Authy approval uuid and the `authy_id`; the browser never names any of them.
//! - Callbacks are checked with HMAC-SHA256 against the configured URL, in constant time, with
//!   a freshness window and replay protection; a challenge changes state at most once.
//! - Tokens are validated as 6-12 ASCII digits before any call to Authy and verified with
//!   `force=true`; attempts are counted per login and per account before Authy is asked.
//! - The session id changes when the password is accepted and again when the second factor
//!   completes. Forms carry a CSRF token. `return_to` only goes to same-origin paths.
//! - Wrong passwords are throttled per login name and per client address, counted in the
//!   challenge store before the password is checked ([`LoginThrottle`]: by default 20 guesses
//!   per account per hour). A throttled attempt gets the wrong-password answer after as long as
//!   a check takes, costs no hash and sends no push.
//! - Pushes, SMS and calls are limited per account **and per phone** (Authy id), since several
//!   accounts can share a phone. Authy is asked about a pending push at most once per interval,
//!   however many pages wait on it, and event streams are capped per session and per login.
//! - Every response of tower-authy's carries `Cache-Control: no-store`, `X-Frame-Options: DENY`,
//!   `Content-Security-Policy: frame-ancestors 'none'`, `X-Content-Type-Options: nosniff` and
//!   `Referrer-Policy: no-referrer`.
//! - If Authy or a store fails, nobody gets in: the person sees a 503 page with `Retry-After`.
//! - Keys, tokens and passwords print as `[redacted]` and never reach the logs.

#![deny(missing_docs)]

mod client;
mod config;
mod hardening;
mod layer;
mod limits;
mod pages;
mod random;
mod routes;
mod secret;
mod session;
mod signature;
mod store;
mod throttle;

pub mod conformance;

pub use client::{
    ApprovalRequest, ApprovalStatus, AuthyClient, AuthyClientBuilder, AuthyError, SendOutcome,
    UserStatus,
};
pub use config::{ConfigError, TwoFactor, TwoFactorBuilder};
pub use hardening::security_headers;
pub use layer::{RequireTwoFactor, RequireTwoFactorLayer, ResponseFuture, VerifiedUser};
pub use limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
pub use secret::{ApiKey, Password, Token, TokenError};
pub use store::{
    AttemptDecision, Challenge, ChallengeState, ChallengeStore, Clock, ManualClock,
    MemoryChallengeStore, MemoryUserStore, StoreError, SystemClock, UserRecord, UserStore,
};

/// Internal parsers, exposed for the fuzz targets only. Not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::client::decode as decode_authy_response;
    pub use crate::routes::callback::parse_for_fuzzing as parse_callback;
    pub use crate::session::safe_return_to;

    /// Canonicalises and verifies a JSON callback body under a fixed key.
    pub fn verify_json_callback(body: &[u8], signature: &str) -> bool {
        serde_json::from_slice(body).is_ok_and(|v| {
            crate::signature::verify(
                b"key",
                "1",
                "POST",
                "https://x/authy/callback",
                crate::signature::Signed::Json(&v),
                signature,
            )
        })
    }

    /// Canonicalises and verifies a GET callback query under a fixed key.
    pub fn verify_query_callback(query: &str, signature: &str) -> bool {
        crate::signature::verify(
            b"key",
            "1",
            "GET",
            "https://x/authy/callback",
            crate::signature::Signed::Query(query),
            signature,
        )
    }

    /// The canonical parameter string of a JSON value, for the known-answer tests.
    pub fn canonical_json(v: &serde_json::Value) -> String {
        crate::signature::canonical(crate::signature::Signed::Json(v))
    }

    /// Verifies a signature with an explicit key, nonce, method and URL.
    pub fn verify(
        key: &str,
        nonce: &str,
        method: &str,
        url: &str,
        payload: &str,
        signature: &str,
    ) -> bool {
        match method {
            "POST" => serde_json::from_str(payload).is_ok_and(|v| {
                crate::signature::verify(
                    key.as_bytes(),
                    nonce,
                    method,
                    url,
                    crate::signature::Signed::Json(&v),
                    signature,
                )
            }),
            _ => crate::signature::verify(
                key.as_bytes(),
                nonce,
                method,
                url,
                crate::signature::Signed::Query(payload),
                signature,
            ),
        }
    }
}
