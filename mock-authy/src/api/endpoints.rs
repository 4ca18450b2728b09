//! Each endpoint's answer, as Authy gives it (authy-api.md A.4).

use crate::authy::{
    ApprovalRequest, ApprovalStatus, Channel, Sending, VerifyOutcome, object_or_null,
};
use crate::endpoint::Endpoint;
use crate::numbering;
use crate::params::{self};
use crate::state::Inner;
use http::StatusCode;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// An Authy error body: `{"message", "success": false, "errors": {"message"}, "error_code"}`.
pub(crate) fn error_body(message: &str, code: &str) -> Value {
    json!({"message": message, "success": false, "errors": {"message": message}, "error_code": code})
}

pub(super) fn user_not_found() -> (StatusCode, Value) {
    (
        StatusCode::NOT_FOUND,
        error_body("User not found.", "60026"),
    )
}

pub(super) fn invalid_parameter(what: &str) -> (StatusCode, Value) {
    (
        StatusCode::BAD_REQUEST,
        error_body(&format!("Invalid parameter: {what}"), "60004"),
    )
}

pub(super) fn parse_id(s: &str) -> Option<u64> {
    if s.is_empty() || s.len() > 19 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse().ok()
}

/// `+<cc>-XXX-XXX-XX<last2>`
fn masked_cellphone(country_code: &str, cellphone: &str) -> String {
    let last2 = &cellphone[cellphone.len().saturating_sub(2)..];
    format!("+{country_code}-XXX-XXX-XX{last2}")
}

pub(super) fn endpoint_response(
    inner: &Arc<Inner>,
    endpoint: Endpoint,
    args: &[String],
    p: &Map<String, Value>,
) -> (StatusCode, Value) {
    let now = inner.clock.now();
    let id = args.first().and_then(|a| parse_id(a));
    match endpoint {
        Endpoint::UsersNew => super::users::users_new(inner, p),
        Endpoint::AppStats => super::app::stats(inner, now),
        Endpoint::RegisterActivity => super::app::register_activity(inner, &args[0], p),
        Endpoint::Email => super::phones::email(inner, &args[0], p, now),
        Endpoint::PhoneVerificationStart => super::phones::verification_start(inner, p, now),
        Endpoint::PhoneVerificationCheck => super::phones::verification_check(inner, p, now),
        Endpoint::PhoneVerificationStatus => super::phones::verification_status(inner, p, now),
        Endpoint::PhoneInfo => super::phones::info(inner, p, now),
        Endpoint::AppDetails => (
            StatusCode::OK,
            json!({"app": {"app_id": 3, "name": inner.config.app_name, "plan": "pay_as_you_go", "sms_enabled": true},
                   "message": "Application information.", "success": true}),
        ),
        Endpoint::UserStatus => {
            let Some(id) = id else {
                return user_not_found();
            };
            inner.with_world(|w| match w.authy.users.get(&id) {
                None => user_not_found(),
                Some(u) => {
                    let has_app = u.onetouch.has_device();
                    let last4 = &u.cellphone[u.cellphone.len().saturating_sub(4)..];
                    let devices: Vec<&str> = if has_app { vec!["android"] } else { vec![] };
                    let detailed: Vec<Value> = if has_app {
                        vec![json!({"device_type": "authy", "os_type": "android", "registration_device_id": null,
                                    "registration_method": "sms", "device_id": 2_000_000 + id % 1_000_000,
                                    "last_sync_date": now, "creation_date": now})]
                    } else {
                        vec![]
                    };
                    (
                        StatusCode::OK,
                        json!({"status": {"authy_id": id, "confirmed": u.confirmed, "registered": has_app,
                                          "country_code": u.country_code.parse::<u32>().unwrap_or(0),
                                          "phone_number": format!("XXX-XXX-{last4}"),
                                          "email": u.emails.first(), "devices": devices,
                                          "has_hard_token": false, "account_disabled": false,
                                          "detailed_devices": detailed, "deleted_devices": []},
                               "message": "User status.", "success": true}),
                    )
                }
            })
        }
        Endpoint::UserDelete => {
            let removed = id.is_some_and(|id| inner.with_world(|w| w.authy.remove_user(id)));
            if removed {
                (
                    StatusCode::OK,
                    json!({"message": "User was added to remove.", "success": true}),
                )
            } else {
                user_not_found()
            }
        }
        Endpoint::Sms | Endpoint::Call => {
            let Some(id) = id else {
                return user_not_found();
            };
            let (channel, sending) = if endpoint == Endpoint::Sms {
                (Channel::Sms, Sending::Sms)
            } else {
                (Channel::Call, Sending::Call)
            };
            let force = params::truthy(p, "force");
            let action = params::text(p, "action").filter(|s| !s.is_empty());
            let action_message = params::text(p, "action_message");
            inner.with_world(|w| {
                let Some(u) = w.authy.users.get(&id) else { return user_not_found() };
                let cellphone = masked_cellphone(&u.country_code, &u.cellphone);
                if u.onetouch.has_device() && !force {
                    let message = if channel == Channel::Sms {
                        "Ignored: SMS is not needed for smartphones. Pass force=true if you want to actually send it anyway."
                    } else {
                        "Call ignored. User is using  App Tokens and this call is not necessary. Pass force=true if you still want to call users that are using the App."
                    };
                    return (
                        StatusCode::OK,
                        json!({"message": message, "cellphone": cellphone, "device": "android", "ignored": true, "success": true}),
                    );
                }
                let number = format!("{}/{}", u.country_code, u.cellphone);
                if !w.authy.admit(&w.rate_limits, sending, &number, now) {
                    return super::phones::rate_limited();
                }
                w.authy.send_code(&mut w.rng, id, channel, now, action, action_message);
                let message = if channel == Channel::Sms {
                    "SMS token was sent"
                } else {
                    "Call started..."
                };
                (StatusCode::OK, json!({"success": true, "message": message, "cellphone": cellphone}))
            })
        }
        Endpoint::Verify => {
            let token = &args[0];
            let Some(id) = args.get(1).and_then(|a| parse_id(a)) else {
                return user_not_found();
            };
            let well_formed =
                (6..=12).contains(&token.len()) && token.bytes().all(|b| b.is_ascii_digit());
            let force = params::truthy(p, "force");
            let action = params::text(p, "action").filter(|s| !s.is_empty());
            let outcome = inner.with_world(|w| {
                if !w.authy.users.contains_key(&id) {
                    VerifyOutcome::UnknownUser
                } else if !well_formed {
                    VerifyOutcome::Invalid
                } else {
                    w.authy.verify(id, token, force, action.as_deref(), now)
                }
            });
            match outcome {
                VerifyOutcome::Valid => (
                    StatusCode::OK,
                    json!({"message": "Token is valid.", "token": "is valid", "success": "true",
                           "device": {"id": null, "os_type": "sms", "registration_date": now, "registration_method": null,
                                      "registration_country": null, "registration_region": null, "registration_city": null,
                                      "country": null, "region": null, "city": null, "ip": null,
                                      "last_account_recovery_at": null, "last_sync_date": null}}),
                ),
                VerifyOutcome::UnknownUser => user_not_found(),
                VerifyOutcome::Invalid | VerifyOutcome::Reused => {
                    let code = if outcome == VerifyOutcome::Reused {
                        "60019"
                    } else {
                        "60020"
                    };
                    let mut b = error_body("Token is invalid", code);
                    b["token"] = json!("is invalid");
                    (StatusCode::UNAUTHORIZED, b)
                }
            }
        }
        Endpoint::Secret => {
            let Some(id) = id else {
                return user_not_found();
            };
            if params::text(p, "qr_size")
                .is_some_and(|s| s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()))
            {
                return invalid_parameter("qr_size");
            }
            let label = params::text(p, "label").unwrap_or_default();
            inner.with_world(|w| match w.authy.users.get(&id) {
                None => user_not_found(),
                Some(u) => {
                    let secret = crate::otp::base32(&u.secret);
                    let uri = crate::otp::otpauth_uri(
                        &u.secret,
                        u.emails.first().map_or("", String::as_str),
                        &label,
                        &inner.config.app_name,
                    );
                    (
                        StatusCode::OK,
                        json!({"qr_code": format!("{}/__mock/users/{id}/qr.png", inner.base_url),
                               "secret": secret, "uri": uri, "label": label,
                               "message": "QR code.", "success": true}),
                    )
                }
            })
        }
        Endpoint::ApprovalRequestCreate => approval_create(inner, id, p, now),
        Endpoint::ApprovalRequestGet => {
            let uuid = &args[0];
            inner.with_world(|w| {
                let Some(a) = w.authy.approval(uuid, now).cloned() else {
                    return (
                        StatusCode::NOT_FOUND,
                        json!({"message": format!("Approval request not found: {uuid}"), "success": false, "errors": {}, "error_code": "60049"}),
                    );
                };
                let processed = a.processed_at.map(iso8601);
                (
                    StatusCode::OK,
                    json!({"approval_request": {
                        "_app_name": inner.config.app_name, "_app_serial_id": 3, "_authy_id": a.authy_id,
                        "_id": a.uuid.replace('-', "")[..24].to_owned(), "_user_email": a.user_email,
                        "app_id": crate::delivery::app_id(&inner.config.app_name),
                        "created_at": iso8601(a.created_at), "notified": false,
                        "processed_at": processed, "seconds_to_expire": a.seconds_to_expire,
                        "status": a.status.as_str(), "updated_at": a.processed_at.map_or_else(|| iso8601(a.created_at), iso8601),
                        "user_id": format!("{:024x}", a.authy_id), "uuid": a.uuid},
                     "success": true}),
                )
            })
        }
        // Routed to `crate::verify` before this point.
        _ => (
            StatusCode::NOT_FOUND,
            json!({"message": "Resource not found", "success": false, "errors": {}, "error_code": "60000"}),
        ),
    }
}

fn approval_create(
    inner: &Arc<Inner>,
    id: Option<u64>,
    p: &Map<String, Value>,
    now: i64,
) -> (StatusCode, Value) {
    let Some(id) = id else {
        return user_not_found();
    };
    let message = params::text(p, "message").unwrap_or_default();
    if message.trim().is_empty() || message.chars().count() > numbering::MAX_TEXT {
        return invalid_parameter("message");
    }
    for key in ["details", "hidden_details"] {
        let fine = match p.get(key) {
            None | Some(Value::Null) => true,
            Some(Value::String(s)) => s.is_empty(),
            // "Max 20 characters for the Key" (shown on the phone; hidden ones are not).
            Some(Value::Object(m)) => {
                key == "hidden_details"
                    || m.keys()
                        .all(|k| k.chars().count() <= numbering::MAX_DETAIL_KEY)
            }
            Some(_) => false,
        };
        if !fine {
            return invalid_parameter(key);
        }
    }
    let logos = match p.get("logos") {
        None | Some(Value::Null) => Value::Null,
        Some(Value::String(s)) if s.is_empty() => Value::Null,
        Some(Value::Array(items))
            if items
                .iter()
                .all(|l| l.as_object().is_some_and(numbering::logo_is_valid)) =>
        {
            Value::Array(items.clone())
        }
        Some(_) => return invalid_parameter("logos"),
    };
    let seconds_to_expire = match p.get("seconds_to_expire") {
        None | Some(Value::Null) => 86_400,
        Some(v) => match params::scalar_text(v).and_then(|s| s.parse::<i64>().ok()) {
            Some(n) if n >= 0 => n,
            _ => return invalid_parameter("seconds_to_expire"),
        },
    };
    let created = inner.with_world(|w| {
        let user = w.authy.users.get(&id)?;
        let (behaviour, user_email) = (user.onetouch, user.emails.first().cloned());
        if !behaviour.has_device() {
            return Some(Err(()));
        }
        let uuid = w.authy.create_approval(
            &mut w.rng,
            ApprovalRequest {
                uuid: String::new(),
                authy_id: id,
                message,
                details: object_or_null(p.get("details")),
                hidden_details: object_or_null(p.get("hidden_details")),
                user_email,
                logos,
                seconds_to_expire,
                created_at: now,
                status: ApprovalStatus::Pending,
                processed_at: None,
            },
        );
        Some(Ok((uuid, behaviour)))
    });
    match created {
        None => user_not_found(),
        Some(Err(())) => (
            StatusCode::BAD_REQUEST,
            error_body("User doesn't have a OneTouch enabled device.", "60051"),
        ),
        Some(Ok((uuid, behaviour))) => {
            tracing::info!(authy_id = id, %uuid, "approval request created");
            inner.schedule_auto_answer(uuid.clone(), behaviour);
            (
                StatusCode::OK,
                json!({"approval_request": {"uuid": uuid}, "success": true}),
            )
        }
    }
}

/// `2017-02-10T01:09:52Z` from Unix seconds (UTC, RFC 3339).
pub(crate) fn iso8601(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso8601_known_dates() {
        assert_eq!(iso8601(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601(1_486_688_992), "2017-02-10T01:09:52Z");
        assert_eq!(iso8601(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn ids_are_plain_digits() {
        assert_eq!(parse_id("42"), Some(42));
        for bad in ["", "tony", "-1", "+1", "1.0", "99999999999999999999"] {
            assert_eq!(parse_id(bad), None, "{bad}");
        }
    }

    #[test]
    fn masks_like_authy() {
        assert_eq!(masked_cellphone("54", "3173389302"), "+54-XXX-XXX-XX02");
    }
}
