//! Twilio Verify v2's HTTP API (authy-api.md part D), the subset a second factor needs: services,
//! verifications and their checks, entities, push and TOTP factors, challenges, and webhooks
//! signed with `X-Twilio-Signature`. Served under `/v2/` beside the Authy API, with HTTP Basic
//! (account SID and auth token) and Twilio's error bodies.
//!
//! The state is [`crate::verify`]'s; here `resources` and `entities` answer each path, `shapes`
//! renders Twilio's JSON, `webhooks` delivers the events.

mod entities;
mod resources;
mod shapes;
mod webhooks;

pub(crate) use webhooks::decide;

use crate::api::json_response;
use crate::endpoint::Endpoint;
use crate::model::JournalEntry;
use crate::state::Inner;
use axum::body::Bytes;
use axum::response::Response;
use http::{HeaderMap, Method, StatusCode, header};
use serde_json::{Value, json};
use std::sync::Arc;

/// A Twilio error answer.
pub(crate) fn error(status: StatusCode, code: u32, message: &str) -> (Response, u16) {
    let body = json!({
        "code": code,
        "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        "status": status.as_u16(),
    });
    (json_response(status, &body), status.as_u16())
}

/// Form parameters in order, repeated names kept (`Details.Fields`, `EventTypes`).
pub(crate) type Form = Vec<(String, String)>;

pub(crate) fn first<'a>(form: &'a Form, name: &str) -> Option<&'a str> {
    form.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn all<'a>(form: &'a Form, name: &str) -> Vec<&'a str> {
    form.iter()
        .filter(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .collect()
}

/// Which endpoint a path is, for faults and the journal.
fn endpoint(method: &Method, segs: &[&str]) -> Option<Endpoint> {
    let post = method == Method::POST;
    Some(match segs {
        ["v2", "Services", ..] if segs.len() <= 3 => Endpoint::VerifyService,
        [_, _, _, "Verifications"] if post => Endpoint::VerifyVerificationCreate,
        [_, _, _, "Verifications", _] => Endpoint::VerifyVerification,
        [_, _, _, "VerificationCheck"] => Endpoint::VerifyVerificationCheck,
        [_, _, _, "Entities", ..] if segs.len() <= 5 => Endpoint::VerifyEntity,
        [_, _, _, "Entities", _, "Factors", ..] => Endpoint::VerifyFactor,
        [_, _, _, "Entities", _, "Challenges"] if post => Endpoint::VerifyChallengeCreate,
        [_, _, _, "Entities", _, "Challenges", ..] => Endpoint::VerifyChallenge,
        [_, _, _, "Webhooks", ..] => Endpoint::VerifyWebhook,
        _ => return None,
    })
}

/// Whether HTTP Basic names the account and its auth token.
fn authenticated(inner: &Inner, headers: &HeaderMap) -> bool {
    use subtle::ConstantTimeEq;
    let Some(given) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
        .and_then(|b| data_encoding::BASE64.decode(b.trim().as_bytes()).ok())
    else {
        return false;
    };
    let expected = format!(
        "{}:{}",
        inner.config.twilio.account_sid, inner.config.twilio.auth_token
    );
    bool::from(given.ct_eq(expected.as_bytes()))
}

/// Answers one Verify v2 request.
pub(crate) async fn dispatch(
    inner: &Arc<Inner>,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
    entry: &mut JournalEntry,
) -> (Response, u16) {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(endpoint) = endpoint(method, &segs) else {
        return error(
            StatusCode::NOT_FOUND,
            20404,
            "The requested resource was not found",
        );
    };
    entry.endpoint = endpoint.name().to_owned();
    let mut form: Form = form_urlencoded::parse(query.unwrap_or("").as_bytes())
        .into_owned()
        .collect();
    if method == Method::POST {
        form.extend(form_urlencoded::parse(body).into_owned());
    }
    entry.params = Value::Object(
        form.iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect(),
    );
    if let Some(broken) = crate::api::apply_faults(inner, endpoint, entry).await {
        return broken;
    }
    if !authenticated(inner, headers) {
        return error(StatusCode::UNAUTHORIZED, 20003, "Authenticate");
    }
    let now = inner.clock.now();
    let answer = resources::answer(inner, method, &segs, &form, now);
    if let Some(event) = answer.event.clone() {
        webhooks::after_create(inner, event);
    }
    (answer.response, answer.status)
}

/// Twilio's list envelope.
pub(crate) fn page(inner: &Inner, path: &str, key: &str, items: Vec<Value>) -> Value {
    let url = format!("{}{path}", inner.base_url);
    json!({
        key: items,
        "meta": {
            "page": 0, "page_size": 50, "first_page_url": format!("{url}?PageSize=50&Page=0"),
            "previous_page_url": null, "url": format!("{url}?PageSize=50&Page=0"),
            "next_page_url": null, "key": key,
        },
    })
}

pub(crate) fn all_values<'a>(form: &'a Form, name: &str) -> Vec<&'a str> {
    all(form, name)
}
