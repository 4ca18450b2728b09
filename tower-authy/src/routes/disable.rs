//! Turning the second factor off: `GET/POST /disable`. Mounted only when enrolment is on and
//! with tower-authy's own login, whose password it asks for.
//!
//! Invariants kept here:
//! - only a user verified with both factors in this session (as the guard sees it) reaches it;
//! - it needs the session's CSRF token, the password and a current token, within the
//!   per-login attempt limit; the password counts in the login throttle (per login name and
//!   per address), and both are checked every time, so a wrong password takes as long as a
//!   right one; code guesses count against the factor too;
//! - it also forgets remembered devices and recovery codes, rotates the session id, and is
//!   logged.

use super::Shared_;
use crate::secret::{Password, Token};
use crate::web::Checked;
use crate::web::{Handled, Rejection, Reply};
use crate::{pages, session, throttle};
use axum::response::{Html, IntoResponse};
use axum::{Extension, Json};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

pub(crate) async fn disable_page(
    Extension(shared): Shared_,
    session: Session,
    parts: Parts,
) -> Handled {
    if let Err(to_login) = crate::guard::check(&shared, &parts).await {
        return Ok(to_login);
    }
    let csrf = session::csrf_token(&session).await?;
    let reply = Reply::new(&shared, &parts.headers);
    if reply.json {
        return Ok(Json(json!({"csrf_token": csrf})).into_response());
    }
    Ok(Html(pages::disable(&reply.view(), &csrf, None)).into_response())
}

#[derive(Deserialize)]
pub(crate) struct DisableForm {
    #[serde(default)]
    password: String,
    #[serde(default)]
    token: String,
}

pub(crate) async fn disable(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<DisableForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let user = match crate::guard::check(&shared, &parts).await {
        Ok(user) => user,
        Err(to_login) => return Ok(to_login),
    };
    let csrf = session::csrf_token(&session).await?;
    let refuse = |status: StatusCode, id: &str| {
        let detail = reply.tr().t(id);
        if reply.json {
            let title = reply.tr().t("disable-refused");
            reply.problem_text(status, &title, &detail)
        } else {
            (
                status,
                Html(pages::disable(&reply.view(), &csrf, Some(&detail))),
            )
                .into_response()
        }
    };
    let Some(authy_id) = user.user.authy_id else {
        return Ok(refuse(StatusCode::CONFLICT, "disable-already-off"));
    };
    let Ok(token) = Token::parse(&form.token) else {
        return Ok(refuse(StatusCode::UNPROCESSABLE_ENTITY, "disable-missing"));
    };
    let now = shared.clock.now();
    let attempts = format!("disable:{}", user.user_id);
    let (max, window) = (shared.limits.per_challenge, shared.challenge_ttl);
    if !shared
        .challenges
        .take_quota(&attempts, max, window, now)
        .await?
    {
        return Ok(refuse(StatusCode::TOO_MANY_REQUESTS, "disable-attempts"));
    }
    // The password counts in the login throttle, as on the login form: a stolen session
    // cannot guess the password here beyond the login's allowance. A throttled attempt checks
    // nothing and is answered like a wrong password.
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let address = throttle::client_address(
        &parts.headers,
        peer,
        shared.forwarded_hops,
        &shared.login_throttle,
    );
    let Some(attempt) = throttle::admit(&shared, &user.user.login, address.as_deref(), now).await?
    else {
        tracing::warn!(event = "disable_throttled", user_id = %user.user_id, "too many wrong passwords; not checked");
        throttle::as_long_as_a_password_check(&shared).await;
        return Ok(refuse(StatusCode::UNAUTHORIZED, "disable-wrong"));
    };
    // The password and the code are both checked, at once, whatever either answers: a wrong
    // password takes as long as a right one (the provider's check included).
    let password = Password::new(form.password);
    let attempt_id = format!("disable:{}", user.user_id);
    let primary = shared.client.as_ref();
    let counted = super::factor_attempt(&shared, primary, &attempt_id, authy_id, now).await;
    let Ok(Some(counters)) = counted else {
        // Nothing was checked: the password attempt does not count either.
        throttle::refund(&shared, &attempt).await?;
        return counted.map(|_| super::factor_locked(&reply));
    };
    let (owner, code) = tokio::join!(
        shared.users.verify_password(&user.user.login, &password),
        shared.client.verify_code(authy_id, &token),
    );
    let password_ok = owner?.is_some_and(|o| o.id == user.user_id);
    if password_ok {
        throttle::refund(&shared, &attempt).await?;
    }
    let code_ok = match code {
        Ok(()) => true,
        Err(e) if e.is_token_rejection() => false,
        Err(e) => return Err(Rejection::Authy(e, "verify token")),
    };
    if code_ok {
        counters.clear(&shared).await?;
    }
    if !(password_ok && code_ok) {
        return Ok(refuse(StatusCode::UNAUTHORIZED, "disable-wrong"));
    }
    let store = shared
        .enrolment
        .as_ref()
        .expect("mounted only with enrolment");
    if !store
        .set_second_factor(&user.user_id, Some(authy_id), None)
        .await?
    {
        return Ok(refuse(StatusCode::CONFLICT, "disable-changed"));
    }
    if let Some(r) = &shared.remember {
        r.store.forget(&user.user_id, None).await?;
    }
    if let Some(codes) = &shared.recovery {
        codes.replace(&user.user_id, Vec::new()).await?;
    }
    session::rotate(&session).await?;
    tracing::warn!(event = "second_factor_disabled", user_id = %user.user_id, "second factor turned off");
    crate::telemetry::factor_change("disabled");
    let removed = crate::audit::EventKind::FactorRemoved {
        factor_id: crate::factors::LEGACY.to_owned(),
    };
    shared.audit.emit(removed, Some(&user.user_id));
    Ok(reply
        .redirect_rotated(&session, &shared.default_return_to)
        .await?)
}
