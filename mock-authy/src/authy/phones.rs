//! Phone Verification v1 (a code sent to a number, no Authy user), what `phones/info` says about
//! a number, and the per-number rate limits on SMS, calls and verifications.

use super::{AuthyWorld, Channel};
use crate::limits::RateLimits;
use crate::rng::Rng;
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

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Sending {
    Sms,
    Call,
    Verification,
}

impl AuthyWorld {
    /// Counts a send to `number` (`cc/national`) if the limit allows it; false when it does
    /// not, and then nothing is counted.
    pub(crate) fn admit(
        &mut self,
        limits: &RateLimits,
        what: Sending,
        number: &str,
        now: i64,
    ) -> bool {
        let limit = match what {
            Sending::Sms => limits.sms,
            Sending::Call => limits.calls,
            Sending::Verification => limits.phone_verifications,
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
    pub(crate) fn start_verification(
        &mut self,
        rng: &mut Rng,
        mut v: PhoneVerification,
    ) -> &PhoneVerification {
        for old in self.verifications.iter_mut().filter(|o| {
            o.status == VerificationStatus::Pending
                && (&o.country_code, &o.phone_number) == (&v.country_code, &v.phone_number)
        }) {
            old.status = VerificationStatus::Expired;
        }
        v.uuid = rng.uuid();
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
