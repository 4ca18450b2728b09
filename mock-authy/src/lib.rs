#![doc = include_str!("../README.md")]
//!
//! # Steering from a test
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! use mock_authy::{Endpoint, Fault, FaultKind, MockAuthy};
//!
//! let mock = MockAuthy::builder().seed(42).start().await?;
//! // Point an Authy client at `mock.base_url()` with `mock.api_key()`, then steer:
//! mock.inject_fault(Fault::new(Endpoint::Verify, FaultKind::Status {
//!     status: 503, error_code: "60000".into(), message: "Service unavailable".into(),
//! }).times(1));
//! assert!(mock.journal().is_empty());
//! # Ok(()) }
//! ```

mod api;
mod authy;
mod callback;
mod client;
mod clock;
mod control;
mod delivery;
mod endpoint;
mod handle;
mod limits;
mod model;
mod numbering;
mod onetouch;
mod otp;
mod params;
mod phone;
mod rng;
mod server;
pub mod signature;
mod state;
mod verify;

pub use authy::{
    ApprovalRequest, ApprovalStatus, Channel, ControlError, LineType, OneTouchBehaviour,
    OutboxMessage, PhoneInfo, PhoneVerification, User, VerificationStatus,
};
pub use callback::{CallbackDelivery, CallbackMethod, DeliveryAttempt, SentCallback};
pub use client::{AppToken, ClientError, ControlClient, Decision};
pub use endpoint::{Endpoint, FaultTarget};
pub use handle::MockAuthy;
pub use limits::{RateLimit, RateLimits};
pub use model::{Fault, FaultKind, JournalEntry};
pub use server::{DEFAULT_API_KEY, MockAuthyBuilder};
pub use verify::{
    ChallengeStatus, DEFAULT_ACCOUNT_SID, DEFAULT_AUTH_TOKEN, DEFAULT_SERVICE_SID, VerifyChallenge,
    VerifyCode, VerifyCodeStatus,
};

use std::sync::Arc;

/// The whole HTTP surface: control API and phone page under `/__mock`, Authy everywhere else.
fn router(inner: Arc<state::Inner>) -> axum::Router {
    use http::header::{self, HeaderName};
    axum::Router::new()
        .nest("/__mock", control::router(&inner))
        // The phone page's stylesheet and script hold nothing secret: no token needed.
        .route("/__mock/phone.css", axum::routing::get(phone::css))
        .route("/__mock/phone.js", axum::routing::get(phone::js))
        .fallback(api::handle)
        .with_state(inner)
        // Traced (at debug level) with the API key and control token hidden from the logs. The
        // span leaves out the URI: a verify path carries the token (the journal has the paths).
        .layer(
            tower_http::trace::TraceLayer::new_for_http().make_span_with(
                |req: &http::Request<axum::body::Body>| {
                    tracing::debug_span!("request", method = %req.method())
                },
            ),
        )
        .layer(
            tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer::new([
                header::AUTHORIZATION,
                header::COOKIE,
                HeaderName::from_static("x-authy-api-key"),
                HeaderName::from_static("x-mock-control-token"),
            ]),
        )
}

/// Internal parsers, exposed for the fuzz targets only (the `fuzzing` feature). Not part of
/// the API.
#[cfg(feature = "fuzzing")]
#[doc(hidden)]
pub mod fuzzing {
    /// Merges query, form or JSON parameters the way every Authy request is read.
    pub fn parse_params(query: &str, content_type: &str, body: &[u8]) -> bool {
        crate::params::parse(Some(query), Some(content_type), body).is_ok()
    }

    /// Reads a phone number as `users/new` and the phone endpoints do; `Some` is the national
    /// number kept.
    pub fn phone_number(country_code: &str, number: &str) -> Option<String> {
        crate::numbering::PhoneNumber::parse(country_code, number)
            .ok()
            .map(|p| p.national)
    }

    /// Splits and percent-decodes a request path the way the router does.
    pub fn route_path(path: &str) -> bool {
        crate::api::fuzz_route(path)
    }
}
