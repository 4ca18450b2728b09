//! Recovery codes: `GET /recovery-codes` says how many are left, `POST /recovery-codes` makes
//! a new set and shows it once. Mounted only when the builder has a recovery code store.
//!
//! Invariants kept here:
//! - only a user verified with both factors in this session (as the guard sees it) reaches
//!   either, and the new set belongs to that user; nothing the form sends names a user;
//! - a new set needs the session's CSRF token, replaces the old set whole, rotates the session
//!   id, and is logged; the codes themselves are never logged or stored, only their hashes.

use crate::config::Shared;
use crate::recovery::{self, RecoveryCode};
use crate::web::Shared_;
use crate::web::{Checked, NoFields};
use crate::web::{Handled, Reply};
use crate::{VerifiedUser, recovery::RecoveryCodeStore, session};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use http::request::Parts;
use serde_json::json;
use tower_sessions::Session;

/// The user as the guard sees them (or the way to the login), and the store.
async fn verified_user<'a>(
    shared: &'a Shared,
    parts: &Parts,
) -> Result<(VerifiedUser, &'a dyn RecoveryCodeStore), Response> {
    let user = crate::guard::check(shared, parts).await?;
    let store = shared
        .recovery
        .as_deref()
        .expect("mounted only with a recovery code store");
    Ok((user, store))
}

pub(crate) async fn page(Extension(shared): Shared_, session: Session, parts: Parts) -> Handled {
    let (user, store) = match verified_user(&shared, &parts).await {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let remaining = store.remaining(&user.user_id).await?;
    let csrf = session::csrf_token(&session).await?;
    let reply = Reply::new(&shared, &parts.headers);
    Ok(if reply.json {
        Json(json!({"remaining": remaining, "csrf_token": csrf})).into_response()
    } else {
        Html(super::pages::recovery_codes(
            &reply.view(),
            &user.user.login,
            &csrf,
            remaining,
        ))
        .into_response()
    })
}

pub(crate) async fn generate(
    Checked {
        shared,
        session,
        parts,
        form: _,
    }: Checked<NoFields>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (user, store) = match verified_user(&shared, &parts).await {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    // With none left (the first set, or all used), no earlier code is being voided.
    let first = store.remaining(&user.user_id).await? == 0;
    let shown = new_codes(&shared, store, &user.user_id).await?;
    session::rotate(&session).await?;
    Ok(if reply.json {
        let csrf = session::csrf_token(&session).await?;
        Json(json!({"codes": shown, "csrf_token": csrf})).into_response()
    } else {
        Html(super::pages::new_recovery_codes(
            &reply.view(),
            &shown,
            &shared.default_return_to,
            first,
        ))
        .into_response()
    })
}

/// Makes and stores a new set for the user (the old one stops working); the codes as shown.
pub(crate) async fn new_codes(
    shared: &crate::config::Shared,
    store: &dyn RecoveryCodeStore,
    user_id: &str,
) -> Result<Vec<String>, crate::store::StoreError> {
    let (codes, hashes) = recovery::new_set(user_id);
    store.replace(user_id, hashes).await?;
    tracing::warn!(event = "recovery_codes_generated", user_id = %user_id, count = codes.len(), "a new set of recovery codes replaced the old one");
    crate::telemetry::recovery_codes("generated");
    let generated = crate::audit::EventKind::RecoveryCodesGenerated;
    shared.audit.emit(generated, Some(user_id));
    Ok(codes.iter().map(RecoveryCode::display).collect())
}
