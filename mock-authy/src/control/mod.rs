//! The control API under `/__mock`, and the virtual phone page. See `mock-authy/README.md`.
//!
//! `phones` holds the parts for phone verifications, number information and rate limits.

mod phones;
mod verify;

use crate::authy::ControlError;
use crate::authy::{ApprovalStatus, OneTouchBehaviour};
use crate::callback::CallbackMethod;
use crate::model::Fault;
use crate::state::{CallbackTarget, Inner};
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::{Json, Router};
use http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use std::sync::{Arc, PoisonError};

pub(crate) type Shared = State<Arc<Inner>>;

pub(crate) fn router(inner: &Arc<Inner>) -> Router<Arc<Inner>> {
    Router::new()
        .route("/users", get(users))
        .route("/users/{id}", get(user))
        .route("/users/{id}/outbox", get(outbox))
        .route("/users/{id}/app_token", get(app_token))
        .route("/users/{id}/otpauth", get(otpauth))
        .route("/users/{id}/qr.png", get(qr_png))
        .route("/users/{id}/onetouch", put(set_onetouch))
        .route("/approval_requests", get(approvals))
        .route("/approval_requests/{uuid}/{action}", post(decide))
        .route("/faults", get(faults).post(add_fault).delete(clear_faults))
        .route("/journal", get(journal))
        .route("/callbacks", get(callbacks))
        .route("/callback", get(get_callback).put(set_callback))
        .route("/phone_verifications", get(phones::verifications))
        .route(
            "/phones/{country_code}/{number}/info",
            get(phones::info).put(phones::set_info),
        )
        .route(
            "/rate_limits",
            get(phones::rate_limits).put(phones::set_rate_limits),
        )
        .route("/verify/codes", get(verify::codes))
        .route("/verify/challenges", get(verify::challenges))
        .route("/verify/factors/{sid}/code", get(verify::totp_code))
        .route("/verify/entities/{identity}/code", get(verify::entity_code))
        .route(
            "/verify/entities/{identity}/verify_totp",
            post(verify::verify_totp),
        )
        .route(
            "/verify/entities/{identity}/totp_metadata",
            post(verify::totp_metadata),
        )
        .route("/verify/challenges/{sid}/{action}", post(verify::decide))
        .route("/reset", post(reset))
        .route("/clock", get(clock))
        .route("/clock/advance", post(advance_clock))
        .route("/phone", get(crate::phone::page))
        .route("/phone/state", get(crate::phone::state))
        .route("/phone/events", get(crate::phone::events))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(inner),
            only_from_loopback_names,
        ))
}

/// Refuses control requests addressed to a host name that is not loopback (or explicitly
/// allowed), and, when a control token is configured, those without it. A page on another
/// site that rebinds its name to 127.0.0.1 still sends its own name as `Host`.
async fn only_from_loopback_names(
    State(inner): Shared,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let host = request
        .headers()
        .get(http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !host_allowed(host, &inner.config.control_hosts) {
        return problem(
            StatusCode::FORBIDDEN,
            "the control API answers only loopback host names (see --allow-host)",
        );
    }
    if let Some(expected) = &inner.config.control_token {
        let given = request
            .headers()
            .get("x-mock-control-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
            .or_else(|| {
                form_urlencoded::parse(request.uri().query().unwrap_or("").as_bytes())
                    .find(|(k, _)| k == "control_token")
                    .map(|(_, v)| v.into_owned())
            });
        let ok = given.is_some_and(|g| {
            use subtle::ConstantTimeEq as _;
            bool::from(g.as_bytes().ct_eq(expected.as_bytes()))
        });
        if !ok {
            return problem(StatusCode::UNAUTHORIZED, "a control token is required");
        }
    }
    next.run(request).await
}

/// Whether `host` (a `Host` header, with or without port) names loopback or an allowed host.
pub(crate) fn host_allowed(host: &str, allowed: &[String]) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map_or(host, |(n, _)| n)
    }
    .to_ascii_lowercase();
    let loopback = name == "localhost"
        || name
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    !name.is_empty() && (loopback || allowed.contains(&name))
}

pub(crate) fn problem(status: StatusCode, detail: impl std::fmt::Display) -> Response {
    (status, Json(json!({"error": detail.to_string()}))).into_response()
}

pub(crate) fn control_error(e: &ControlError) -> Response {
    let status = match e {
        ControlError::UnknownApproval | ControlError::UnknownUser => StatusCode::NOT_FOUND,
        ControlError::NotPending(_) => StatusCode::CONFLICT,
        _ => StatusCode::BAD_REQUEST,
    };
    problem(status, e)
}

fn parse_id(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

async fn users(State(inner): Shared) -> Json<Value> {
    Json(inner.with_world(|w| json!(w.authy.users.values().collect::<Vec<_>>())))
}

fn with_user<R: serde::Serialize>(
    inner: &Inner,
    raw: &str,
    f: impl FnOnce(&crate::User) -> R,
) -> Response {
    let user = parse_id(raw)
        .and_then(|id| inner.with_world(|w| w.authy.users.get(&id).map(|u| json!(f(u)))));
    match user {
        Some(v) => Json(v).into_response(),
        None => problem(StatusCode::NOT_FOUND, ControlError::UnknownUser),
    }
}

async fn user(State(inner): Shared, Path(id): Path<String>) -> Response {
    with_user(&inner, &id, Clone::clone)
}

async fn outbox(State(inner): Shared, Path(id): Path<String>) -> Response {
    with_user(&inner, &id, |u| u.outbox.clone())
}

async fn app_token(State(inner): Shared, Path(id): Path<String>) -> Response {
    let now = inner.clock.now();
    let step = crate::otp::TOTP_STEP;
    with_user(
        &inner,
        &id,
        |u| json!({"token": crate::otp::totp(&u.secret, now.div_euclid(step)), "valid_for": step - now.rem_euclid(step)}),
    )
}

async fn otpauth(State(inner): Shared, Path(id): Path<String>) -> Response {
    with_user(
        &inner,
        &id,
        |u| json!({"secret": crate::otp::base32(&u.secret), "digits": crate::otp::TOKEN_DIGITS, "period": crate::otp::TOTP_STEP}),
    )
}

/// The QR code that `users/{id}/secret` links to, as Authy serves it: a PNG of the
/// `otpauth://` URI.
async fn qr_png(State(inner): Shared, Path(id): Path<String>) -> Response {
    let uri = parse_id(&id).and_then(|id| {
        inner.with_world(|w| {
            w.authy.users.get(&id).map(|u| {
                let email = u.emails.first().map_or("", String::as_str);
                crate::otp::otpauth_uri(&u.secret, email, "", &inner.config.app_name)
            })
        })
    });
    match uri {
        Some(uri) => (
            [(http::header::CONTENT_TYPE, "image/png")],
            crate::otp::qr_png(&uri),
        )
            .into_response(),
        None => problem(StatusCode::NOT_FOUND, ControlError::UnknownUser),
    }
}

async fn set_onetouch(
    State(inner): Shared,
    Path(id): Path<String>,
    body: Result<Json<OneTouchBehaviour>, JsonRejection>,
) -> Response {
    let Json(behaviour) = match body {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let found = parse_id(&id).is_some_and(|id| {
        inner.with_world(|w| {
            w.authy
                .users
                .get_mut(&id)
                .map(|u| u.onetouch = behaviour)
                .is_some()
        })
    });
    inner.notify();
    if found {
        StatusCode::NO_CONTENT.into_response()
    } else {
        problem(StatusCode::NOT_FOUND, ControlError::UnknownUser)
    }
}

async fn approvals(State(inner): Shared) -> Json<Value> {
    let now = inner.clock.now();
    Json(inner.with_world(|w| {
        w.authy.expire_overdue(now);
        json!(w.authy.approvals)
    }))
}

async fn decide(State(inner): Shared, Path((uuid, action)): Path<(String, String)>) -> Response {
    let to = match action.as_str() {
        "approve" => ApprovalStatus::Approved,
        "deny" => ApprovalStatus::Denied,
        "expire" => {
            let now = inner.clock.now();
            let r = inner.with_world(|w| w.authy.transition(&uuid, ApprovalStatus::Expired, now));
            inner.notify();
            return match r {
                Ok(a) => Json(json!({"approval_request": a, "callback": null})).into_response(),
                Err(e) => control_error(&e),
            };
        }
        _ => {
            return problem(
                StatusCode::NOT_FOUND,
                "action must be approve, deny or expire",
            );
        }
    };
    match inner.decide(&uuid, to).await {
        Ok((a, delivery)) => {
            Json(json!({"approval_request": a, "callback": delivery})).into_response()
        }
        Err(e) => control_error(&e),
    }
}

async fn faults(State(inner): Shared) -> Json<Value> {
    Json(inner.with_world(|w| json!(w.faults)))
}

async fn add_fault(State(inner): Shared, body: Result<Json<Fault>, JsonRejection>) -> Response {
    match body {
        Ok(Json(f)) if f.probability.is_some_and(|p| !(0.0..=1.0).contains(&p)) => problem(
            StatusCode::BAD_REQUEST,
            "probability must be between 0 and 1",
        ),
        Ok(Json(f)) => {
            inner.with_world(|w| w.faults.push(f));
            StatusCode::CREATED.into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e.body_text()),
    }
}

async fn clear_faults(State(inner): Shared) -> StatusCode {
    inner.with_world(|w| w.faults.clear());
    StatusCode::NO_CONTENT
}

async fn journal(State(inner): Shared) -> Json<Value> {
    Json(inner.with_world(|w| json!(w.journal)))
}

async fn callbacks(State(inner): Shared) -> Json<Value> {
    Json(inner.with_world(|w| json!(w.deliveries)))
}

#[derive(Deserialize)]
struct CallbackConfig {
    url: Option<String>,
    #[serde(default)]
    method: CallbackMethod,
}

async fn get_callback(State(inner): Shared) -> Json<Value> {
    Json(match inner.callback_target() {
        Some(t) => json!({"url": t.url, "method": t.method}),
        None => json!({"url": null, "method": null}),
    })
}

async fn set_callback(
    State(inner): Shared,
    body: Result<Json<CallbackConfig>, JsonRejection>,
) -> Response {
    let Json(cfg) = match body {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.body_text()),
    };
    if cfg
        .url
        .as_deref()
        .is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://")))
    {
        return problem(StatusCode::BAD_REQUEST, "url must be http:// or https://");
    }
    *inner
        .callback
        .lock()
        .unwrap_or_else(PoisonError::into_inner) = cfg.url.map(|url| CallbackTarget {
        url,
        method: cfg.method,
    });
    StatusCode::NO_CONTENT.into_response()
}

async fn reset(State(inner): Shared) -> StatusCode {
    crate::state::reset(&inner);
    StatusCode::NO_CONTENT
}

async fn clock(State(inner): Shared) -> Json<Value> {
    Json(json!({"now": inner.clock.now()}))
}

#[derive(Deserialize)]
struct Advance {
    seconds: u32,
}

async fn advance_clock(
    State(inner): Shared,
    body: Result<Json<Advance>, JsonRejection>,
) -> Response {
    match body {
        Ok(Json(a)) => {
            inner.clock.advance(i64::from(a.seconds));
            inner.notify();
            Json(json!({"now": inner.clock.now()})).into_response()
        }
        Err(e) => problem(StatusCode::BAD_REQUEST, e.body_text()),
    }
}

#[cfg(test)]
mod tests {
    use super::host_allowed;

    #[test]
    fn only_loopback_names_unless_allowed() {
        for ok in [
            "localhost",
            "localhost:3031",
            "LOCALHOST:1",
            "127.0.0.1:3031",
            "127.9.9.9",
            "[::1]:3031",
            "[::1]",
        ] {
            assert!(host_allowed(ok, &[]), "{ok}");
        }
        for bad in [
            "",
            "evil.example",
            "evil.example:3031",
            "localhost.evil.example",
            "10.0.0.1:3031",
            "[2001:db8::1]:3031",
        ] {
            assert!(!host_allowed(bad, &[]), "{bad}");
        }
        assert!(host_allowed("mock.ci:80", &["mock.ci".to_owned()]));
    }
}
