//! Step-up mode's entry: `GET /step-up` shows what comes next, `POST /step-up` sends the push.
//! Only mounted in step-up mode, where the application's own login is the first factor.
//!
//! Invariants kept here:
//! - the user is whoever the application's [`FirstFactor`](crate::step_up::FirstFactor) says, read from
//!   the request; nothing the form sends names a user;
//! - the push goes out only on a POST with the session's CSRF token, so a prefetch or a link
//!   cannot ring anybody's phone;
//! - a user without a second factor, or with a locked account, cannot start one.

use crate::flow::login::{
    ReturnTo, Start, return_to_or_default, start_enrolment, start_second_factor,
};
use crate::session;
use crate::web::Checked;
use crate::web::Shared_;
use crate::web::{Handled, Reply};
use axum::extract::Query;
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// Who the application says is logged in, or the answer for a person who is not (the
/// application's login page; 401 for API clients).
async fn first_factor_user(
    shared: &crate::config::Shared,
    reply: &Reply<'_>,
    parts: &Parts,
    return_to: &str,
) -> Result<Result<crate::UserRecord, Response>, crate::store::StoreError> {
    let step_up = shared
        .step_up
        .as_ref()
        .expect("step-up routes are mounted in step-up mode only");
    Ok(match step_up.first_factor.current_user(parts).await? {
        Some(user) => Ok(user),
        None if reply.json => Err(reply.problem(StatusCode::UNAUTHORIZED, "problem-app-login")),
        None => Err(crate::guard::redirect_with_return_to(
            &step_up.login_url,
            return_to,
        )),
    })
}

pub(crate) async fn step_up_page(
    Extension(shared): Shared_,
    session: Session,
    parts: Parts,
    Query(q): Query<ReturnTo>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let return_to = return_to_or_default(&shared, q.return_to.as_deref()).to_owned();
    let user = match first_factor_user(&shared, &reply, &parts, &return_to).await? {
        Ok(user) => user,
        Err(to_login) => return Ok(to_login),
    };
    if crate::offer::of_user(&shared, &user).await?.is_empty() {
        if shared.enrols() {
            return start_enrolment(&shared, &session, &reply, &user, return_to).await;
        }
        return Ok(no_second_factor(&reply));
    }
    let csrf = session::csrf_token(&session).await?;
    Ok(if reply.json {
        Json(json!({"csrf_token": csrf})).into_response()
    } else {
        Html(super::pages::step_up(&reply.view(), &csrf, &return_to)).into_response()
    })
}

#[derive(Deserialize)]
pub(crate) struct StepUpForm {
    return_to: Option<String>,
    /// The "remember this device" box: present when ticked.
    remember: Option<String>,
}

pub(crate) async fn step_up(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<StepUpForm>,
) -> Handled {
    let headers = &parts.headers;
    let reply = Reply::new(&shared, headers);
    let return_to = return_to_or_default(&shared, form.return_to.as_deref()).to_owned();
    let user = match first_factor_user(&shared, &reply, &parts, &return_to).await? {
        Ok(user) => user,
        Err(to_login) => return Ok(to_login),
    };
    let Some(factor) = crate::offer::of_user(&shared, &user)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(no_second_factor(&reply));
    };
    let now = shared.clock.now();
    if shared
        .challenges
        .account_locked(&user.id, &shared.limits, now)
        .await?
    {
        tracing::warn!(event = "step_up_refused_locked", user_id = %user.id, "second factor asked for a locked account");
        crate::telemetry::second_factor("locked", "code");
        return Ok(reply.problem(StatusCode::FORBIDDEN, "problem-locked"));
    }
    let start = Start {
        user: &user,
        factor,
        return_to,
        remember: form.remember.is_some(),
        now,
    };
    start_second_factor(&shared, &session, &reply, headers, start).await
}

fn no_second_factor(reply: &Reply<'_>) -> Response {
    reply.problem(StatusCode::FORBIDDEN, "problem-no-factor")
}
