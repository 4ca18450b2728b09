//! Phone Verification v1 (a code sent to a number, no Authy user), what `phones/info` says about
//! a number, and the per-number rate limits on SMS, calls and verifications.

use super::{Channel, World};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;

/// How long a phone verification code stays valid, in seconds.
pub(crate) const VERIFICATION_TTL: i64 = 600;
/// Wrong checks after which a verification is over.
pub(crate) const VERIFICATION_ATTEMPTS: u32 = 5;

/// The life of a phone verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerificationStatus {
    /// Sent, not yet checked right.
    Pending,
    /// Checked with the right code.
    Verified,
    /// Timed out, replaced by a newer one, or out of attempts.
    Expired,
}

/// A code the mock "sent" through the Phone Verification API.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PhoneVerification {
    /// Authy's id for it.
    pub uuid: String,
    /// Digits only.
    pub country_code: String,
    /// The national number, digits only.
    pub phone_number: String,
    /// SMS or call.
    pub via: Channel,
    /// The code.
    pub code: String,
    /// The text the phone received (or heard).
    pub message: String,
    /// The `locale` asked for, if any.
    pub locale: Option<String>,
    /// Unix seconds on the mock's clock.
    pub sent_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Wrong checks so far.
    pub failed_attempts: u32,
    /// Where it stands.
    pub status: VerificationStatus,
}

/// What kind of line a number is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineType {
    /// A mobile phone.
    Cellphone,
    /// A fixed line.
    Landline,
    /// Internet telephony.
    Voip,
    /// The carrier does not say.
    Unknown,
}

/// What `phones/info` reports about a number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PhoneInfo {
    /// The kind of line.
    #[serde(rename = "type")]
    pub kind: LineType,
    /// The carrier.
    pub provider: String,
    /// Whether the number moved carrier.
    pub ported: bool,
}

impl Default for PhoneInfo {
    /// A mobile number on the mock's own carrier: what every number is until told otherwise.
    fn default() -> Self {
        PhoneInfo {
            kind: LineType::Cellphone,
            provider: "Mock Mobile".into(),
            ported: false,
        }
    }
}

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
                max: crate::verify::SENDS_PER_10_MINUTES,
                per_seconds: 600,
            }),
        }
    }
}

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sending {
    Sms,
    Call,
    Verification,
}

impl World {
    /// Counts a send to `number` (`cc/national`) if the limit allows it; false when it does
    /// not, and then nothing is counted.
    pub(crate) fn admit(&mut self, what: Sending, number: &str, now: i64) -> bool {
        let limit = match what {
            Sending::Sms => self.rate_limits.sms,
            Sending::Call => self.rate_limits.calls,
            Sending::Verification => self.rate_limits.phone_verifications,
        };
        let Some(limit) = limit else {
            return true;
        };
        let sent: &mut VecDeque<i64> = self.sends.entry((what, number.to_owned())).or_default();
        while sent.front().is_some_and(|&t| now - t >= limit.per_seconds) {
            sent.pop_front();
        }
        if sent.len() >= limit.max as usize {
            return false;
        }
        sent.push_back(now);
        true
    }

    /// Starts a verification, closing any earlier pending one for the same number.
    pub(crate) fn start_verification(&mut self, mut v: PhoneVerification) -> &PhoneVerification {
        for old in self.verifications.iter_mut().filter(|o| {
            o.status == VerificationStatus::Pending
                && (&o.country_code, &o.phone_number) == (&v.country_code, &v.phone_number)
        }) {
            old.status = VerificationStatus::Expired;
        }
        v.uuid = self.rng.uuid();
        self.verifications.push(v);
        self.verifications.last().expect("just pushed")
    }

    /// Marks verifications past their time as expired.
    pub(crate) fn expire_verifications(&mut self, now: i64) {
        for v in self
            .verifications
            .iter_mut()
            .filter(|v| v.status == VerificationStatus::Pending && now >= v.expires_at)
        {
            v.status = VerificationStatus::Expired;
        }
    }

    /// The newest verification of a number, expiry applied.
    pub(crate) fn latest_verification(
        &mut self,
        country_code: &str,
        phone_number: &str,
        now: i64,
    ) -> Option<&mut PhoneVerification> {
        self.expire_verifications(now);
        self.verifications
            .iter_mut()
            .rev()
            .find(|v| v.country_code == country_code && v.phone_number == phone_number)
    }

    /// A verification by uuid, expiry applied.
    pub(crate) fn verification(&mut self, uuid: &str, now: i64) -> Option<&PhoneVerification> {
        self.expire_verifications(now);
        self.verifications.iter().find(|v| v.uuid == uuid)
    }

    /// What `phones/info` says about a number.
    pub(crate) fn phone_info(&self, number: &str) -> PhoneInfo {
        self.phone_info.get(number).cloned().unwrap_or_default()
    }
}
