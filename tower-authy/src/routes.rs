//! The subroutes: login, verify page, status and events, token, SMS and call, confirm, logout.
//! The OneTouch callback is in `callback.rs`.
//!
//! Invariants kept here:
//! - the browser never names a challenge or an approval uuid; both come from the server-side
//!   session, so one session cannot read or complete another's challenge;
//! - a challenge changes state only through the store's compare-and-set, so each outcome
//!   happens once;
//! - every failure ends in a clear response and none lets anyone in.

use crate::client::{ApprovalRequest, AuthyError};
use crate::config::Shared;
use crate::pages;
use crate::secret::{Password, Token};
use crate::session::{self, Pending};
use crate::store::{AttemptDecision, Challenge, ChallengeState, StoreError};
use crate::throttle;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Query};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde::Deserialize;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use tower_sessions::Session;

pub(crate) type Shared_ = Extension<Arc<Shared>>;

pub(crate) fn router<S: Clone + Send + Sync + 'static>(shared: Arc<Shared>) -> Router<S> {
    let p = |tail: &str| shared.path(tail);
    let router = Router::new()
        .route(&p("/login"), get(login_form).post(login))
        .route(&p("/verify"), get(verify_page))
        .route(&p("/status"), get(status))
        .route(&p("/events"), get(crate::events::events))
        .route(&p("/token"), post(token))
        .route(&p("/sms"), post(send_sms))
        .route(&p("/call"), post(send_call))
        .route(&p("/confirm"), post(confirm))
        .route(&p("/logout"), post(logout))
        .route(
            &p("/callback"),
            get(crate::callback::handle).post(crate::callback::handle),
        )
        .layer(DefaultBodyLimit::max(crate::hardening::MAX_BODY))
        .layer(Extension(Arc::clone(&shared)));
    crate::hardening::harden(router, &shared)
}

/// Whether the client asked for JSON rather than a page.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Builds responses in the form the client asked for.
pub(crate) struct Reply<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) json: bool,
}

impl Reply<'_> {
    pub(crate) fn problem(&self, status: StatusCode, title: &str, detail: &str) -> Response {
        if self.json {
            let body = json!({"type": "about:blank", "title": title, "status": status.as_u16(), "detail": detail});
            (
                status,
                [(header::CONTENT_TYPE, "application/problem+json")],
                body.to_string(),
            )
                .into_response()
        } else {
            let login = self.shared.path("/login");
            (
                status,
                Html(pages::message(
                    self.shared,
                    title,
                    detail,
                    (&login, "Back to log in"),
                )),
            )
                .into_response()
        }
    }

    /// Authy or a store is down: nobody gets in, and the person is told to come back.
    pub(crate) fn unavailable(&self) -> Response {
        let mut r = self.problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Sign-in is unavailable",
            "We cannot check your second factor right now, so nobody can sign in. Please try again in a minute.",
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        r
    }

    fn redirect(&self, to: &str) -> Response {
        if self.json {
            Json(json!({"redirect": to})).into_response()
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
    }

    /// Refuses a form whose CSRF token is missing or not this session's.
    async fn require_csrf(
        &self,
        session: &Session,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), Response> {
        match session::csrf_ok(session, csrf_given(headers, form_token)).await {
            Ok(true) => Ok(()),
            Ok(false) => Err(self.csrf_refused()),
            Err(e) => Err(store_down(self, &e)),
        }
    }

    /// The common start of every form on the second-factor page: a valid CSRF token, then the
    /// session's own pending challenge.
    async fn form_with_challenge(
        &self,
        session: &Session,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(Pending, Challenge), Response> {
        self.require_csrf(session, headers, form_token).await?;
        pending_challenge(self.shared, session, self).await
    }

    fn csrf_refused(&self) -> Response {
        self.problem(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form has expired or did not come from this site. Please try again.",
        )
    }

    fn no_login(&self) -> Response {
        self.problem(
            StatusCode::UNAUTHORIZED,
            "Not logged in",
            "Your login has ended. Please log in again.",
        )
    }
}

fn store_down(reply: &Reply<'_>, e: &StoreError) -> Response {
    tracing::error!(error = %e, "store unavailable; failing closed");
    reply.unavailable()
}

fn upstream_down(reply: &Reply<'_>, e: &AuthyError, step: &'static str) -> Response {
    tracing::error!(error = %e, step, "Authy unavailable; failing closed");
    reply.unavailable()
}

/// The challenge as it stands now: a pending one past its deadline becomes expired (once).
pub(crate) async fn current(shared: &Shared, id: &str) -> Result<Option<Challenge>, StoreError> {
    let Some(mut c) = shared.challenges.get(id).await? else {
        return Ok(None);
    };
    if c.state == ChallengeState::Pending && shared.clock.now() >= c.expires_at {
        if shared
            .challenges
            .transition(id, ChallengeState::Pending, ChallengeState::Expired)
            .await?
        {
            tracing::info!(event = "challenge_expired", user_id = %c.user_id, "challenge expired");
            notify(shared, id);
        }
        c = shared.challenges.get(id).await?.unwrap_or(c);
    }
    Ok(Some(c))
}

pub(crate) fn notify(shared: &Shared, challenge_id: &str) {
    // No receivers is fine: nobody is waiting.
    let _ = shared.changes.send(challenge_id.to_owned());
}

#[derive(Deserialize)]
struct ReturnTo {
    return_to: Option<String>,
}

fn return_to_or_default<'a>(shared: &'a Shared, raw: Option<&'a str>) -> &'a str {
    raw.and_then(session::safe_return_to)
        .unwrap_or(&shared.default_return_to)
}

async fn login_form(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Query(q): Query<ReturnTo>,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    let return_to = return_to_or_default(&shared, q.return_to.as_deref()).to_owned();
    let (verified, csrf) = match (
        session::verified(&session).await,
        session::csrf_token(&session).await,
    ) {
        (Ok(v), Ok(csrf)) => (v.is_some(), csrf),
        (Err(e), _) | (_, Err(e)) => return store_down(&reply, &e),
    };
    match (verified, reply.json) {
        // API clients get the token either way: a verified one needs it to log out.
        (true, true) => Json(json!({"redirect": return_to, "csrf_token": csrf})).into_response(),
        (true, false) => reply.redirect(&return_to),
        (false, true) => Json(json!({"csrf_token": csrf})).into_response(),
        (false, false) => Html(pages::login(&shared, &csrf, &return_to, None)).into_response(),
    }
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    return_to: Option<String>,
    csrf_token: Option<String>,
}

fn csrf_given<'a>(headers: &'a HeaderMap, form: Option<&'a str>) -> Option<&'a str> {
    form.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}

async fn login(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    peer: Option<Extension<ConnectInfo<SocketAddr>>>,
    Form(form): Form<LoginForm>,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    if let Err(r) = reply
        .require_csrf(&session, &headers, form.csrf_token.as_deref())
        .await
    {
        return r;
    }
    let return_to = return_to_or_default(&shared, form.return_to.as_deref()).to_owned();
    let refuse = |csrf: &str| {
        // Unknown user, wrong password, locked account, no second factor: one answer for all.
        let detail = "Wrong email or password.";
        if reply.json {
            reply.problem(StatusCode::UNAUTHORIZED, "Login failed", detail)
        } else {
            (
                StatusCode::UNAUTHORIZED,
                Html(pages::login(&shared, csrf, &return_to, Some(detail))),
            )
                .into_response()
        }
    };
    let csrf = form.csrf_token.clone().unwrap_or_default();
    if form.login.is_empty() || form.login.len() > 320 || form.password.len() > 1024 {
        return refuse(&csrf);
    }
    let now = shared.clock.now();
    let address = throttle::client_address(&headers, peer.map(|p| p.0.0), shared.forwarded_hops);
    let attempt = match throttle::admit(&shared, &form.login, address.as_deref(), now).await {
        Ok(Some(attempt)) => attempt,
        Ok(None) => {
            // Same answer, about the same time, no password check and no push.
            tracing::warn!(
                event = "login_throttled",
                "too many wrong passwords; attempt not checked"
            );
            throttle::as_long_as_a_password_check(&shared).await;
            return refuse(&csrf);
        }
        Err(e) => return store_down(&reply, &e),
    };
    let started = tokio::time::Instant::now();
    let user = match shared
        .users
        .verify_password(&form.login, &Password::new(form.password))
        .await
    {
        Ok(u) => u,
        Err(e) => return store_down(&reply, &e),
    };
    throttle::record_password_cost(&shared, started);
    if user.is_some() {
        if let Err(e) = throttle::refund(&shared, &attempt).await {
            return store_down(&reply, &e);
        }
    }
    let Some((user, authy_id)) = user.and_then(|u| u.authy_id.map(|a| (u, a))) else {
        return refuse(&csrf);
    };
    match shared
        .challenges
        .account_locked(&user.id, &shared.limits, now)
        .await
    {
        Ok(false) => {}
        Ok(true) => {
            tracing::warn!(event = "login_refused_locked", user_id = %user.id, "password accepted for a locked account");
            return refuse(&csrf);
        }
        Err(e) => return store_down(&reply, &e),
    }

    let id = crate::random::id();
    let match_code = crate::random::digits(3);
    // Per account and per phone: several accounts may share one phone (one Authy id).
    let mut push_allowed = true;
    for key in [
        format!("push:{}", user.id),
        format!("push-authy:{authy_id}"),
    ] {
        match shared
            .challenges
            .take_quota(
                &key,
                shared.sends.pushes_per_10_minutes,
                shared.push_window_secs,
                now,
            )
            .await
        {
            Ok(ok) => push_allowed &= ok,
            Err(e) => return store_down(&reply, &e),
        }
        if !push_allowed {
            break;
        }
    }
    let approval_uuid = if push_allowed {
        let mut details = shared.push_details.clone();
        details.insert("Login".into(), json!(user.login));
        details.insert("Code".into(), json!(match_code));
        let mut hidden = serde_json::Map::new();
        hidden.insert("challenge".into(), json!(challenge_digest(&id)));
        let request = ApprovalRequest {
            message: shared.push_message.clone(),
            details,
            hidden_details: hidden,
            logos: shared.push_logos.clone(),
            seconds_to_expire: u64::try_from(shared.challenge_ttl).unwrap_or(300),
        };
        match shared
            .client
            .create_approval_request(authy_id, &request)
            .await
        {
            Ok(uuid) => Some(uuid),
            Err(e) if e.is_unavailable() => {
                return upstream_down(&reply, &e, "create approval request");
            }
            Err(e) => {
                // The user cannot receive pushes (no device, unknown to Authy...): use a token.
                tracing::info!(error = %e, user_id = %user.id, "OneTouch not available for user; token only");
                None
            }
        }
    } else {
        tracing::warn!(event = "push_rate_limited", user_id = %user.id, "push limit reached; token only");
        None
    };
    let challenge = Challenge {
        id: id.clone(),
        user_id: user.id.clone(),
        authy_id,
        approval_uuid,
        match_code,
        state: ChallengeState::Pending,
        created_at: now,
        expires_at: now + shared.challenge_ttl,
    };
    let onetouch = challenge.approval_uuid.is_some();
    if let Err(e) = shared.challenges.create(challenge).await {
        return store_down(&reply, &e);
    }
    if let Err(e) = session::begin(
        &session,
        &Pending {
            challenge_id: id,
            user_id: user.id.clone(),
            return_to,
        },
    )
    .await
    {
        return store_down(&reply, &e);
    }
    tracing::info!(event = "challenge_created", user_id = %user.id, onetouch, "password accepted; second factor pending");
    reply.redirect(&shared.path("/verify"))
}

/// A digest of the challenge id for `hidden_details`: ties Authy's record to this login
/// without revealing the id itself.
fn challenge_digest(id: &str) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(id.as_bytes())
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The session's pending challenge, or the response to give when there is none.
pub(crate) async fn pending_challenge(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
) -> Result<(Pending, Challenge), Response> {
    let pending = match session::pending(session).await {
        Ok(Some(p)) => p,
        Ok(None) => return Err(reply.no_login()),
        Err(e) => return Err(store_down(reply, &e)),
    };
    match current(shared, &pending.challenge_id).await {
        Ok(Some(c)) => Ok((pending, c)),
        // Lost (a restart of an in-memory store): start over, never let in.
        Ok(None) => Err(reply.no_login()),
        Err(e) => Err(store_down(reply, &e)),
    }
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
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    let (_, c) = match pending_challenge(&shared, &session, &reply).await {
        Ok(x) => x,
        Err(_) => {
            return (
                StatusCode::SEE_OTHER,
                [(header::LOCATION, shared.path("/login"))],
            )
                .into_response();
        }
    };
    if let Some(r) = finished_page(&reply, c.state) {
        return r;
    }
    let csrf = match session::csrf_token(&session).await {
        Ok(t) => t,
        Err(e) => return store_down(&reply, &e),
    };
    let notice = match q.sent.as_deref() {
        Some("sms") => Some("We sent a code by SMS."),
        Some("call") => Some("We are calling you with a code."),
        _ => None,
    };
    Html(pages::verify(&shared, &csrf, &c, notice, None)).into_response()
}

/// The page for a challenge that can no longer be completed.
fn finished_page(reply: &Reply<'_>, state: ChallengeState) -> Option<Response> {
    let (status, title, detail) = match state {
        ChallengeState::Pending | ChallengeState::Approved => return None,
        ChallengeState::Denied => (
            StatusCode::FORBIDDEN,
            "Login denied",
            "The request was denied on your phone. If that was not you, change your password. Log in again to start over.",
        ),
        ChallengeState::Expired => (
            StatusCode::FORBIDDEN,
            "Login expired",
            "The request was not answered in time. Log in again to start over.",
        ),
        ChallengeState::Locked => (
            StatusCode::FORBIDDEN,
            "Account locked",
            "Too many wrong codes. Your account is locked for a while; try again later.",
        ),
        ChallengeState::Completed => (
            StatusCode::CONFLICT,
            "Already used",
            "This login was already completed. Log in again if needed.",
        ),
    };
    Some(reply.problem(status, title, detail))
}

async fn status(Extension(shared): Shared_, session: Session) -> Response {
    let reply = Reply {
        shared: &shared,
        json: true,
    };
    match pending_challenge(&shared, &session, &reply).await {
        Ok((_, c)) => Json(status_body(&shared, &c)).into_response(),
        Err(r) => r,
    }
}

pub(crate) fn status_body(shared: &Shared, c: &Challenge) -> Value {
    json!({
        "status": c.state.as_str(),
        "method": if c.approval_uuid.is_some() { "onetouch" } else { "token" },
        "expires_in": (c.expires_at - shared.clock.now()).max(0),
    })
}

#[derive(Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
    csrf_token: Option<String>,
}

async fn token(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<TokenForm>,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    let (pending, c) = match reply
        .form_with_challenge(&session, &headers, form.csrf_token.as_deref())
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    if let Some(r) = finished_page(&reply, c.state) {
        return r;
    }
    // Checked before anything is counted or sent: a malformed code never reaches Authy.
    let token = match Token::parse(&form.token) {
        Ok(t) => t,
        Err(e) => {
            return reply.problem(
                StatusCode::UNPROCESSABLE_ENTITY,
                "That is not a code",
                &format!("Please check the code: {e}."),
            );
        }
    };
    if c.state != ChallengeState::Pending {
        return reply.problem(
            StatusCode::CONFLICT,
            "Already approved",
            "This login was approved; finishing it.",
        );
    }
    let now = shared.clock.now();
    match shared
        .challenges
        .begin_attempt(&c.id, &pending.user_id, &shared.limits, now)
        .await
    {
        Ok(AttemptDecision::Allowed) => {}
        Ok(AttemptDecision::ChallengeExhausted) => {
            return reply.problem(
                StatusCode::TOO_MANY_REQUESTS,
                "Too many attempts",
                "Too many wrong codes for this login. Log in again to start over.",
            );
        }
        Ok(AttemptDecision::AccountLocked) => return lock(&shared, &reply, &c).await,
        Err(e) => return store_down(&reply, &e),
    }
    match shared.client.verify_token(c.authy_id, &token).await {
        Ok(()) => {}
        Err(e) if e.is_token_rejection() => {
            tracing::info!(event = "token_rejected", user_id = %c.user_id, "wrong or reused code");
            match shared
                .challenges
                .account_locked(&c.user_id, &shared.limits, now)
                .await
            {
                Ok(true) => return lock(&shared, &reply, &c).await,
                Ok(false) => {}
                Err(e) => return store_down(&reply, &e),
            }
            if reply.json {
                return reply.problem(
                    StatusCode::UNAUTHORIZED,
                    "Wrong code",
                    "That code is not valid.",
                );
            }
            let csrf = form.csrf_token.unwrap_or_default();
            return (
                StatusCode::UNAUTHORIZED,
                Html(pages::verify(
                    &shared,
                    &csrf,
                    &c,
                    None,
                    Some("That code is not valid. Please try again."),
                )),
            )
                .into_response();
        }
        Err(e) => return upstream_down(&reply, &e, "verify token"),
    }
    match shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Approved)
        .await
    {
        Ok(true) => {
            tracing::info!(event = "challenge_approved", user_id = %c.user_id, via = "token", "second factor approved");
            notify(&shared, &c.id);
        }
        Ok(false) => {
            return reply.problem(
                StatusCode::CONFLICT,
                "Already used",
                "This login has already ended. Log in again if needed.",
            );
        }
        Err(e) => return store_down(&reply, &e),
    }
    if let Err(e) = shared.challenges.clear_failures(&c.user_id).await {
        return store_down(&reply, &e);
    }
    complete(&shared, &session, &reply, &pending, &c).await
}

async fn lock(shared: &Shared, reply: &Reply<'_>, c: &Challenge) -> Response {
    match shared
        .challenges
        .transition(&c.id, ChallengeState::Pending, ChallengeState::Locked)
        .await
    {
        Ok(true) => {
            tracing::warn!(event = "challenge_locked", user_id = %c.user_id, "account locked after repeated wrong codes");
            notify(shared, &c.id);
        }
        Ok(false) => {}
        Err(e) => return store_down(reply, &e),
    }
    finished_page(reply, ChallengeState::Locked).unwrap_or_else(|| reply.unavailable())
}

/// Approved → completed, exactly once; then the session is upgraded under a new id.
async fn complete(
    shared: &Shared,
    session: &Session,
    reply: &Reply<'_>,
    pending: &Pending,
    c: &Challenge,
) -> Response {
    match shared
        .challenges
        .transition(&c.id, ChallengeState::Approved, ChallengeState::Completed)
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            return reply.problem(
                StatusCode::CONFLICT,
                "Already used",
                "This login has already ended. Log in again if needed.",
            );
        }
        Err(e) => return store_down(reply, &e),
    }
    if let Err(e) = session::complete(session, &pending.user_id).await {
        return store_down(reply, &e);
    }
    tracing::info!(event = "login_completed", user_id = %pending.user_id, "second factor completed; session upgraded");
    reply.redirect(&pending.return_to)
}

#[derive(Deserialize)]
struct CsrfForm {
    csrf_token: Option<String>,
}

async fn confirm(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    let (pending, c) = match reply
        .form_with_challenge(&session, &headers, form.csrf_token.as_deref())
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    match c.state {
        ChallengeState::Approved => complete(&shared, &session, &reply, &pending, &c).await,
        ChallengeState::Pending => reply.problem(
            StatusCode::CONFLICT,
            "Still waiting",
            "The request has not been approved yet.",
        ),
        other => finished_page(&reply, other).unwrap_or_else(|| reply.unavailable()),
    }
}

async fn send_sms(
    ext: Shared_,
    session: Session,
    headers: HeaderMap,
    form: Form<CsrfForm>,
) -> Response {
    send_code(ext, session, headers, form, Channel::Sms).await
}

async fn send_call(
    ext: Shared_,
    session: Session,
    headers: HeaderMap,
    form: Form<CsrfForm>,
) -> Response {
    send_code(ext, session, headers, form, Channel::Call).await
}

#[derive(Clone, Copy)]
enum Channel {
    Sms,
    Call,
}

async fn send_code(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
    channel: Channel,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    let (_, c) = match reply
        .form_with_challenge(&session, &headers, form.csrf_token.as_deref())
        .await
    {
        Ok(x) => x,
        Err(r) => return r,
    };
    if c.state != ChallengeState::Pending {
        return finished_page(&reply, c.state).unwrap_or_else(|| {
            reply.problem(
                StatusCode::CONFLICT,
                "Already approved",
                "No code is needed.",
            )
        });
    }
    let now = shared.clock.now();
    let quotas = [
        (
            format!("send:{}", c.id),
            shared.sends.per_login,
            shared.challenge_ttl,
        ),
        (
            format!("send-account:{}", c.user_id),
            shared.sends.per_hour,
            3600,
        ),
        // Several accounts may share one phone: the phone has its own hourly limit.
        (
            format!("send-authy:{}", c.authy_id),
            shared.sends.per_hour,
            3600,
        ),
    ];
    for (key, max, window) in quotas {
        match shared.challenges.take_quota(&key, max, window, now).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(event = "send_rate_limited", user_id = %c.user_id, "SMS/call limit reached");
                return reply.problem(
                    StatusCode::TOO_MANY_REQUESTS,
                    "Too many codes sent",
                    "We have sent enough codes for now. Use the last one, or try again later.",
                );
            }
            Err(e) => return store_down(&reply, &e),
        }
    }
    // Sent once, never retried: a slow Authy must not make the phone ring twice.
    let (result, name) = match channel {
        Channel::Sms => (shared.client.request_sms(c.authy_id, true).await, "sms"),
        Channel::Call => (shared.client.request_call(c.authy_id, true).await, "call"),
    };
    match result {
        Ok(_) => {
            tracing::info!(event = "code_sent", user_id = %c.user_id, channel = name, "code sent");
            if reply.json {
                Json(json!({"sent": name})).into_response()
            } else {
                (
                    StatusCode::SEE_OTHER,
                    [(
                        header::LOCATION,
                        format!("{}?sent={name}", shared.path("/verify")),
                    )],
                )
                    .into_response()
            }
        }
        Err(e) if e.is_unavailable() => upstream_down(&reply, &e, "send code"),
        Err(e) => {
            tracing::warn!(error = %e, user_id = %c.user_id, "Authy refused to send a code");
            reply.problem(
                StatusCode::BAD_GATEWAY,
                "Could not send a code",
                "Authy could not send a code to this phone. Use the Authy app instead.",
            )
        }
    }
}

async fn logout(
    Extension(shared): Shared_,
    session: Session,
    headers: HeaderMap,
    Form(form): Form<CsrfForm>,
) -> Response {
    let reply = Reply {
        shared: &shared,
        json: wants_json(&headers),
    };
    if let Err(r) = reply
        .require_csrf(&session, &headers, form.csrf_token.as_deref())
        .await
    {
        return r;
    }
    if let Err(e) = session::end(&session).await {
        return store_down(&reply, &e);
    }
    reply.redirect("/")
}
