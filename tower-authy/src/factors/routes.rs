//! The factor model's routes: `GET /factors` lists the verified user's second factors,
//! `POST /factors/rename` renames one, `POST /factors/remove` removes one, `POST /factors/add`
//! starts an enrolment of another (mounted unless enrolment is off).
//!
//! Invariants kept here:
//! - only a user verified with both factors in this session (as the guard sees it) manages
//!   factors, and only their own; every form needs the session's CSRF token;
//! - adding and removing need the second factor proved in this session within the last
//!   [`FRESH_SECS`] (proving a factor being added does not count); removing never removes
//!   the last factor while the policy requires the user to prove one, is a compare-and-set on
//!   every factor the store holds for the user (offered or not), and raises the credential
//!   epoch (every other session ends; this one goes on at the new epoch).

use crate::VerifiedUser;
use crate::config::Shared;
use crate::factors::Factor;
use crate::offer::of_user;
use crate::session::{self, Enrolling};
use crate::store::StoreError;
use crate::web::Shared_;
use crate::web::{Checked, NoFields};
use crate::web::{Handled, Reply};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use http::StatusCode;
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// How recently the second factor must have been proved in this session to add or remove a
/// factor.
pub(crate) const FRESH_SECS: i64 = 600;

/// What needs a fresh second factor.
#[derive(Clone, Copy)]
enum Action {
    Adding,
    Removing,
}

/// `None` when this session proved the second factor within [`FRESH_SECS`]; else the 403
/// that asks the user to prove it again.
async fn unless_fresh(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    action: Action,
) -> Result<Option<Response>, StoreError> {
    let now = shared.clock.now();
    let fresh = session::last_proved(session)
        .await?
        .is_some_and(|at| now - at < FRESH_SECS);
    let id = match action {
        Action::Adding => "problem-adding-stale",
        Action::Removing => "problem-removing-stale",
    };
    Ok((!fresh).then(|| reply.problem(StatusCode::FORBIDDEN, id)))
}

/// The user as the guard sees them (or the way to the login), and their factors.
async fn verified_user(
    shared: &Shared,
    parts: &Parts,
) -> Result<Result<(VerifiedUser, Vec<Factor>), Response>, crate::store::StoreError> {
    let user = match crate::guard::check(shared, parts).await {
        Ok(user) => user,
        Err(to_login) => return Ok(Err(to_login)),
    };
    let mut factors = crate::offer::of_user(shared, &user.user).await?;
    factors.sort_by_key(|f| f.created_at);
    Ok(Ok((user, factors)))
}

pub(crate) async fn list(Extension(shared): Shared_, session: Session, parts: Parts) -> Handled {
    let (user, factors) = match verified_user(&shared, &parts).await? {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let csrf = session::csrf_token(&session).await?;
    let reply = Reply::new(&shared, &parts.headers);
    Ok(if reply.json {
        Json(json!({"factors": factors, "csrf_token": csrf})).into_response()
    } else {
        Html(super::pages::factors(
            &reply.view(),
            &user.user.login,
            &csrf,
            &factors,
            None,
        ))
        .into_response()
    })
}

#[derive(Deserialize)]
pub(crate) struct RenameForm {
    #[serde(default)]
    factor: String,
    #[serde(default)]
    label: String,
}

pub(crate) async fn rename(
    Checked {
        shared,
        session: _,
        parts,
        form,
    }: Checked<RenameForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (user, factors) = match verified_user(&shared, &parts).await? {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let Some(label) = crate::factors::label(&form.label) else {
        return Ok(reply.problem(StatusCode::UNPROCESSABLE_ENTITY, "problem-label"));
    };
    let known = factors.iter().any(|f| f.id == form.factor);
    if !known
        || !shared
            .factors
            .rename(&user.user_id, &form.factor, &label)
            .await?
    {
        return Ok(not_yours(&reply));
    }
    tracing::info!(event = "factor_renamed", user_id = %user.user_id, "factor renamed");
    Ok(done(&shared, &reply))
}

#[derive(Deserialize)]
pub(crate) struct RemoveForm {
    #[serde(default)]
    factor: String,
}

pub(crate) async fn remove(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<RemoveForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (user, factors) = match verified_user(&shared, &parts).await? {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let Some(removing) = factors.iter().find(|f| f.id == form.factor).cloned() else {
        return Ok(not_yours(&reply));
    };
    // The last factor stays while the policy requires the user to prove one.
    if factors.len() < 2 && shared.policy.requires(&user.user, shared.clock.now()) {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-last-factor"));
    }
    if let Some(again) = unless_fresh(&shared, &session, &reply, Action::Removing).await? {
        return Ok(again);
    }
    let now = shared.clock.now();
    let held = crate::offer::held_ids(&shared, &user.user_id).await?;
    if !shared
        .factors
        .remove(&user.user_id, &form.factor, &held)
        .await?
    {
        return Ok(reply.problem(StatusCode::CONFLICT, "problem-factors-changed"));
    }
    forget_passkey(&shared, &removing).await;
    // Every other session ends with the raised epoch; this one goes on at the new one.
    if let Some(now_user) = shared.users.load(&user.user_id).await? {
        session::complete(&session, &user.user_id, now_user.credential_epoch).await?;
        session::proved_at(&session, now).await?;
    }
    tracing::warn!(event = "factor_removed", user_id = %user.user_id, "a second factor was removed; other sessions end");
    crate::telemetry::factor_change("disabled");
    let removed = crate::audit::EventKind::FactorRemoved {
        factor_id: form.factor.clone(),
    };
    shared.audit.emit(removed, Some(&user.user_id));
    shared
        .audit
        .emit(crate::audit::EventKind::EpochBumped, Some(&user.user_id));
    Ok(done(&shared, &reply))
}

/// A removed passkey's credential goes too (the factor is gone already, so a store that
/// fails here leaves a credential that proves nothing: logged, not an error).
async fn forget_passkey(shared: &Shared, removed: &Factor) {
    #[cfg(feature = "webauthn")]
    if removed.provider == crate::factors::PASSKEY_PROVIDER
        && let Some(part) = &shared.passkeys
        && let Err(e) = part.store.remove(removed.subject).await
    {
        tracing::warn!(error = %e, "could not forget a removed passkey's credential");
    }
    #[cfg(not(feature = "webauthn"))]
    let _ = (shared, removed);
}

/// The answer for a factor the user does not have.
fn not_yours(reply: &Reply<'_>) -> Response {
    reply.problem(StatusCode::NOT_FOUND, "problem-no-such-factor")
}

/// Back to the list, or `{"ok": true}` for API clients.
fn done(shared: &Shared, reply: &Reply<'_>) -> Response {
    if reply.json {
        Json(json!({"ok": true})).into_response()
    } else {
        reply.redirect(&shared.path("/factors"))
    }
}

pub(crate) async fn add(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    // Only the user: the factors are read below, as the enrolment's compare-and-set expects.
    let user = match crate::guard::check(&shared, &parts).await {
        Ok(user) => user,
        Err(to_login) => return Ok(to_login),
    };
    if let Some(again) = unless_fresh(&shared, &session, &reply, Action::Adding).await? {
        return Ok(again);
    }
    let enrolling = Enrolling {
        user_id: user.user_id.clone(),
        login: user.user.login.clone(),
        return_to: shared.path("/factors"),
        phone: None,
        factors_at_start: crate::offer::held_ids(&shared, &user.user_id).await?,
        provider: String::new(),
        epoch: user.user.credential_epoch,
        expires_at: shared.clock.now() + shared.challenge_ttl,
        skip_to: None,
    };
    // The session stays verified while the new factor is set up.
    session::set_enrolling(&session, &enrolling, false).await?;
    tracing::info!(event = "enrolment_started", user_id = %user.user_id, "adding another factor");
    Ok(reply
        .redirect_rotated(&session, &shared.path("/enrol"))
        .await?)
}

impl crate::TwoFactor {
    /// The user's second factors as login offers them, the last used first: those in the
    /// [`FactorStore`](crate::FactorStore), leaving out factors of providers no longer
    /// configured. For an account page that says which ways are set up.
    ///
    /// # Errors
    /// [`StoreError`] when the factor store cannot answer.
    pub async fn factors_of(&self, user: &crate::UserRecord) -> Result<Vec<Factor>, StoreError> {
        of_user(&self.shared, user).await
    }
}
