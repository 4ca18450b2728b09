//! Control of the phone parts: the phone verifications sent, what `phones/info` says about a
//! number, and the rate limits.

use super::{Shared, control_error, problem};
use crate::authy::ControlError;
use crate::authy::PhoneInfo;
use crate::limits::RateLimits;
use crate::numbering::PhoneNumber;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

/// Every phone verification, oldest first, with expiry applied.
pub(super) async fn verifications(State(inner): Shared) -> Json<Value> {
    let now = inner.clock.now();
    Json(inner.with_world(|w| {
        w.authy.expire_verifications(now);
        json!(w.authy.verifications)
    }))
}

fn invalid_number() -> Response {
    control_error(&ControlError::InvalidPhoneNumber)
}

pub(super) async fn info(
    State(inner): Shared,
    Path((country_code, raw)): Path<(String, String)>,
) -> Response {
    match PhoneNumber::parse(&country_code, &raw) {
        Ok(n) => Json(inner.with_world(|w| w.authy.phone_info(&n.key()))).into_response(),
        Err(_) => invalid_number(),
    }
}

pub(super) async fn set_info(
    State(inner): Shared,
    Path((country_code, raw)): Path<(String, String)>,
    body: Result<Json<PhoneInfo>, JsonRejection>,
) -> Response {
    let Json(info) = match body {
        Ok(b) => b,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.body_text()),
    };
    match PhoneNumber::parse(&country_code, &raw) {
        Ok(n) => {
            inner.with_world(|w| w.authy.phone_info.insert(n.key(), info));
            StatusCode::NO_CONTENT.into_response()
        }
        Err(_) => invalid_number(),
    }
}

pub(super) async fn rate_limits(State(inner): Shared) -> Json<RateLimits> {
    Json(inner.with_world(|w| w.rate_limits))
}

pub(super) async fn set_rate_limits(
    State(inner): Shared,
    body: Result<Json<RateLimits>, JsonRejection>,
) -> Response {
    let limits = match body {
        Ok(Json(l)) => l,
        Err(e) => return problem(StatusCode::BAD_REQUEST, e.body_text()),
    };
    let sane = [limits.sms, limits.calls, limits.phone_verifications]
        .into_iter()
        .flatten()
        .all(|l| l.max >= 1 && l.per_seconds >= 1);
    if !sane {
        return problem(
            StatusCode::BAD_REQUEST,
            "a limit needs max and per_seconds of at least 1 (null turns it off)",
        );
    }
    inner.with_world(|w| w.rate_limits = limits);
    StatusCode::NO_CONTENT.into_response()
}
