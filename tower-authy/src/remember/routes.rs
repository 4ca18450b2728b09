//! Remembered devices: `GET /devices` lists the verified user's, `POST /devices/forget`
//! forgets one (`device`) or all of them. Mounted only when remembering is on.
//!
//! Invariants kept here:
//! - only a user verified with both factors in this session (as the guard sees it) reaches
//!   either, and sees and forgets only their own devices;
//! - forgetting needs the session's CSRF token, rotates the session id, and is logged.

use crate::config::Shared;
use crate::remember::Remembering;
use crate::web::Checked;
use crate::web::Shared_;
use crate::web::{Handled, Reply};
use crate::{VerifiedUser, session};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use http::request::Parts;
use serde::Deserialize;
use serde_json::json;
use tower_sessions::Session;

/// The user as the guard sees them (or the way to the login), and the remembering settings.
async fn verified_user<'a>(
    shared: &'a Shared,
    parts: &Parts,
) -> Result<(VerifiedUser, &'a Remembering), Response> {
    let user = crate::guard::check(shared, parts).await?;
    let r = shared
        .remember
        .as_ref()
        .expect("mounted only when remembering");
    Ok((user, r))
}

pub(crate) async fn list(Extension(shared): Shared_, session: Session, parts: Parts) -> Handled {
    let (user, r) = match verified_user(&shared, &parts).await {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let devices = r.store.devices(&user.user_id, shared.clock.now()).await?;
    let csrf = session::csrf_token(&session).await?;
    let reply = Reply::new(&shared, &parts.headers);
    Ok(if reply.json {
        Json(json!({"devices": devices, "csrf_token": csrf})).into_response()
    } else {
        Html(super::pages::devices(
            &reply.view(),
            &user.user.login,
            &csrf,
            &devices,
        ))
        .into_response()
    })
}

#[derive(Deserialize)]
pub(crate) struct ForgetForm {
    /// One device's id; none means every device.
    device: Option<String>,
}

pub(crate) async fn forget(
    Checked {
        shared,
        session,
        parts,
        form,
    }: Checked<ForgetForm>,
) -> Handled {
    let reply = Reply::new(&shared, &parts.headers);
    let (user, r) = match verified_user(&shared, &parts).await {
        Ok(found) => found,
        Err(to_login) => return Ok(to_login),
    };
    let device = form.device.as_deref().filter(|d| !d.is_empty());
    let forgotten = r.store.forget(&user.user_id, device).await?;
    session::rotate(&session).await?;
    tracing::info!(event = "devices_forgotten", user_id = %user.user_id, forgotten, all = device.is_none(), "remembered devices forgotten");
    shared.audit.emit(
        crate::audit::EventKind::DevicesForgotten { count: forgotten },
        Some(&user.user_id),
    );
    Ok(if reply.json {
        Json(json!({"forgotten": forgotten})).into_response()
    } else {
        reply.redirect(&shared.path("/devices"))
    })
}
