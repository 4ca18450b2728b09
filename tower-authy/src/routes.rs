//! Every route of tower-authy's in one router: the login life cycle (`crate::flow`), and each
//! capability's own (`enrolment`, `factors`, `recovery`, `remember`, `step_up`), mounted as
//! configured, with the stylesheet and script, behind the fail-closed pages, the audit origin,
//! the body limit and the hardening headers. This is the one module that knows them all;
//! nothing below it imports it.

use crate::config::Shared;
use crate::flow::{self, callback, code, events, login, reprove};
use crate::{enrolment, factors, recovery, remember, step_up};
use axum::extract::DefaultBodyLimit;
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::{Extension, Router};
use http::{HeaderValue, header};
use std::sync::Arc;

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
        shared.passwords.forwarded_hops,
        &shared.passwords.throttle,
    );
    let origin = crate::audit::origin(
        request.extensions().get::<tower_sessions::Session>(),
        client,
    );
    crate::audit::within(origin, next.run(request)).await
}

pub(crate) fn router<S: Clone + Send + Sync + 'static>(shared: Arc<Shared>) -> Router<S> {
    let p = |tail: &str| shared.path(tail);
    // Tower-authy's own login, or in step-up mode the application's and the step-up page.
    let start = if shared.step_up.is_some() {
        Router::new().route(
            &p("/step-up"),
            get(step_up::routes::step_up_page).post(step_up::routes::step_up),
        )
    } else {
        Router::new().route(&p("/login"), get(login::login_form).post(login::login))
    };
    let start = if shared.recovery.is_some() {
        start.route(
            &p("/recovery-codes"),
            get(recovery::routes::page).post(recovery::routes::generate),
        )
    } else {
        start
    };
    let start = if shared.enrols() {
        start
            .route(
                &p("/enrol"),
                get(enrolment::routes::page).post(enrolment::routes::register),
            )
            .route(&p("/enrol/sms"), post(enrolment::routes::send_sms))
            .route(&p("/enrol/confirm"), post(enrolment::routes::confirm))
            .route(&p("/factors/add"), post(factors::routes::add))
    } else {
        start
    };
    let start = start
        .route(&p("/factors"), get(factors::routes::list))
        .route(&p("/factors/rename"), post(factors::routes::rename))
        .route(&p("/factors/remove"), post(factors::routes::remove))
        .route(&p("/factor"), post(flow::switch::switch));
    let start = if shared.remember.is_some() {
        start
            .route(&p("/devices"), get(remember::routes::list))
            .route(&p("/devices/forget"), post(remember::routes::forget))
    } else {
        start
    };
    #[cfg(feature = "webauthn")]
    let start = passkey_routes(start, &shared);
    let router = start
        .route(&p("/reprove"), get(reprove::page).post(reprove::start))
        .route(&p("/verify"), get(flow::verify_page))
        .route(&p("/status"), get(flow::status))
        .route(&p("/events"), get(events::events))
        .route(&p("/token"), post(code::token))
        .route(&p("/sms"), post(code::send_sms))
        .route(&p("/call"), post(code::send_call))
        .route(&p("/confirm"), post(flow::confirm))
        .route(&p("/logout"), post(flow::logout))
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

/// The passkey routes, when passkeys are on: the login's step always, registration where
/// users enrol, sign-in where it is on.
#[cfg(feature = "webauthn")]
fn passkey_routes<S: Clone + Send + Sync + 'static>(
    router: Router<S>,
    shared: &Shared,
) -> Router<S> {
    use crate::passkeys::routes as passkey;
    let Some(part) = &shared.passkeys else {
        return router;
    };
    let p = |tail: &str| shared.path(tail);
    let router = router
        .route(&p("/passkey/options"), post(passkey::login_options))
        .route(&p("/passkey"), post(passkey::login));
    let router = if shared.enrols() {
        router
            .route(
                &p("/passkey/register/options"),
                post(passkey::register_options),
            )
            .route(&p("/passkey/register"), post(passkey::register))
    } else {
        router
    };
    if part.sign_in {
        router
            .route(
                &p("/passkey/sign-in/options"),
                post(passkey::sign_in_options),
            )
            .route(&p("/passkey/sign-in"), post(passkey::sign_in))
    } else {
        router
    }
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
