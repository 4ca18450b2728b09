//! The OneTouch callback: the only state-changing route without a CSRF token, so it trusts
//! nothing until the signature is checked, and changes at most one challenge, at most once.
//!
//! Order matters: size → the provider authenticates it (headers, signature against the
//! configured URL, fields) → freshness → replay (the key is consumed only for a valid
//! signature, so forgeries cannot burn keys) → challenge by push id → subject matches →
//! compare-and-set from pending.

use super::lifecycle::{notify, settle};
use crate::config::Shared;
use crate::provider::{WebhookError, WebhookRequest};
use crate::store::ChallengeState;
use crate::web::Reply;
use axum::Extension;
use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use http::StatusCode;
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
            Rejection::WrongUser => "the subject does not match the challenge",
            Rejection::NotPending => "challenge is no longer pending",
        }
    }
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
            Reply::json(&shared).unavailable()
        }
    }
}

type Outcome = Result<ChallengeState, Result<Rejection, crate::store::StoreError>>;

async fn process(shared: &Shared, request: Request<Body>) -> Outcome {
    let reject = |r| Err(Ok(r));
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return reject(Rejection::TooLarge);
    };
    let query = parts.uri.query().unwrap_or("");
    let webhook = WebhookRequest::new(
        &parts.method,
        &shared.callback_url,
        query,
        &parts.headers,
        &body,
    );
    // Each provider recognises its own signature headers; the first that does decides.
    let mut found = None;
    for provider in &shared.providers {
        match provider.authenticate_webhook(&webhook) {
            Ok(answer) => {
                found = Some((provider.name(), answer));
                break;
            }
            Err(WebhookError::MissingHeaders | WebhookError::Unsupported) => {}
            Err(WebhookError::BadSignature) => return reject(Rejection::BadSignature),
            Err(_) => return reject(Rejection::Malformed),
        }
    }
    let Some((signer, answer)) = found else {
        return reject(Rejection::MissingHeaders);
    };
    let now = shared.clock.now();
    if answer
        .sent_at
        .is_some_and(|t| (now - t).abs() > shared.nonce_window_secs)
    {
        return reject(Rejection::Stale);
    }
    // Consumed only for a valid signature, so forgeries cannot burn replay keys.
    if !shared
        .challenges
        .consume_nonce(&answer.replay_key, now + shared.nonce_window_secs + 1, now)
        .await
        .map_err(Err)?
    {
        return reject(Rejection::Replayed);
    }
    let Some(challenge) = find_soon(shared, &answer.push_id).await.map_err(Err)? else {
        return reject(Rejection::UnknownApproval);
    };
    // The answer is about this challenge's factor: the same provider, the same subject.
    if challenge.subject != answer.subject
        || shared.provider_of(&challenge).map(|p| p.name()) != Some(signer)
    {
        return reject(Rejection::WrongUser);
    }
    // `current` expires an overdue challenge first, so a late approval cannot win.
    let challenge = settle(shared, challenge).await.map_err(Err)?;
    let to = if answer.approved {
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
    let event = if answer.approved {
        "challenge_approved"
    } else {
        "challenge_denied"
    };
    tracing::info!(event, user_id = %challenge.user_id, via = "push", provider = signer, "push answered");
    crate::flow::lifecycle::push_answered(shared, &challenge, to);
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
) -> Result<Option<crate::store::Challenge>, crate::store::StoreError> {
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
