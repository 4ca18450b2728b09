//! Moving a challenge through its life: expiry at the deadline, the session's own pending
//! challenge, the final pages, locking, and completion (approved → completed, exactly once).

use crate::config::Shared;
use crate::session::{self, Pending};
use crate::store::{Challenge, ChallengeState, StoreError};
use crate::web::{Handled, Rejection, Reply};
use axum::response::Response;
use http::StatusCode;
use serde_json::{Value, json};
use tower_sessions::Session;

/// The challenge as it stands now: a pending one past its deadline becomes expired (once).
pub(crate) async fn current(shared: &Shared, id: &str) -> Result<Option<Challenge>, StoreError> {
    match shared.challenges.get(id).await? {
        Some(c) => settle(shared, c).await.map(Some),
        None => Ok(None),
    }
}

/// `c`, just read, as it stands now: expired (once) if it was pending past its deadline.
pub(crate) async fn settle(shared: &Shared, c: Challenge) -> Result<Challenge, StoreError> {
    if c.state != ChallengeState::Pending || shared.clock.now() < c.expires_at {
        return Ok(c);
    }
    let id = &c.id;
    if shared
        .challenges
        .transition(id, ChallengeState::Pending, ChallengeState::Expired)
        .await?
    {
        tracing::info!(event = "challenge_expired", user_id = %c.user_id, "challenge expired");
        let kind = if c.push_id.is_some() { "push" } else { "code" };
        crate::telemetry::second_factor("expired", kind);
        if c.push_id.is_some() {
            let expired = crate::audit::PushOutcome::Expired;
            shared.audit.emit(
                crate::audit::EventKind::PushAnswered { outcome: expired },
                Some(&c.user_id),
            );
        }
        notify(shared, id);
    }
    Ok(shared.challenges.get(id).await?.unwrap_or(c))
}

/// A push answered (by the callback, or read from the provider), once: its metrics and its
/// audit event.
pub(crate) fn push_answered(shared: &Shared, c: &Challenge, to: ChallengeState) {
    crate::telemetry::pushed(to);
    let outcome = match to {
        ChallengeState::Approved => crate::audit::PushOutcome::Approved,
        ChallengeState::Denied => crate::audit::PushOutcome::Denied,
        ChallengeState::Expired => crate::audit::PushOutcome::Expired,
        _ => return,
    };
    shared.audit.emit(
        crate::audit::EventKind::PushAnswered { outcome },
        Some(&c.user_id),
    );
}

pub(crate) fn notify(shared: &Shared, challenge_id: &str) {
    shared.streams.changes.publish(challenge_id);
}

/// The session's pending challenge, or the response to give when there is none.
pub(crate) async fn pending_challenge(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
) -> Result<(Pending, Challenge), Rejection> {
    let Some(pending) = session::pending(session).await? else {
        return Err(reply.no_login().into());
    };
    match current(shared, &pending.challenge_id).await? {
        Some(c) => Ok((pending, c)),
        // Lost (a restart of an in-memory store): start over, never let in.
        None => Err(reply.no_login().into()),
    }
}

/// The page for a challenge that can no longer be completed.
pub(crate) fn finished_page(reply: &Reply<'_>, state: ChallengeState) -> Option<Response> {
    let (status, id) = match state {
        ChallengeState::Pending | ChallengeState::Approved => return None,
        ChallengeState::Denied => (StatusCode::FORBIDDEN, "problem-login-denied"),
        ChallengeState::Expired => (StatusCode::FORBIDDEN, "problem-login-expired"),
        ChallengeState::Locked => (StatusCode::FORBIDDEN, "problem-locked"),
        ChallengeState::Completed => (StatusCode::CONFLICT, "problem-completed"),
    };
    Some(reply.problem(status, id))
}

pub(crate) fn status_body(shared: &Shared, c: &Challenge) -> Value {
    json!({
        "status": c.state.as_str(),
        "method": if c.push_id.is_some() { "onetouch" } else { "token" },
        "expires_in": (c.expires_at - shared.clock.now()).max(0),
    })
}

/// Counts one attempt at proving challenge `c` (a code, a passkey's answer; `what` names it in
/// the metrics) within the login's and the account's limits: `None` when it may be checked,
/// else the answer (too many for this login, or the account locked).
pub(crate) async fn count_attempt(
    shared: &Shared,
    reply: &Reply<'_>,
    c: &Challenge,
    what: &'static str,
    now: i64,
) -> Result<Option<Response>, crate::web::Rejection> {
    let attempt = shared
        .challenges
        .begin_attempt(&c.id, &c.user_id, &shared.limits, now);
    Ok(match attempt.await? {
        crate::store::AttemptDecision::Allowed => None,
        crate::store::AttemptDecision::ChallengeExhausted => {
            crate::telemetry::throttled(what);
            Some(reply.problem(StatusCode::TOO_MANY_REQUESTS, "problem-login-attempts"))
        }
        crate::store::AttemptDecision::AccountLocked => Some(lock(shared, reply, c).await?),
    })
}

pub(crate) async fn lock(shared: &Shared, reply: &Reply<'_>, c: &Challenge) -> Handled {
    if shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Locked)
        .await?
    {
        tracing::warn!(event = "challenge_locked", user_id = %c.user_id, "account locked after repeated wrong codes");
        crate::telemetry::second_factor("locked", "code");
        shared
            .audit
            .emit(crate::audit::EventKind::Locked, Some(&c.user_id));
        notify(shared, &c.id);
    }
    Ok(finished_page(reply, ChallengeState::Locked).unwrap_or_else(|| reply.unavailable()))
}

/// Approved (by `method`) → completed, exactly once; then the session is upgraded under a
/// new id.
pub(crate) async fn complete(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    pending: &Pending,
    c: &Challenge,
    method: crate::audit::Method,
) -> Handled {
    if !shared
        .challenges
        .transition(&c.id, ChallengeState::Approved, ChallengeState::Completed)
        .await?
    {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-already-used"));
    }
    session::complete(session, &pending.user_id, pending.epoch).await?;
    let now = shared.clock.now();
    session::proved_at(session, now).await?;
    // The factor's last use orders the next login's offer; a store that cannot record it does
    // not stop this one.
    if !c.factor_id.is_empty()
        && let Err(e) = shared
            .factors
            .touch(&pending.user_id, &c.factor_id, now)
            .await
    {
        tracing::warn!(error = %e, user_id = %pending.user_id, "could not record the factor's use");
    }
    tracing::info!(event = "login_completed", user_id = %pending.user_id, "second factor completed; session upgraded");
    let factor_id = (method != crate::audit::Method::RecoveryCode && !c.factor_id.is_empty())
        .then(|| c.factor_id.clone());
    shared.audit.emit(
        crate::audit::EventKind::SecondFactorProved { method, factor_id },
        Some(&pending.user_id),
    );
    let mut response = reply.redirect_rotated(session, &pending.return_to).await?;
    mark_known(shared, &mut response, &pending.login, shared.clock.now());
    if let (Some(r), Some(asked)) = (&shared.remember, &pending.remember) {
        let cookie = remember_this_device(shared, r, &pending.user_id, asked).await?;
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Gives the browser the device cookie for `login` (see `known_device`), when it is on.
pub(crate) fn mark_known(shared: &Shared, response: &mut Response, login: &str, now: i64) {
    if let Some(k) = shared
        .passwords
        .known_devices
        .as_ref()
        .filter(|_| !login.is_empty())
    {
        let cookie = crate::known_device::cookie(k, shared.http.secure_cookies, login, now);
        response
            .headers_mut()
            .append(http::header::SET_COOKIE, cookie);
    }
}

/// Lists the device for the user (the oldest beyond the cap forgotten) and makes its cookie.
async fn remember_this_device(
    shared: &Shared,
    r: &crate::remember::Remembering,
    user_id: &str,
    asked: &session::RememberRequest,
) -> Result<http::HeaderValue, crate::store::StoreError> {
    let now = shared.clock.now();
    let max_age = i64::from(r.settings.days) * 86_400;
    let device = crate::remember::RememberedDevice {
        id: crate::random::id(),
        label: asked.label.clone(),
        created_at: now,
        expires_at: now + max_age,
    };
    let cookie = crate::remember::cookie(
        r,
        shared.http.secure_cookies,
        user_id,
        &device.id,
        asked.epoch,
        device.expires_at,
        max_age,
    );
    r.store
        .remember(user_id, device, r.settings.per_user)
        .await?;
    tracing::info!(event = "device_remembered", user_id = %user_id, days = r.settings.days, "device remembered");
    shared
        .audit
        .emit(crate::audit::EventKind::DeviceRemembered, Some(user_id));
    Ok(cookie)
}

impl Reply<'_> {
    /// The common start of every form on the second-factor page (its CSRF token checked by
    /// [`Checked`](crate::web::Checked)): the session's own pending challenge, while it still
    /// counts.
    pub(crate) async fn with_challenge(
        &self,
        session: &Session,
    ) -> Result<(Pending, Challenge), Rejection> {
        let (pending, c) = pending_challenge(self.shared, session, self).await?;
        if let Some(ended) = ended_by_epoch(self.shared, self, &pending, &c).await? {
            return Err(ended.into());
        }
        Ok((pending, c))
    }
}

/// A login whose password was accepted before the user's credential epoch was raised (a factor
/// removed, a new password, "log out everywhere"), or whose user is gone, can never complete:
/// it ends here (expired), before a code is checked, a push or SMS sent, or a factor's use
/// recorded, with a 409 that says why. `None` when the login is still current.
async fn ended_by_epoch(
    shared: &Shared,
    reply: &Reply<'_>,
    pending: &Pending,
    c: &Challenge,
) -> Result<Option<Response>, StoreError> {
    // In step-up mode the application's login is the first factor, and ends the second with
    // it (the guard asks the application, with the request, who is logged in).
    if shared.step_up.is_some() {
        return Ok(None);
    }
    let current = shared
        .users
        .load(&pending.user_id)
        .await?
        .is_some_and(|u| u.credential_epoch == pending.epoch);
    // A login already over keeps its own answer (denied, expired, locked, used).
    if current || !matches!(c.state, ChallengeState::Pending | ChallengeState::Approved) {
        return Ok(None);
    }
    for from in [ChallengeState::Pending, ChallengeState::Approved] {
        if shared
            .challenges
            .transition(&c.id, from, ChallengeState::Expired)
            .await?
        {
            notify(shared, &c.id);
            tracing::info!(event = "login_ended_by_epoch", user_id = %pending.user_id, "the user's credentials changed since the password was accepted; login ended");
            break;
        }
    }
    Ok(Some(
        reply.problem(StatusCode::CONFLICT, "problem-login-ended"),
    ))
}
