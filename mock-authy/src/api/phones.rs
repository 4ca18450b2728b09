//! Phone Verification v1, `phones/info` and email tokens (authy-api.md A.4.6, A.4.11).

use super::endpoints::{error_body, invalid_parameter, iso8601, parse_id, user_not_found};
use crate::authy::{
    Channel, LineType, PhoneVerification, Sending, VERIFICATION_ATTEMPTS, VERIFICATION_TTL,
    VerificationStatus,
};
use crate::numbering::{self, PhoneNumber};
use crate::params;
use crate::state::Inner;
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// 400 `60033`: the number is not a possible one for its country.
fn invalid_phone() -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        error_body("Phone number is invalid", "60033"),
    )
}

/// 429 `60003`: Authy's DoS protection.
pub(super) fn rate_limited() -> (StatusCode, Value) {
    (
        StatusCode::TOO_MANY_REQUESTS,
        error_body(
            "Client has reached the maximum number of requests per time unit on the given endpoint",
            "60003",
        ),
    )
}

/// 404 `60023`: nothing pending for the number (never started, expired, or already used).
fn no_pending(number: &PhoneNumber) -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        error_body(
            &format!("No pending verifications for {} found.", number.display()),
            "60023",
        ),
    )
}

fn number_param(p: &Map<String, Value>) -> Option<PhoneNumber> {
    let field = |k| params::text(p, k).unwrap_or_default();
    PhoneNumber::parse(&field("country_code"), &field("phone_number")).ok()
}

/// A non-empty text parameter.
fn given(p: &Map<String, Value>, key: &str) -> Option<String> {
    params::text(p, key).filter(|s| !s.is_empty())
}

fn is_code(s: &str) -> bool {
    (4..=10).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
}

/// `en`, `pt-BR`, `zh_CN`: the locales Authy takes are a language and an optional region.
fn is_locale(s: &str) -> bool {
    let (lang, region) = s.split_once(['-', '_']).unwrap_or((s, "AA"));
    lang.len() == 2
        && lang.bytes().all(|b| b.is_ascii_lowercase())
        && (2..=3).contains(&region.len())
        && region.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// `POST /protected/json/phones/verification/start`.
pub(super) fn verification_start(
    inner: &Arc<Inner>,
    p: &Map<String, Value>,
    now: i64,
) -> (StatusCode, Value) {
    let via = match given(p, "via").as_deref() {
        None | Some("sms") => Channel::Sms,
        Some("call") => Channel::Call,
        Some(_) => return invalid_parameter("via"),
    };
    let Some(number) = number_param(p) else {
        return invalid_phone();
    };
    let code_length = match given(p, "code_length") {
        None => 4,
        Some(n) => match n.parse::<usize>() {
            Ok(n) if (4..=10).contains(&n) => n,
            _ => return invalid_parameter("code_length"),
        },
    };
    let custom_code = given(p, "custom_code");
    if custom_code.as_deref().is_some_and(|c| !is_code(c)) {
        return invalid_parameter("custom_code");
    }
    let locale = given(p, "locale");
    if locale.as_deref().is_some_and(|l| !is_locale(l)) {
        return invalid_parameter("locale");
    }
    let custom_message = given(p, "custom_message");
    if custom_message
        .as_deref()
        .is_some_and(|m| m.chars().count() > numbering::MAX_TEXT)
    {
        return invalid_parameter("custom_message");
    }
    let app_name = &inner.config.app_name;
    inner.with_world(|w| {
        if !w
            .authy
            .admit(&w.rate_limits, Sending::Verification, &number.key(), now)
        {
            return rate_limited();
        }
        let code = custom_code.unwrap_or_else(|| w.rng.digits(code_length));
        let message = match custom_message {
            Some(m) if m.contains("{{code}}") => m.replace("{{code}}", &code),
            Some(m) => format!("{m} {code}"),
            None => format!("Your {app_name} verification code is: {code}"),
        };
        let info = w.authy.phone_info(&number.key());
        let v = w.authy.start_verification(
            &mut w.rng,
            PhoneVerification {
                uuid: String::new(),
                country_code: number.country_code.clone(),
                phone_number: number.national.clone(),
                via,
                code,
                message,
                locale,
                sent_at: now,
                expires_at: now + VERIFICATION_TTL,
                failed_attempts: 0,
                status: VerificationStatus::Pending,
            },
        );
        let shown = number.display();
        let message = match via {
            Channel::Call => format!("Call to {shown} initiated."),
            _ => format!("Text message sent to {shown}."),
        };
        tracing::info!(uuid = %v.uuid, "phone verification started");
        (
            StatusCode::OK,
            json!({"carrier": info.provider, "is_cellphone": info.kind == LineType::Cellphone,
                   "message": message, "seconds_to_expire": VERIFICATION_TTL,
                   "uuid": v.uuid, "success": true}),
        )
    })
}

/// `GET /protected/json/phones/verification/check`: the newest pending code of the number,
/// at most five wrong tries.
pub(super) fn verification_check(
    inner: &Arc<Inner>,
    p: &Map<String, Value>,
    now: i64,
) -> (StatusCode, Value) {
    let Some(number) = number_param(p) else {
        return invalid_phone();
    };
    let Some(code) = given(p, "verification_code").filter(|c| is_code(c)) else {
        return invalid_parameter("verification_code");
    };
    inner.with_world(|w| {
        let pending = w
            .authy
            .latest_verification(&number.country_code, &number.national, now)
            .filter(|v| v.status == VerificationStatus::Pending);
        let Some(v) = pending else {
            return no_pending(&number);
        };
        if bool::from(subtle::ConstantTimeEq::ct_eq(
            code.as_bytes(),
            v.code.as_bytes(),
        )) {
            v.status = VerificationStatus::Verified;
            return (
                StatusCode::OK,
                json!({"message": "Verification code is correct.", "success": true}),
            );
        }
        v.failed_attempts += 1;
        if v.failed_attempts >= VERIFICATION_ATTEMPTS {
            v.status = VerificationStatus::Expired;
        }
        (
            StatusCode::UNAUTHORIZED,
            error_body("Verification code is incorrect", "60022"),
        )
    })
}

/// `GET /protected/json/phones/verification/status`, by `uuid` or by number.
pub(super) fn verification_status(
    inner: &Arc<Inner>,
    p: &Map<String, Value>,
    now: i64,
) -> (StatusCode, Value) {
    let uuid = given(p, "uuid");
    let number = number_param(p);
    if uuid.is_none() && number.is_none() {
        return invalid_phone();
    }
    inner.with_world(|w| {
        let found = match (&uuid, &number) {
            (Some(uuid), _) => w.authy.verification(uuid, now).cloned(),
            (None, Some(n)) => w
                .authy
                .latest_verification(&n.country_code, &n.national, now)
                .map(|v| v.clone()),
            (None, None) => None,
        };
        let Some(v) = found else {
            return (
                StatusCode::NOT_FOUND,
                error_body("Phone verification not found", "60023"),
            );
        };
        let left = if v.status == VerificationStatus::Pending {
            v.expires_at - now
        } else {
            0
        };
        (
            StatusCode::OK,
            json!({"message": "Phone Verification status.", "status": v.status,
                   "seconds_to_expire": left, "success": true}),
        )
    })
}

/// `GET /protected/json/phones/info`.
pub(super) fn info(inner: &Arc<Inner>, p: &Map<String, Value>, now: i64) -> (StatusCode, Value) {
    let Some(number) = number_param(p) else {
        return invalid_phone();
    };
    let info = inner.with_world(|w| w.authy.phone_info(&number.key()));
    let as_of = iso8601(now).replace('T', " ").replace('Z', " UTC");
    (
        StatusCode::OK,
        json!({"message": format!("Phone number information as of {as_of}"),
               "type": info.kind, "provider": info.provider, "ported": info.ported,
               "success": true}),
    )
}

/// `POST /protected/json/email/{id}`: a code to the user's (first) email address.
pub(super) fn email(
    inner: &Arc<Inner>,
    id: &str,
    p: &Map<String, Value>,
    now: i64,
) -> (StatusCode, Value) {
    let Some(id) = parse_id(id) else {
        return user_not_found();
    };
    let action = given(p, "action");
    let action_message = given(p, "action_message");
    inner.with_world(|w| {
        let Some(email) = w
            .authy
            .users
            .get(&id)
            .and_then(|u| u.emails.first().cloned())
        else {
            return user_not_found();
        };
        let email_id = format!("EM{}", data_encoding::HEXLOWER.encode(&w.rng.bytes::<16>()));
        w.authy
            .send_code(&mut w.rng, id, Channel::Email, now, action, action_message);
        (
            StatusCode::OK,
            json!({"success": true, "message": "Email token was sent", "email": email,
                   "email_id": email_id}),
        )
    })
}
