//! The per-number rate limits both APIs answer with a 429 (Authy's `60003`, Verify's
//! `60203`): shared configuration, set from the control API.

use serde::{Deserialize, Serialize};

/// Verify v2's documented limit: five verifications to one number per ten minutes.
const VERIFY_SENDS_PER_10_MINUTES: u32 = 5;

/// At most `max` sends to one number in any `per_seconds` window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Sends allowed in the window.
    pub max: u32,
    /// The window, in seconds.
    pub per_seconds: i64,
}

/// Authy's DoS protection (`60003`, HTTP 429), per phone number. `None` turns a limit off.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct RateLimits {
    /// SMS tokens (`sms/{id}`).
    pub sms: Option<RateLimit>,
    /// Voice tokens (`call/{id}`).
    pub calls: Option<RateLimit>,
    /// `phones/verification/start`, by SMS or call.
    pub phone_verifications: Option<RateLimit>,
    /// Verify v2 verifications to one `To` (`60203`, HTTP 429).
    #[serde(default)]
    pub verify_sends: Option<RateLimit>,
}

impl RateLimits {
    /// No limits: what the library starts with, so tests meet limits only when they ask.
    pub fn off() -> Self {
        RateLimits::default()
    }

    /// The binary's default: 10 SMS and 10 calls per number per hour, and 5 phone
    /// verifications per number per 10 minutes (Authy's own figures are not on record; these
    /// sit above tower-authy's limits and match Verify's 5 sends per 10 minutes).
    pub fn authy() -> Self {
        RateLimits {
            sms: Some(RateLimit {
                max: 10,
                per_seconds: 3600,
            }),
            calls: Some(RateLimit {
                max: 10,
                per_seconds: 3600,
            }),
            phone_verifications: Some(RateLimit {
                max: 5,
                per_seconds: 600,
            }),
            verify_sends: Some(RateLimit {
                max: VERIFY_SENDS_PER_10_MINUTES,
                per_seconds: 600,
            }),
        }
    }
}
