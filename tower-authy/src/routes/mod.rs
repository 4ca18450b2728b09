//! The subroutes: login, the waiting page, status and events, codes by app, SMS and call,
//! confirm, logout, enrolment, recovery codes, remembered devices, and Authy's callback.
//!
//! Invariants kept here:
//! - the browser never names a challenge or an approval uuid; both come from the server-side
//!   session, so one session cannot read or complete another's challenge;
//! - a challenge changes state only through the store's compare-and-set, so each outcome
//!   happens once;
//! - every failure ends in a clear response and none lets anyone in.
//!
//! `reply` shapes answers (page or problem+json) and holds the CSRF gate, `lifecycle` moves
//! challenges, `login` and `code` are the two flows' handlers, `events` the waiting page's
//! stream, `callback` Authy's.

pub(crate) mod callback;
mod code;
mod devices;
mod enrol;
mod events;
mod factors;
pub(crate) mod lifecycle;
mod login;
mod recovery;
mod reprove;
mod step_up;

use self::lifecycle::{complete, finished_page, pending_challenge, status_body};
use crate::config::Shared;
use crate::pages;
use crate::session::{self};
use crate::store::ChallengeState;
use crate::web::{Checked, NoFields};
use crate::web::{Handled, Reply};
use axum::extract::{DefaultBodyLimit, Query};
use axum::response::{Html, IntoResponse};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use std::sync::Arc;
use tower_sessions::Session;

pub(crate) type Shared_ = Extension<Arc<Shared>>;

/// Puts the request's origin (session digest, client address) around each of tower-authy's
/// routes, for the audit events they emit, when a sink is configured. A provider's callback
/// is not the user's request: its address is the provider's, so it has none.
async fn audit_origin(
    axum::extract::State(shared): axum::extract::State<Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    if !shared.audit.is_on() || request.uri().path() == shared.path("/callback") {
        return next.run(request).await;
    }
    let peer = request
        .extensions()
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|c| c.0);
    let client = crate::throttle::client_address(
        request.headers(),
        peer,
        shared.forwarded_hops,
        &shared.login_throttle,
    );
    let origin = crate::audit::origin(request.extensions().get::<Session>(), client);
    crate::audit::within(origin, next.run(request)).await
}

pub(crate) fn router<S: Clone + Send + Sync + 'static>(shared: Arc<Shared>) -> Router<S> {
    let p = |tail: &str| shared.path(tail);
    // Tower-authy's own login, or in step-up mode the application's and the step-up page.
    let start = if shared.step_up.is_some() {
        Router::new().route(
            &p("/step-up"),
            get(step_up::step_up_page).post(step_up::step_up),
        )
    } else {
        Router::new().route(&p("/login"), get(login::login_form).post(login::login))
    };
    let start = if shared.recovery.is_some() {
        start.route(
            &p("/recovery-codes"),
            get(recovery::page).post(recovery::generate),
        )
    } else {
        start
    };
    let start = if shared.enrols() {
        start
            .route(&p("/enrol"), get(enrol::page).post(enrol::register))
            .route(&p("/enrol/sms"), post(enrol::send_sms))
            .route(&p("/enrol/confirm"), post(enrol::confirm))
            .route(&p("/factors/add"), post(factors::add))
    } else {
        start
    };
    let start = start
        .route(&p("/factors"), get(factors::list))
        .route(&p("/factors/rename"), post(factors::rename))
        .route(&p("/factors/remove"), post(factors::remove))
        .route(&p("/factor"), post(factors::switch));
    let start = if shared.remember.is_some() {
        start
            .route(&p("/devices"), get(devices::list))
            .route(&p("/devices/forget"), post(devices::forget))
    } else {
        start
    };
    let router = start
        .route(&p("/reprove"), get(reprove::page).post(reprove::start))
        .route(&p("/verify"), get(verify_page))
        .route(&p("/status"), get(status))
        .route(&p("/events"), get(events::events))
        .route(&p("/token"), post(code::token))
        .route(&p("/sms"), post(code::send_sms))
        .route(&p("/call"), post(code::send_call))
        .route(&p("/confirm"), post(confirm))
        .route(&p("/logout"), post(logout))
        .route(&p("/assets/tower-authy.css"), get(stylesheet))
        .route(&p("/assets/tower-authy.js"), get(script))
        .route(
            &p("/callback"),
            get(callback::handle).post(callback::handle),
        )
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            crate::web::fail_closed_pages,
        ))
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&shared),
            audit_origin,
        ))
        .layer(DefaultBodyLimit::max(crate::hardening::MAX_BODY))
        .layer(Extension(Arc::clone(&shared)));
    crate::hardening::harden(router, &shared)
}

impl crate::TwoFactor {
    /// The login, callback, status, token, SMS, confirm and logout routes, under the prefix.
    /// Merge it into your router, inside the session layer.
    pub fn router<S: Clone + Send + Sync + 'static>(&self) -> axum::Router<S> {
        router(Arc::clone(&self.shared))
    }
}

async fn stylesheet() -> impl IntoResponse {
    let css = HeaderValue::from_static("text/css; charset=utf-8");
    ([(header::CONTENT_TYPE, css)], crate::pages::STYLESHEET)
}

async fn script() -> impl IntoResponse {
    let js = HeaderValue::from_static("text/javascript; charset=utf-8");
    ([(header::CONTENT_TYPE, js)], crate::pages::SCRIPT)
}

#[derive(Deserialize)]
struct Notice {
    sent: Option<String>,
}

async fn verify_page(
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
    let others = crate::routes::factors::others(&shared, &c).await?;
    let page = pages::verify(&reply.view(), &csrf, &c, &others, notice.as_deref(), None);
    Ok(Html(page).into_response())
}

async fn status(Extension(shared): Shared_, session: Session) -> Handled {
    let reply = Reply::json(&shared);
    let (_, c) = pending_challenge(&shared, &session, &reply).await?;
    Ok(Json(status_body(&shared, &c)).into_response())
}

async fn confirm(
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

async fn logout(
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
