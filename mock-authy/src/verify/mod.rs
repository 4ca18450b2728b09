//! What the simulated Verify v2 service knows: services, verifications (SMS, call and email
//! codes), entities, factors (push and TOTP), challenges and webhooks (authy-api.md part D).
//! Like the Authy world, it is synchronous and lives behind the one mutex.

use crate::otp;
use crate::rng::Rng;
use serde::{Deserialize, Serialize};

/// How long a verification's code lives, in seconds (Verify's 10 minutes).
pub(crate) const VERIFICATION_TTL: i64 = 600;
/// Wrong checks before a verification ends as `max_attempts_reached`.
pub(crate) const CHECK_ATTEMPTS: u32 = 5;
/// A challenge's life when no `ExpirationDate` is given (Verify's five minutes), and the most.
pub(crate) const CHALLENGE_TTL: i64 = 300;
pub(crate) const CHALLENGE_MAX_TTL: i64 = 3600;

/// A Verify service.
#[derive(Debug, Clone)]
pub(crate) struct Service {
    pub(crate) sid: String,
    pub(crate) friendly_name: String,
    pub(crate) code_length: usize,
    pub(crate) created_at: i64,
}

/// The life of a verification (`status` in Verify's answers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum VerifyCodeStatus {
    /// Sent, not yet checked right.
    Pending,
    /// Checked right.
    Approved,
    /// Cancelled through the API.
    Canceled,
    /// Five wrong checks.
    MaxAttemptsReached,
    /// Ten minutes passed.
    Expired,
}

impl VerifyCodeStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            VerifyCodeStatus::Pending => "pending",
            VerifyCodeStatus::Approved => "approved",
            VerifyCodeStatus::Canceled => "canceled",
            VerifyCodeStatus::MaxAttemptsReached => "max_attempts_reached",
            VerifyCodeStatus::Expired => "expired",
        }
    }
}

/// A code sent by SMS, call or email through Verify, as the control API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyCode {
    /// `VE…`.
    pub sid: String,
    /// The service.
    pub service_sid: String,
    /// E.164 number or email.
    pub to: String,
    /// `sms`, `call` or `email`.
    pub channel: String,
    /// The code the phone received.
    pub code: String,
    /// Its state.
    pub status: VerifyCodeStatus,
    /// Wrong checks so far.
    pub wrong_checks: u32,
    /// Unix seconds on the mock's clock.
    pub created_at: i64,
}

/// A factor of an entity.
#[derive(Debug, Clone)]
pub(crate) struct Factor {
    pub(crate) sid: String,
    pub(crate) service_sid: String,
    pub(crate) entity_sid: String,
    pub(crate) identity: String,
    pub(crate) friendly_name: String,
    pub(crate) push: bool,
    pub(crate) verified: bool,
    pub(crate) secret: Vec<u8>,
    pub(crate) time_step: i64,
    pub(crate) skew: i64,
    pub(crate) code_length: u32,
    pub(crate) metadata: serde_json::Value,
    pub(crate) config: serde_json::Value,
    pub(crate) created_at: i64,
}

/// The life of a challenge.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ChallengeStatus {
    /// Waiting for the phone.
    Pending,
    /// Approved on the phone (push) or with a right code (TOTP).
    Approved,
    /// Denied on the phone.
    Denied,
    /// Not answered by its expiration date.
    Expired,
}

impl ChallengeStatus {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            ChallengeStatus::Pending => "pending",
            ChallengeStatus::Approved => "approved",
            ChallengeStatus::Denied => "denied",
            ChallengeStatus::Expired => "expired",
        }
    }
}

/// A Verify challenge, as the control API and the phone page show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct VerifyChallenge {
    /// `YC…`.
    pub sid: String,
    /// The service.
    pub service_sid: String,
    /// The entity's identity.
    pub identity: String,
    /// `YE…`.
    pub entity_sid: String,
    /// `YF…`.
    pub factor_sid: String,
    /// `push` or `totp`.
    pub factor_type: String,
    /// Its state.
    pub status: ChallengeStatus,
    /// `Details.Message`.
    pub message: String,
    /// `Details.Fields`, as `{"label", "value"}` objects.
    pub fields: Vec<serde_json::Value>,
    /// `HiddenDetails`, a JSON object.
    pub hidden_details: serde_json::Value,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Unix seconds, once answered.
    pub responded_at: Option<i64>,
}

/// A webhook subscription.
#[derive(Debug, Clone)]
pub(crate) struct Webhook {
    pub(crate) sid: String,
    pub(crate) service_sid: String,
    pub(crate) friendly_name: String,
    pub(crate) event_types: Vec<String>,
    pub(crate) url: String,
    pub(crate) enabled: bool,
    pub(crate) version: String,
    pub(crate) created_at: i64,
}

impl Webhook {
    pub(crate) fn wants(&self, event: &str) -> bool {
        self.enabled && self.event_types.iter().any(|e| e == "*" || e == event)
    }
}

/// Everything Verify knows.
#[derive(Debug, Default)]
pub(crate) struct VerifyWorld {
    pub(crate) services: Vec<Service>,
    pub(crate) codes: Vec<VerifyCode>,
    /// (service, identity, entity sid, created)
    pub(crate) entities: Vec<(String, String, String, i64)>,
    pub(crate) factors: Vec<Factor>,
    pub(crate) challenges: Vec<VerifyChallenge>,
    pub(crate) webhooks: Vec<Webhook>,
    /// TOTP steps used per factor.
    pub(crate) used_steps: std::collections::HashSet<(String, i64)>,
}

/// A Twilio SID: two letters and 32 hex digits.
pub(crate) fn sid(rng: &mut Rng, prefix: &str) -> String {
    format!("{prefix}{:016x}{:016x}", rng.next_u64(), rng.next_u64())
}

impl VerifyWorld {
    pub(crate) fn with_default_service(sid: &str, name: &str, now: i64) -> Self {
        VerifyWorld {
            services: vec![Service {
                sid: sid.to_owned(),
                friendly_name: name.to_owned(),
                code_length: 6,
                created_at: now,
            }],
            ..VerifyWorld::default()
        }
    }

    pub(crate) fn service(&self, sid: &str) -> Option<&Service> {
        self.services.iter().find(|s| s.sid == sid)
    }

    /// Ends verifications and challenges whose time is up.
    pub(crate) fn expire(&mut self, now: i64) {
        for c in &mut self.codes {
            if c.status == VerifyCodeStatus::Pending && now - c.created_at >= VERIFICATION_TTL {
                c.status = VerifyCodeStatus::Expired;
            }
        }
        for c in &mut self.challenges {
            if c.status == ChallengeStatus::Pending && now >= c.expires_at {
                c.status = ChallengeStatus::Expired;
            }
        }
    }

    /// Sends to `to` in the last `window` seconds.
    pub(crate) fn recent_sends(&self, service: &str, to: &str, now: i64, window: i64) -> usize {
        self.codes
            .iter()
            .filter(|c| c.service_sid == service && c.to == to && now - c.created_at < window)
            .count()
    }

    /// The pending verification for `to`, or with this sid.
    pub(crate) fn pending_code(&mut self, service: &str, key: &str) -> Option<&mut VerifyCode> {
        self.codes.iter_mut().rev().find(|c| {
            c.service_sid == service
                && (c.to == key || c.sid == key)
                && c.status == VerifyCodeStatus::Pending
        })
    }

    pub(crate) fn entity(
        &self,
        service: &str,
        identity: &str,
    ) -> Option<&(String, String, String, i64)> {
        self.entities
            .iter()
            .find(|e| e.0 == service && e.1 == identity)
    }

    pub(crate) fn factor_mut(
        &mut self,
        service: &str,
        identity: &str,
        sid: &str,
    ) -> Option<&mut Factor> {
        self.factors
            .iter_mut()
            .find(|f| f.service_sid == service && f.identity == identity && f.sid == sid)
    }

    /// Marks an entity's TOTP factors verified, as their app did at enrolment; how many.
    pub(crate) fn verify_totp_factors(&mut self, identity: &str) -> usize {
        let mut n = 0;
        for f in self
            .factors
            .iter_mut()
            .filter(|f| f.identity == identity && !f.push)
        {
            f.verified = true;
            n += 1;
        }
        n
    }

    /// Sets the metadata of an entity's TOTP factors; how many there were.
    pub(crate) fn set_totp_metadata(
        &mut self,
        identity: &str,
        metadata: &serde_json::Value,
    ) -> usize {
        let mut n = 0;
        for f in self
            .factors
            .iter_mut()
            .filter(|f| f.identity == identity && !f.push)
        {
            f.metadata = metadata.clone();
            n += 1;
        }
        n
    }

    /// The code a TOTP factor's app shows at `now`.
    pub(crate) fn totp_code(&self, factor_sid: &str, now: i64) -> Option<String> {
        let f = self
            .factors
            .iter()
            .find(|f| f.sid == factor_sid && !f.push)?;
        Some(otp::totp_digits(
            &f.secret,
            now / f.time_step,
            f.code_length,
        ))
    }

    /// The code the app holding an entity's newest TOTP factor shows at `now`.
    pub(crate) fn entity_totp_code(&self, identity: &str, now: i64) -> Option<String> {
        let f = self
            .factors
            .iter()
            .rev()
            .find(|f| f.identity == identity && !f.push)?;
        Some(otp::totp_digits(
            &f.secret,
            now / f.time_step,
            f.code_length,
        ))
    }

    /// Whether `code` is right for a TOTP factor now (within its skew), and not used before;
    /// marks its step used.
    pub(crate) fn totp_matches(
        factor: &Factor,
        used: &mut std::collections::HashSet<(String, i64)>,
        code: &str,
        now: i64,
    ) -> bool {
        let step = now / factor.time_step;
        for s in step - factor.skew..=step + factor.skew {
            let expected = otp::totp_digits(&factor.secret, s, factor.code_length);
            if expected == code && used.insert((factor.sid.clone(), s)) {
                return true;
            }
        }
        false
    }
}

/// The account SID the mock accepts when none is configured.
pub const DEFAULT_ACCOUNT_SID: &str = "AC0000000000000000000000000000a11f";
/// The auth token the mock accepts (and signs webhooks with) when none is configured.
pub const DEFAULT_AUTH_TOKEN: &str = "mock-twilio-auth-token";
/// The Verify service that exists from the start.
pub const DEFAULT_SERVICE_SID: &str = "VA0000000000000000000000000000a11f";
