//! Answering a push challenge on the simulated phone, and the `challenge.approved` /
//! `challenge.denied` webhooks that follow, form-encoded and signed with `X-Twilio-Signature`
//! under the auth token.

use crate::api::endpoints::iso8601;
use crate::authy::ControlError;
use crate::authy::{ApprovalStatus, OneTouchBehaviour};
use crate::callback::{CallbackDelivery, CallbackMethod, SentCallback};
use crate::state::Inner;
use crate::verify::{ChallengeStatus, VerifyChallenge};
use std::sync::Arc;
use std::time::Duration;

/// Approves or denies a pending push challenge, then delivers its webhooks.
pub(crate) async fn decide(
    inner: &Arc<Inner>,
    sid: &str,
    approve: bool,
) -> Result<(VerifyChallenge, Vec<CallbackDelivery>), ControlError> {
    let now = inner.clock.now();
    let (challenge, hooks) = inner.with_world(|w| {
        w.verify.expire(now);
        let c = w
            .verify
            .challenges
            .iter_mut()
            .find(|c| c.sid == sid)
            .ok_or(ControlError::UnknownApproval)?;
        let as_approval = match c.status {
            ChallengeStatus::Pending => ApprovalStatus::Pending,
            ChallengeStatus::Approved => ApprovalStatus::Approved,
            ChallengeStatus::Denied => ApprovalStatus::Denied,
            ChallengeStatus::Expired => ApprovalStatus::Expired,
        };
        // A TOTP challenge is answered with a code, not on the phone.
        if c.status != ChallengeStatus::Pending || c.factor_type != "push" {
            return Err(ControlError::NotPending(as_approval));
        }
        c.status = if approve {
            ChallengeStatus::Approved
        } else {
            ChallengeStatus::Denied
        };
        c.responded_at = Some(now);
        let c = c.clone();
        let event = if approve {
            "challenge.approved"
        } else {
            "challenge.denied"
        };
        let hooks: Vec<(String, String)> = w
            .verify
            .webhooks
            .iter()
            .filter(|h| h.service_sid == c.service_sid && h.wants(event))
            .map(|h| (h.url.clone(), w.rng.uuid()))
            .collect();
        Ok((c, hooks))
    })?;
    tracing::info!(
        sid,
        status = challenge.status.as_str(),
        "Verify challenge decided"
    );
    inner.notify();
    let mut deliveries = Vec::new();
    for (url, uuid) in hooks {
        let d = deliver(inner, &challenge, &url, &uuid).await;
        inner.with_world(|w| w.deliveries.push(d.clone()));
        inner.notify();
        deliveries.push(d);
    }
    Ok((challenge, deliveries))
}

/// The webhook's parameters (Verify's v2 event fields).
pub(crate) fn params(inner: &Inner, c: &VerifyChallenge, uuid: &str) -> Vec<(String, String)> {
    let event = match c.status {
        ChallengeStatus::Approved => "challenge.approved",
        _ => "challenge.denied",
    };
    let details = serde_json::json!({"message": c.message, "date": iso8601(c.created_at), "fields": c.fields});
    [
        ("uuid", uuid.to_owned()),
        ("type", event.to_owned()),
        ("account_sid", inner.config.twilio.account_sid.clone()),
        ("service_sid", c.service_sid.clone()),
        ("entity_identity", c.identity.clone()),
        ("factor_sid", c.factor_sid.clone()),
        ("factor_type", c.factor_type.clone()),
        ("challenge_sid", c.sid.clone()),
        ("challenge_status", c.status.as_str().to_owned()),
        ("challenge_details", details.to_string()),
        ("challenge_hidden_details", c.hidden_details.to_string()),
        (
            "date_created",
            iso8601(c.responded_at.unwrap_or(c.created_at)),
        ),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

async fn deliver(inner: &Inner, c: &VerifyChallenge, url: &str, uuid: &str) -> CallbackDelivery {
    let params = params(inner, c, uuid);
    let signature = crate::signature::twilio(&inner.config.twilio.auth_token, url, &params);
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&params)
        .finish();
    let (attempts, delivered) = crate::delivery::with_retries(inner, || {
        inner
            .http
            .post(url)
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-twilio-signature", &signature)
            .body(body.clone())
    })
    .await;
    CallbackDelivery {
        uuid: c.sid.clone(),
        status: if c.status == ChallengeStatus::Approved {
            ApprovalStatus::Approved
        } else {
            ApprovalStatus::Denied
        },
        request: SentCallback {
            method: CallbackMethod::Post,
            url: url.to_owned(),
            body,
            signature,
            nonce: String::new(),
        },
        attempts,
        delivered,
    }
}

/// Runs the phones' automatic answer (the mock's default OneTouch behaviour) for a new push
/// challenge, in the background.
pub(crate) fn after_create(inner: &Arc<Inner>, sid: String) {
    let (approve, after_ms) = match inner.config.default_onetouch {
        OneTouchBehaviour::AutoApprove { after_ms } => (true, after_ms),
        OneTouchBehaviour::AutoDeny { after_ms } => (false, after_ms),
        OneTouchBehaviour::Manual | OneTouchBehaviour::NoDevice => return,
    };
    let inner = Arc::clone(inner);
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(after_ms)).await;
        let _ = decide(&inner, &sid, approve).await;
    });
}
