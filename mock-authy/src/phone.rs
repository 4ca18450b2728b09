//! The virtual phone: a page (with its own stylesheet and script, under a strict
//! Content-Security-Policy) that shows every user's pending approvals, codes and app token, the
//! phone verifications sent to any number, each Verify entity's app code and pending push
//! challenges, the Verify codes sent, and the state and change events it reads.

use crate::authy::ApprovalStatus;
use crate::state::Inner;
use axum::Json;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;

type Shared = State<Arc<Inner>>;

/// Everything the phone page shows, in one document.
pub(crate) async fn state(State(inner): Shared) -> Json<Value> {
    let now = inner.clock.now();
    let step = crate::otp::TOTP_STEP;
    Json(inner.with_world(|w| {
        w.authy.expire_overdue(now);
        let users: Vec<Value> = w
            .authy.users
            .values()
            .map(|u| {
                let pending: Vec<&crate::ApprovalRequest> =
                    w.authy.approvals.iter().filter(|a| a.authy_id == u.id && a.status == ApprovalStatus::Pending).collect();
                json!({
                    "id": u.id, "emails": u.emails, "phone": format!("+{} {}", u.country_code, u.cellphone),
                    "onetouch": u.onetouch, "app_token": crate::otp::totp(&u.secret, now.div_euclid(step)),
                    "inbox": u.outbox.iter().rev().take(10).collect::<Vec<_>>(), "pending": pending,
                })
            })
            .collect();
        w.authy.expire_verifications(now);
        let verifications: Vec<Value> = w
            .authy.verifications
            .iter()
            .rev()
            .take(20)
            .map(|v| {
                json!({"uuid": v.uuid, "phone": format!("+{} {}", v.country_code, v.phone_number),
                       "via": v.via, "message": v.message, "code": v.code, "status": v.status})
            })
            .collect();
        w.verify.expire(now);
        let v = &w.verify;
        let entities: Vec<Value> = v
            .entities
            .iter()
            .map(|(_, identity, _, _)| {
                let pending: Vec<&crate::VerifyChallenge> = v
                    .challenges
                    .iter()
                    .filter(|c| &c.identity == identity && c.factor_type == "push" && c.status == crate::ChallengeStatus::Pending)
                    .collect();
                json!({"identity": identity, "app_code": v.entity_totp_code(identity, now), "pending": pending})
            })
            .collect();
        let codes: Vec<&crate::VerifyCode> = v.codes.iter().rev().take(20).collect();
        json!({"app": inner.config.app_name, "now": now, "users": users, "verifications": verifications,
               "verify": {"entities": entities, "codes": codes}})
    }))
}

pub(crate) async fn events(
    State(inner): Shared,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = inner.changes.subscribe();
    let stream = futures_util::stream::unfold(rx, |mut rx| async move {
        rx.changed().await.ok()?;
        Some((Ok(Event::default().event("change").data("changed")), rx))
    });
    Sse::new(stream).keep_alive(KeepAlive::default())
}

/// The phone page's policy: its own script, style and fetches only, nothing inline.
const PHONE_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) async fn page() -> impl IntoResponse {
    (
        [(http::header::CONTENT_SECURITY_POLICY, PHONE_CSP)],
        Html(include_str!("phone.html")),
    )
}

pub(crate) async fn css() -> impl IntoResponse {
    let css = [(http::header::CONTENT_TYPE, "text/css; charset=utf-8")];
    (css, include_str!("phone.css"))
}

pub(crate) async fn js() -> impl IntoResponse {
    let js = [(http::header::CONTENT_TYPE, "text/javascript; charset=utf-8")];
    (js, include_str!("phone.js"))
}
