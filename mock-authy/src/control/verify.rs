//! Control of the Verify v2 side: the codes sent, the challenges, and the phone's answer to a
//! push challenge (which sends the signed webhooks).

use super::{Shared, control_error, problem};
use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use http::StatusCode;
use serde_json::{Value, json};

/// Every Verify code sent (SMS, call, email), oldest first, with expiry applied.
pub(super) async fn codes(State(inner): Shared) -> Json<Value> {
    let now = inner.clock.now();
    Json(inner.with_world(|w| {
        w.verify.expire(now);
        json!(w.verify.codes)
    }))
}

/// Every Verify challenge, oldest first, with expiry applied.
pub(super) async fn challenges(State(inner): Shared) -> Json<Value> {
    let now = inner.clock.now();
    Json(inner.with_world(|w| {
        w.verify.expire(now);
        json!(w.verify.challenges)
    }))
}

/// The code a TOTP factor's app shows now.
pub(super) async fn totp_code(State(inner): Shared, Path(sid): Path<String>) -> Response {
    let now = inner.clock.now();
    match inner.with_world(|w| w.verify.totp_code(&sid, now)) {
        Some(code) => Json(json!({"code": code})).into_response(),
        None => problem(StatusCode::NOT_FOUND, "no TOTP factor has this sid"),
    }
}

/// The code the app holding an entity's newest TOTP factor shows now.
pub(super) async fn entity_code(State(inner): Shared, Path(identity): Path<String>) -> Response {
    let now = inner.clock.now();
    match inner.with_world(|w| w.verify.entity_totp_code(&identity, now)) {
        Some(code) => Json(json!({"code": code})).into_response(),
        None => problem(StatusCode::NOT_FOUND, "this entity has no TOTP factor"),
    }
}

/// Marks an entity's TOTP factors verified, as its app did at enrolment.
pub(super) async fn verify_totp(State(inner): Shared, Path(identity): Path<String>) -> Response {
    match inner.with_world(|w| w.verify.verify_totp_factors(&identity)) {
        0 => problem(StatusCode::NOT_FOUND, "this entity has no TOTP factor"),
        n => Json(json!({"verified": n})).into_response(),
    }
}

/// Sets an entity's TOTP factors' metadata (a JSON object), as the app that made them would.
pub(super) async fn totp_metadata(
    State(inner): Shared,
    Path(identity): Path<String>,
    Json(metadata): Json<Value>,
) -> Response {
    if !metadata.is_object() {
        return problem(StatusCode::BAD_REQUEST, "metadata must be a JSON object");
    }
    match inner.with_world(|w| w.verify.set_totp_metadata(&identity, &metadata)) {
        0 => problem(StatusCode::NOT_FOUND, "this entity has no TOTP factor"),
        n => Json(json!({"updated": n})).into_response(),
    }
}

/// `approve` or `deny` a pending push challenge, as the phone would.
pub(super) async fn decide(
    State(inner): Shared,
    Path((sid, action)): Path<(String, String)>,
) -> Response {
    let approve = match action.as_str() {
        "approve" => true,
        "deny" => false,
        _ => return problem(StatusCode::NOT_FOUND, "action must be approve or deny"),
    };
    match crate::api::verify::decide(&inner, &sid, approve).await {
        Ok((c, webhooks)) => Json(json!({"challenge": c, "webhooks": webhooks})).into_response(),
        Err(e) => control_error(&e),
    }
}
