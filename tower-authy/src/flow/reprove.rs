//! Proving the second factor again: `GET /reprove` asks, `POST /reprove` starts a challenge on
//! the verified user's first factor (as a login would), and the usual second-step page takes
//! it from there and comes back to `return_to`. For routes behind
//! [`RequireTwoFactorLayer::fresh`](crate::guard::RequireTwoFactorLayer::fresh).
//!
//! Invariants kept here:
//! - only a verified session proves again, for its own user, at the user's current epoch;
//! - the session stays verified meanwhile (an abandoned proof logs nobody out), and the proof
//!   counts only when the challenge completes, like a login's.

use super::login::{ReturnTo, challenge_on, return_to_or_default};
use crate::session::{self, Pending};
use crate::web::Checked;
use crate::web::Shared_;
use crate::web::{Handled, Reply};
use axum::extract::Query;
use axum::response::{Html, IntoResponse};
use axum::{Extension, Json};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

pub(crate) async fn page(
    Extension(shared): Shared_,
    session: Session,
    parts: Parts,
    Query(q): Query<ReturnTo>,
) -> Handled {
    if let Err(to_login) = crate::guard::check(&shared, &parts).await {
        return Ok(to_login);
    }
    let return_to = return_to_or_default(&shared, q.return_to.as_deref()).to_owned();
    let csrf = session::csrf_token(&session).await?;
    let reply = Reply::new(&shared, &parts.headers);
    Ok(if reply.json {
        Json(json!({"csrf_token": csrf})).into_response()
    } else {
        Html(crate::pages::reprove(&reply.view(), &csrf, &return_to)).into_response()
    })
}

#[derive(Deserialize)]
pub(crate) struct ReproveForm {
    return_to: Option<String>,
}

pub(crate) async fn start(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<ReproveForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let user = match crate::guard::check(&shared, &parts).await {
        Ok(user) => user.user,
        Err(to_login) => return Ok(to_login),
    };
    let return_to = return_to_or_default(&shared, form.return_to.as_deref()).to_owned();
    let Some(factor) = crate::offer::of_user(&shared, &user)
        .await?
        .into_iter()
        .next()
    else {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-nothing-to-prove"));
    };
    let now = shared.clock.now();
    let pending = Pending {
        again: true,
        challenge_id: String::new(),
        user_id: user.id.clone(),
        login: user.login.clone(),
        epoch: user.credential_epoch,
        return_to,
        remember: None,
    };
    tracing::info!(event = "reproof_started", user_id = %user.id, "a verified session proves its second factor again");
    challenge_on(
        &shared,
        &session,
        &reply,
        pending,
        &factor,
        now + shared.challenge_ttl,
        now,
    )
    .await
}
