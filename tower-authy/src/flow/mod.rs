//! The login life cycle: the login itself (`login`), the waiting page, its status and event
//! stream, confirming an approved push, the code forms (`code`), "try another way"
//! (`switch`), proving the factor again (`reprove`), the provider's callback (`callback`), and
//! how a challenge moves (`lifecycle`).
//!
//! Invariants kept here:
//! - the browser never names a challenge or an approval uuid; both come from the server-side
//!   session, so one session cannot read or complete another's challenge;
//! - a challenge changes state only through the store's compare-and-set, so each outcome
//!   happens once;
//! - every failure ends in a clear response and none lets anyone in.

pub(crate) mod callback;
pub(crate) mod code;
pub(crate) mod events;
pub(crate) mod lifecycle;
pub(crate) mod login;
pub(crate) mod reprove;
pub(crate) mod switch;

use self::lifecycle::{complete, finished_page, pending_challenge, status_body};
use crate::pages;
use crate::session;
use crate::store::ChallengeState;
use crate::web::{Checked, Handled, NoFields, Reply, Shared_};
use axum::Extension;
use axum::Json;
use axum::extract::Query;
use axum::response::{Html, IntoResponse};
use http::{HeaderMap, StatusCode, header};
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub(crate) struct Notice {
    sent: Option<String>,
}

pub(crate) async fn verify_page(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<Notice>,
) -> Handled {
    let reply = Reply::new(&shared, &headers);
    let Ok((_, c)) = pending_challenge(&shared, &session, &reply).await else {
        let to_login = [(header::LOCATION, shared.start_path())];
        return Ok((StatusCode::SEE_OTHER, to_login).into_response());
    };
    if let Some(r) = finished_page(&reply, c.state) {
        return Ok(r);
    }
    let csrf = session::csrf_token(&session).await?;
    let notice = match q.sent.as_deref() {
        Some("sms") => Some(reply.tr().t("code-sent-sms")),
        Some("call") => Some(reply.tr().t("code-sent-call")),
        _ => None,
    };
    let others = crate::offer::others(&shared, &c).await?;
    let page = pages::verify(&reply.view(), &csrf, &c, &others, notice.as_deref(), None);
    Ok(Html(page).into_response())
}

pub(crate) async fn status(Extension(shared): Shared_, session: Session) -> Handled {
    let reply = Reply::json(&shared);
    let (_, c) = pending_challenge(&shared, &session, &reply).await?;
    Ok(Json(status_body(&shared, &c)).into_response())
}

pub(crate) async fn confirm(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (pending, c) = reply.with_challenge(&session).await?;
    match c.state {
        ChallengeState::Approved => {
            let method = crate::audit::Method::Push;
            complete(&shared, &session, &reply, &pending, &c, method).await
        }
        ChallengeState::Pending => Ok(reply.problem(StatusCode::CONFLICT, "problem-still-waiting")),
        other => Ok(finished_page(&reply, other).unwrap_or_else(|| reply.unavailable())),
    }
}

pub(crate) async fn logout(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    session::end(&session).await?;
    Ok(reply.redirect("/"))
}

/// The counters one code check counts against: the factor, and the phone number its codes go
/// to where the provider's subject is not one phone (a Verify entity is one user's, and
/// several users may hold one number: a check there is a guess at that number's code).
pub(crate) struct FactorCounters(Vec<String>);

impl FactorCounters {
    /// A right code ends the streak of wrong ones on each.
    pub(crate) async fn clear(
        self,
        shared: &crate::config::Shared,
    ) -> Result<(), crate::store::StoreError> {
        for key in &self.0 {
            shared.challenges.clear_failures(key).await?;
        }
        Ok(())
    }
}

/// Counts a code about to be checked against the factor `subject` (and its phone), within the
/// per-account limits, for the attempt `attempt` (a login's challenge, an enrolment); `None`
/// when the factor or its phone has had too many wrong codes lately (then the code must not be
/// checked).
pub(crate) async fn factor_attempt(
    shared: &crate::config::Shared,
    provider: &dyn crate::SecondFactorProvider,
    attempt: &str,
    subject: u64,
    now: i64,
) -> Result<Option<FactorCounters>, crate::web::Rejection> {
    let phone = match provider.phone_of(subject).await {
        Ok(phone) => phone,
        Err(e) => return Err(crate::web::Rejection::Authy(e, "find the phone")),
    };
    let counters = FactorCounters(
        std::iter::once(format!("factor:{}:{subject}", provider.name()))
            .chain(phone.map(|p| format!("factor-phone:{p}")))
            .collect(),
    );
    for (n, key) in counters.0.iter().enumerate() {
        let decision = shared
            .challenges
            .begin_attempt(&format!("{attempt}:{n}"), key, &shared.limits, now)
            .await?;
        if decision != crate::store::AttemptDecision::Allowed {
            tracing::warn!(
                event = "factor_throttled",
                "too many wrong codes for this factor or its phone; code not checked"
            );
            crate::telemetry::throttled("factor");
            return Ok(None);
        }
    }
    Ok(Some(counters))
}

/// The answer when the factor has had too many wrong codes lately.
pub(crate) fn factor_locked(reply: &crate::web::Reply<'_>) -> axum::response::Response {
    reply.problem(
        http::StatusCode::TOO_MANY_REQUESTS,
        "problem-factor-attempts",
    )
}
