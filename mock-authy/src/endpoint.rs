//! [`Endpoint`]: the Authy endpoints the mock serves, by the names faults and the journal use,
//! and [`FaultTarget`]: which of them a fault applies to.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The Authy endpoints the mock serves. Their names are what faults and the journal use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `POST /protected/json/users/new`
    UsersNew,
    /// `GET /protected/json/users/{id}/status`
    UserStatus,
    /// `POST /protected/json/users/{id}/remove` (and the two legacy paths)
    UserDelete,
    /// `GET /protected/json/sms/{id}`
    Sms,
    /// `GET /protected/json/call/{id}`
    Call,
    /// `GET /protected/json/verify/{token}/{id}`
    Verify,
    /// `POST /protected/json/users/{id}/secret`
    Secret,
    /// `GET /protected/json/app/details`
    AppDetails,
    /// `GET /protected/json/app/stats`
    AppStats,
    /// `POST /protected/json/users/{id}/register_activity`
    RegisterActivity,
    /// `POST /protected/json/email/{id}`
    Email,
    /// `POST /protected/json/phones/verification/start`
    PhoneVerificationStart,
    /// `GET /protected/json/phones/verification/check`
    PhoneVerificationCheck,
    /// `GET /protected/json/phones/verification/status`
    PhoneVerificationStatus,
    /// `GET /protected/json/phones/info`
    PhoneInfo,
    /// `POST /onetouch/json/users/{id}/approval_requests`
    ApprovalRequestCreate,
    /// `GET /onetouch/json/approval_requests/{uuid}`
    ApprovalRequestGet,
    /// Verify v2: `/v2/Services` and `/v2/Services/{Sid}`
    VerifyService,
    /// Verify v2: `POST /v2/Services/{Sid}/Verifications`
    VerifyVerificationCreate,
    /// Verify v2: `GET`/`POST /v2/Services/{Sid}/Verifications/{Sid}`
    VerifyVerification,
    /// Verify v2: `POST /v2/Services/{Sid}/VerificationCheck`
    VerifyVerificationCheck,
    /// Verify v2: `/v2/Services/{Sid}/Entities[/{Identity}]`
    VerifyEntity,
    /// Verify v2: `.../Entities/{Identity}/Factors[/{Sid}]`
    VerifyFactor,
    /// Verify v2: `POST .../Entities/{Identity}/Challenges`
    VerifyChallengeCreate,
    /// Verify v2: reading, listing and answering challenges
    VerifyChallenge,
    /// Verify v2: `/v2/Services/{Sid}/Webhooks[/{Sid}]`
    VerifyWebhook,
}

impl Endpoint {
    /// The name used by faults and in the journal.
    pub fn name(self) -> &'static str {
        match self {
            Endpoint::UsersNew => "users_new",
            Endpoint::UserStatus => "user_status",
            Endpoint::UserDelete => "user_delete",
            Endpoint::Sms => "sms",
            Endpoint::Call => "call",
            Endpoint::Verify => "verify",
            Endpoint::Secret => "secret",
            Endpoint::AppDetails => "app_details",
            Endpoint::AppStats => "app_stats",
            Endpoint::RegisterActivity => "register_activity",
            Endpoint::Email => "email",
            Endpoint::PhoneVerificationStart => "phone_verification_start",
            Endpoint::PhoneVerificationCheck => "phone_verification_check",
            Endpoint::PhoneVerificationStatus => "phone_verification_status",
            Endpoint::PhoneInfo => "phone_info",
            Endpoint::ApprovalRequestCreate => "approval_request_create",
            Endpoint::ApprovalRequestGet => "approval_request_get",
            Endpoint::VerifyService => "verify_service",
            Endpoint::VerifyVerificationCreate => "verify_verification_create",
            Endpoint::VerifyVerification => "verify_verification",
            Endpoint::VerifyVerificationCheck => "verify_verification_check",
            Endpoint::VerifyEntity => "verify_entity",
            Endpoint::VerifyFactor => "verify_factor",
            Endpoint::VerifyChallengeCreate => "verify_challenge_create",
            Endpoint::VerifyChallenge => "verify_challenge",
            Endpoint::VerifyWebhook => "verify_webhook",
        }
    }

    /// Every endpoint.
    pub const ALL: [Endpoint; 26] = [
        Endpoint::UsersNew,
        Endpoint::UserStatus,
        Endpoint::UserDelete,
        Endpoint::Sms,
        Endpoint::Call,
        Endpoint::Verify,
        Endpoint::Secret,
        Endpoint::AppDetails,
        Endpoint::AppStats,
        Endpoint::RegisterActivity,
        Endpoint::Email,
        Endpoint::PhoneVerificationStart,
        Endpoint::PhoneVerificationCheck,
        Endpoint::PhoneVerificationStatus,
        Endpoint::PhoneInfo,
        Endpoint::ApprovalRequestCreate,
        Endpoint::ApprovalRequestGet,
        Endpoint::VerifyService,
        Endpoint::VerifyVerificationCreate,
        Endpoint::VerifyVerification,
        Endpoint::VerifyVerificationCheck,
        Endpoint::VerifyEntity,
        Endpoint::VerifyFactor,
        Endpoint::VerifyChallengeCreate,
        Endpoint::VerifyChallenge,
        Endpoint::VerifyWebhook,
    ];

    /// The endpoint with this [`name`](Self::name).
    pub fn from_name(name: &str) -> Option<Endpoint> {
        Endpoint::ALL.into_iter().find(|e| e.name() == name)
    }
}

impl Serialize for Endpoint {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for Endpoint {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Endpoint::from_name(&name)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown endpoint {name:?}")))
    }
}

/// Which requests a [`Fault`](crate::Fault) applies to: every Authy endpoint (`"*"` on the
/// control API), or one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every Authy endpoint.
    Any,
    /// One endpoint.
    Endpoint(Endpoint),
}

impl FaultTarget {
    pub(crate) fn matches(self, endpoint: Endpoint) -> bool {
        match self {
            FaultTarget::Any => true,
            FaultTarget::Endpoint(e) => e == endpoint,
        }
    }
}

impl From<Endpoint> for FaultTarget {
    fn from(e: Endpoint) -> Self {
        FaultTarget::Endpoint(e)
    }
}

impl Serialize for FaultTarget {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            FaultTarget::Any => s.serialize_str("*"),
            FaultTarget::Endpoint(e) => e.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for FaultTarget {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        if name == "*" {
            return Ok(FaultTarget::Any);
        }
        Endpoint::from_name(&name)
            .map(FaultTarget::Endpoint)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown endpoint {name:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for e in Endpoint::ALL {
            assert_eq!(Endpoint::from_name(e.name()), Some(e));
            let json = serde_json::to_string(&FaultTarget::from(e)).unwrap();
            assert_eq!(
                serde_json::from_str::<FaultTarget>(&json).unwrap(),
                e.into()
            );
        }
        assert_eq!(
            serde_json::from_str::<FaultTarget>("\"*\"").unwrap(),
            FaultTarget::Any
        );
        assert!(serde_json::from_str::<FaultTarget>("\"nope\"").is_err());
    }
}
