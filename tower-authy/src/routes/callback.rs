//! The OneTouch callback: the only state-changing route without a CSRF token, so it trusts
//! nothing until the signature is checked, and changes at most one challenge, at most once.
//!
//! Order matters: size → headers → signature (against the configured URL) → freshness →
//! replay (the nonce is consumed only for a valid signature, so forgeries cannot burn nonces)
//! → fields → challenge by uuid → authy_id matches → compare-and-set from pending.

use super::lifecycle::{notify, settle};
use super::reply::Reply;
use crate::config::Shared;
use crate::signature::{self, Signed};
use crate::store::ChallengeState;
use axum::Extension;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::{Method, StatusCode, header};
use serde_json::Value;
use std::sync::Arc;

use crate::hardening::MAX_BODY;

/// Why a callback was refused; logged, and mapped to a 4xx.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rejection {
    TooLarge,
    MissingHeaders,
    BadSignature,
    Stale,
    Replayed,
    Malformed,
    UnknownApproval,
    WrongUser,
    NotPending,
}

impl Rejection {
    fn status(self) -> StatusCode {
        match self {
            Rejection::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Rejection::MissingHeaders | Rejection::Malformed => StatusCode::BAD_REQUEST,
            Rejection::BadSignature | Rejection::Stale => StatusCode::UNAUTHORIZED,
            Rejection::Replayed | Rejection::NotPending => StatusCode::CONFLICT,
            Rejection::UnknownApproval => StatusCode::NOT_FOUND,
            Rejection::WrongUser => StatusCode::FORBIDDEN,
        }
    }

    fn reason(self) -> &'static str {
        match self {
            Rejection::TooLarge => "body too large",
            Rejection::MissingHeaders => "signature headers missing",
            Rejection::BadSignature => "signature does not match",
            Rejection::Stale => "nonce outside the freshness window",
            Rejection::Replayed => "nonce already used",
            Rejection::Malformed => "fields missing or malformed",
            Rejection::UnknownApproval => "no challenge has this approval uuid",
            Rejection::WrongUser => "authy_id does not match the challenge",
            Rejection::NotPending => "challenge is no longer pending",
        }
    }
}

/// The fields of a callback that matter.
struct Fields {
    uuid: String,
    authy_id: u64,
    approved: bool,
}

fn fields_from_json(v: &Value) -> Option<Fields> {
    let authy_id = match v.get("authy_id")? {
        Value::Number(n) => n.as_u64()?,
        Value::String(s) => s.parse().ok()?,
        _ => return None,
    };
    fields(
        v.get("callback_action")?.as_str()?,
        v.get("uuid")?.as_str()?,
        authy_id,
        v.get("status")?.as_str()?,
    )
}

fn fields_from_query(q: &str) -> Option<Fields> {
    let get = |name: &str| {
        form_urlencoded::parse(q.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    };
    let authy_id = get("authy_id")?.parse().ok()?;
    fields(
        &get("callback_action")?,
        &get("uuid")?,
        authy_id,
        &get("status")?,
    )
}

fn fields(action: &str, uuid: &str, authy_id: u64, status: &str) -> Option<Fields> {
    if action != "approval_request_status" || uuid.is_empty() || uuid.len() > 64 {
        return None;
    }
    let approved = match status {
        "approved" => true,
        "denied" => false,
        _ => return None,
    };
    Some(Fields {
        uuid: uuid.to_owned(),
        authy_id,
        approved,
    })
}

pub(crate) async fn handle(
    Extension(shared): Extension<Arc<Shared>>,
    request: Request<Body>,
) -> Response {
    match process(&shared, request).await {
        Ok(state) => (StatusCode::OK, format!("ok: {}", state.as_str())).into_response(),
        Err(Ok(r)) => {
            tracing::warn!(
                event = "callback_rejected",
                reason = r.reason(),
                "OneTouch callback rejected"
            );
            (r.status(), r.reason()).into_response()
        }
        Err(Err(e)) => {
            tracing::error!(error = %e, "store unavailable during callback; Authy will retry");
            Reply {
                shared: &shared,
                json: true,
            }
            .unavailable()
        }
    }
}

type Outcome = Result<ChallengeState, Result<Rejection, crate::StoreError>>;

async fn process(shared: &Shared, request: Request<Body>) -> Outcome {
    let reject = |r| Err(Ok(r));
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reject(Rejection::TooLarge);
    };
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (Some(signature), Some(nonce)) = (
        header("x-authy-signature"),
        header("x-authy-signature-nonce"),
    ) else {
        return reject(Rejection::MissingHeaders);
    };
    let key = shared.client.api_key().expose().as_bytes();
    let url = &shared.callback_url;
    let query = parts.uri.query().unwrap_or("");
    let (valid, fields) = if parts.method == Method::POST {
        let is_json = parts
            .headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|c| c.contains("json"));
        let Some(json) = is_json
            .then(|| serde_json::from_slice::<Value>(&body).ok())
            .flatten()
            .filter(Value::is_object)
        else {
            return reject(Rejection::Malformed);
        };
        (
            signature::verify(key, &nonce, "POST", url, Signed::Json(&json), &signature),
            fields_from_json(&json),
        )
    } else {
        (
            signature::verify(key, &nonce, "GET", url, Signed::Query(query), &signature),
            fields_from_query(query),
        )
    };
    if !valid {
        return reject(Rejection::BadSignature);
    }
    let now = shared.clock.now();
    // Observed nonces are Unix seconds, sometimes with a fraction ("1427849783.886085").
    let sent_at = nonce.split('.').next().and_then(|s| s.parse::<i64>().ok());
    if sent_at.is_none_or(|t| (now - t).abs() > shared.nonce_window_secs) {
        return reject(Rejection::Stale);
    }
    let replay_key = format!("callback:{}", digest(&signature, &nonce));
    if !shared
        .challenges
        .consume_nonce(&replay_key, now + shared.nonce_window_secs + 1, now)
        .await
        .map_err(Err)?
    {
        return reject(Rejection::Replayed);
    }
    let Some(fields) = fields else {
        return reject(Rejection::Malformed);
    };
    let Some(challenge) = find_soon(shared, &fields.uuid).await.map_err(Err)? else {
        return reject(Rejection::UnknownApproval);
    };
    if challenge.authy_id != fields.authy_id {
        return reject(Rejection::WrongUser);
    }
    // `current` expires an overdue challenge first, so a late approval cannot win.
    let challenge = settle(shared, challenge).await.map_err(Err)?;
    let to = if fields.approved {
        ChallengeState::Approved
    } else {
        ChallengeState::Denied
    };
    if !shared
        .challenges
        .transition(&challenge.id, ChallengeState::Pending, to)
        .await
        .map_err(Err)?
    {
        return reject(Rejection::NotPending);
    }
    let event = if fields.approved {
        "challenge_approved"
    } else {
        "challenge_denied"
    };
    tracing::info!(event, user_id = %challenge.user_id, via = "onetouch", "OneTouch answered");
    notify(shared, &challenge.id);
    Ok(to)
}

/// The challenge that sent approval request `uuid`, waiting up to about a second for it to
/// appear: a phone can answer before the login step has stored its challenge (the push is sent
/// first, since the challenge records its uuid), and Authy does not retry a 404. Only a
/// correctly signed, fresh, first-seen callback gets here, so nobody else can make it wait.
async fn find_soon(
    shared: &Shared,
    uuid: &str,
) -> Result<Option<crate::store::Challenge>, crate::StoreError> {
    let mut pause = std::time::Duration::from_millis(10);
    for _ in 0..7 {
        if let Some(c) = shared.challenges.find_by_approval(uuid).await? {
            return Ok(Some(c));
        }
        tokio::time::sleep(pause).await;
        pause *= 2;
    }
    shared.challenges.find_by_approval(uuid).await
}

/// Identifies a signed callback by its nonce and the signature's decoded bytes, so re-encodings
/// of one signature (padding, white space) count as the same callback.
fn digest(signature: &str, nonce: &str) -> String {
    use sha2::{Digest, Sha256};
    let raw = data_encoding::BASE64
        .decode(signature.trim().as_bytes())
        .unwrap_or_default();
    let h = Sha256::new()
        .chain_update(nonce.as_bytes())
        .chain_update(b"|")
        .chain_update(&raw)
        .finalize();
    data_encoding::HEXLOWER.encode(&h)
}

/// Parses a callback body or query the way the handler does, for fuzzing.
#[doc(hidden)]
#[cfg(feature = "fuzzing")]
pub fn parse_for_fuzzing(body: &[u8], query: &str) -> bool {
    let from_body = serde_json::from_slice::<Value>(body)
        .ok()
        .as_ref()
        .and_then(fields_from_json)
        .is_some();
    from_body | fields_from_query(query).is_some()
}
