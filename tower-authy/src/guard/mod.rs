//! [`RequireTwoFactorLayer`]: lets a request through only when its session completed both
//! factors (or, where its [`Policy`] allows, the first factor for a user without a second).
//! Every protected request passes here, so a verified session costs one session read and one
//! user load, nothing else.

pub use crate::policy::Policy;

use crate::config::{Shared, TwoFactor};
use crate::session;
use crate::store::StoreError;
use crate::web::Reply;
use axum::body::Body;
use axum::extract::FromRequestParts;
use axum::response::{IntoResponse, Response};
use http::request::Parts;
use http::{Request, StatusCode, header};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use tower::{Layer, Service};
use tower_sessions::Session;

impl TwoFactor {
    /// The layer that guards routes. Put it on `route_layer` so unknown paths stay 404, and
    /// put the session layer outside it.
    pub fn layer(&self) -> RequireTwoFactorLayer {
        RequireTwoFactorLayer {
            shared: Arc::clone(&self.shared),
            fresh_secs: None,
            policy: None,
        }
    }
}

/// Applies [`RequireTwoFactor`]. Made by [`TwoFactor::layer`].
#[derive(Clone)]
pub struct RequireTwoFactorLayer {
    shared: Arc<Shared>,
    /// The second factor must have been proved within this many seconds.
    fresh_secs: Option<i64>,
    /// This route group's policy; `None`: the builder's.
    policy: Option<Arc<Policy>>,
}

impl RequireTwoFactorLayer {
    /// Uses `policy` for these routes instead of the builder's
    /// ([`TwoFactorBuilder::policy`](crate::TwoFactorBuilder::policy)): say, everyone must
    /// prove a second factor on `/admin` while the rest of the application lets users
    /// without one in. A session that logged in with the first factor alone, for a user the
    /// policy requires, is sent to set up a factor and come back.
    ///
    /// ```
    /// use tower_authy::guard::Policy;
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let two_factor = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback").policy(Policy::if_enrolled()).build().unwrap();
    /// let admin_pages = two_factor.layer().policy(Policy::required());
    /// # drop(admin_pages);
    /// ```
    #[must_use]
    pub fn policy(mut self, policy: Policy) -> Self {
        self.policy = Some(Arc::new(policy));
        self
    }

    /// Also demands that the second factor was proved in this session within `within`, for
    /// sensitive routes (`/settings/security`): a verified session proved longer ago is sent
    /// to prove it again (`303` to `<prefix>/reprove` with a `return_to`, which asks for the
    /// user's first factor as a login would and comes back), or answered `401`
    /// `application/problem+json` with `"reason": "stale_second_factor"`. The session stays
    /// logged in for the other routes meanwhile.
    ///
    /// ```
    /// # use std::time::Duration;
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let two_factor = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback").build().unwrap();
    /// let security_settings = two_factor.layer().fresh(Duration::from_secs(300));
    /// # drop(security_settings);
    /// ```
    #[must_use]
    pub fn fresh(mut self, within: std::time::Duration) -> Self {
        self.fresh_secs = Some(i64::try_from(within.as_secs()).unwrap_or(i64::MAX));
        self
    }
}

impl std::fmt::Debug for RequireTwoFactorLayer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireTwoFactorLayer")
            .field("prefix", &self.shared.prefix)
            .finish()
    }
}

impl<S> Layer<S> for RequireTwoFactorLayer {
    type Service = RequireTwoFactor<S>;

    fn layer(&self, inner: S) -> Self::Service {
        RequireTwoFactor {
            inner,
            shared: Arc::clone(&self.shared),
            fresh_secs: self.fresh_secs,
            policy: self.policy.clone(),
        }
    }
}

/// The middleware. Browsers without a verified session get `303 See Other` to the login page
/// with a `return_to`; clients that ask for JSON get `401` with an `application/problem+json`
/// body. A session whose second factor is pending counts as logged out. The user is loaded
/// from the [`UserStore`](crate::UserStore) on every request and handed to the handler as
/// [`VerifiedUser`]; a user the store no longer knows is logged out. If the session or user
/// store fails, the answer is `503` with `Retry-After`, and nobody gets through.
#[derive(Clone)]
pub struct RequireTwoFactor<S> {
    inner: S,
    shared: Arc<Shared>,
    fresh_secs: Option<i64>,
    policy: Option<Arc<Policy>>,
}

impl<S> std::fmt::Debug for RequireTwoFactor<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RequireTwoFactor").finish_non_exhaustive()
    }
}

/// Any request and response body: the inner service's response body is boxed into axum's
/// [`Body`] (without a second box when it already is one).
impl<S, ReqBody, ResBody> Service<Request<ReqBody>> for RequireTwoFactor<S>
where
    S: Service<Request<ReqBody>, Response = http::Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    ReqBody: Send + 'static,
    ResBody: axum::body::HttpBody<Data = axum::body::Bytes> + Send + 'static,
    ResBody::Error: Into<axum::BoxError>,
{
    type Response = Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<ReqBody>) -> Self::Future {
        // Use the service that was polled ready; leave a fresh clone for the next call.
        let fresh = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, fresh);
        let shared = Arc::clone(&self.shared);
        let fresh_secs = self.fresh_secs;
        let policy = self.policy.clone();
        ResponseFuture {
            inner: Box::pin(async move {
                let (parts, body) = request.into_parts();
                let policy = policy.as_deref().unwrap_or(&shared.policy);
                let mut checked = check_with(&shared, &parts, policy).await;
                // Freshness is about a second factor: a user the policy lets in without one
                // has none to prove again.
                if let (Ok(user), Some(within)) = (&checked, fresh_secs)
                    && user.second_factor
                    && let Some(stale) = unless_fresh(&shared, &parts, within).await
                {
                    checked = Err(stale);
                }
                let mut request = Request::from_parts(parts, body);
                match checked {
                    Ok(user) => {
                        request.extensions_mut().insert(user);
                        let response = inner.call(request).await?;
                        Ok(response.map(Body::new))
                    }
                    Err(mut denied) => {
                        crate::hardening::add_security_headers(&shared, denied.headers_mut());
                        Ok(denied)
                    }
                }
            }),
        }
    }
}

/// The future returned by [`RequireTwoFactor`].
pub struct ResponseFuture<E> {
    inner: Pin<Box<dyn Future<Output = Result<Response, E>> + Send>>,
}

impl<E> std::fmt::Debug for ResponseFuture<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseFuture")
    }
}

impl<E> Future for ResponseFuture<E> {
    type Output = Result<Response, E>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.inner.as_mut().poll(cx)
    }
}

/// The user of the request if they proved both factors in this session: what tower-authy's
/// own pages for a verified user (factors, recovery codes, devices) need, whatever the policy.
pub(crate) async fn check(shared: &Shared, parts: &Parts) -> Result<VerifiedUser, Response> {
    check_with(shared, parts, &Policy::required()).await
}

/// The user of the request if `policy` lets them through: verified with both factors, or
/// with the first alone for a user who holds no factor and whom `policy` does not require.
async fn check_with(
    shared: &Shared,
    parts: &Parts,
    policy: &Policy,
) -> Result<VerifiedUser, Response> {
    let reply = Reply::new(shared, &parts.headers);
    let Some(session) = parts.extensions.get::<Session>() else {
        tracing::error!(
            "RequireTwoFactor needs tower-sessions' SessionManagerLayer outside it; refusing"
        );
        return Err(reply.problem(StatusCode::INTERNAL_SERVER_ERROR, "problem-misconfigured"));
    };
    let down = |e: StoreError| {
        tracing::error!(error = %e, "session or user store unavailable; failing closed");
        reply.unavailable()
    };
    let signed_in = session::signed_in(session).await.map_err(down)?;
    let (user, second_factor) = match &shared.step_up {
        None => match signed_in {
            // The user as the application knows them now: one deleted since, or whose
            // credential epoch was raised since ("log out everywhere"), is out.
            Some(v) => match shared.users.load(&v.user_id).await.map_err(down)? {
                Some(user) if v.holds_for(&user) => (user, v.second_factor),
                found => {
                    let why = if found.is_some() {
                        "credential epoch raised"
                    } else {
                        "user gone"
                    };
                    tracing::warn!(event = "session_ended", user_id = %v.user_id, reason = why, "verified session no longer counts; ended");
                    session::end(session).await.map_err(down)?;
                    return Err(to_login(&reply, &shared.path("/login"), parts));
                }
            },
            None => return Err(to_login(&reply, &shared.path("/login"), parts)),
        },
        Some(step_up) => {
            let current = step_up.first_factor.current_user(parts).await;
            match (current.map_err(down)?, signed_in) {
                (Some(user), Some(v)) if v.second_factor && v.holds_for(&user) => (user, true),
                // The application's login alone: enough for a user the policy does not
                // require, if they hold no factor (checked below).
                (Some(user), verified) if !policy.is_everyone() => {
                    if verified.is_some() {
                        // Proved for somebody else, or before the epoch was raised.
                        session::forget_second_factor(session).await.map_err(down)?;
                    }
                    (user, false)
                }
                (current, verified) => {
                    // Logged out of the application, logged in as somebody else, or the
                    // credential epoch raised: the second factor went with the first.
                    if verified.is_some() {
                        session::forget_second_factor(session).await.map_err(down)?;
                    }
                    let to = match current {
                        Some(_) => shared.start_path(),
                        None => step_up.login_url.clone(),
                    };
                    return Err(to_login(&reply, &to, parts));
                }
            }
        }
    };
    if !second_factor {
        first_factor_alone(shared, &reply, session, parts, policy, &user).await?;
    }
    Ok(VerifiedUser {
        user_id: user.id.clone(),
        user,
        second_factor,
    })
}

/// `Ok` when a session without a second factor passes under `policy`: its user holds no
/// factor (one who set one up since logs in again and proves it) and `policy` does not
/// require them (one it does is sent to set one up).
async fn first_factor_alone(
    shared: &Shared,
    reply: &Reply<'_>,
    session: &Session,
    parts: &Parts,
    policy: &Policy,
    user: &crate::UserRecord,
) -> Result<(), Response> {
    let down = |e: StoreError| {
        tracing::error!(error = %e, "factor store unavailable; failing closed");
        reply.unavailable()
    };
    let holds_one = !crate::offer::of_user(shared, user)
        .await
        .map_err(down)?
        .is_empty();
    if holds_one {
        tracing::info!(event = "session_ended", user_id = %user.id, reason = "second factor set up", "a session without a second factor ends once the user has one");
        session::forget_second_factor(session).await.map_err(down)?;
        return Err(to_login(reply, &shared.start_path(), parts));
    }
    if !policy.requires(user, shared.clock.now()) {
        return Ok(());
    }
    if reply.json {
        return Err(problem_with_reason(
            reply,
            "problem-second-factor-required",
            "second_factor_required",
        ));
    }
    if shared.enrols() && shared.step_up.is_none() {
        return Err(to_login(reply, &shared.path("/enrol"), parts));
    }
    // Nowhere here to set one up: say so, rather than send them round to a login.
    Err(reply.problem(StatusCode::FORBIDDEN, "problem-factor-required"))
}

/// `None` when this session proved its second factor within `within` seconds; else the way to
/// prove it again (browsers) or a 401 that says why (API clients).
async fn unless_fresh(shared: &Shared, parts: &Parts, within: i64) -> Option<Response> {
    let reply = Reply::new(shared, &parts.headers);
    let session = parts.extensions.get::<Session>()?;
    let proved = match session::last_proved(session).await {
        Ok(proved) => proved,
        Err(e) => {
            tracing::error!(error = %e, "session store unavailable; failing closed");
            return Some(reply.unavailable());
        }
    };
    if proved.is_some_and(|at| shared.clock.now() - at < within) {
        return None;
    }
    if reply.json {
        return Some(problem_with_reason(
            &reply,
            "problem-stale-second-factor",
            "stale_second_factor",
        ));
    }
    Some(to_login(&reply, &shared.path("/reprove"), parts))
}

/// A `401` `application/problem+json` (the catalogue's problem `id`) whose `reason` says what
/// to do.
fn problem_with_reason(reply: &Reply<'_>, id: &str, reason: &str) -> Response {
    let t = reply.tr();
    let body = serde_json::json!({
        "type": "about:blank",
        "title": t.t(id),
        "status": 401,
        "detail": t.attr(id, "detail"),
        "reason": reason,
    });
    let mut response = (StatusCode::UNAUTHORIZED, axum::Json(body)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        http::HeaderValue::from_static("application/problem+json"),
    );
    response
}

/// Browsers go to `login` with a way back; API clients get 401.
fn to_login(reply: &Reply<'_>, login: &str, parts: &Parts) -> Response {
    if reply.json {
        return problem_with_reason(reply, "problem-login-required", "login_required");
    }
    // Inside `Router::nest` the URI has lost the prefix; axum keeps the original.
    let uri = parts
        .extensions
        .get::<axum::extract::OriginalUri>()
        .map_or(&parts.uri, |original| &original.0);
    let target = uri.path_and_query().map_or("/", |p| p.as_str());
    redirect_with_return_to(login, target)
}

/// 303 to `login`, with the way back to `target` in `return_to`.
pub(crate) fn redirect_with_return_to(login: &str, target: &str) -> Response {
    let encoded: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    let location = format!("{login}?return_to={encoded}");
    (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response()
}

/// The user who completed both factors in this session (or, where the route's [`Policy`]
/// lets them, the first alone: see [`second_factor`](VerifiedUser::second_factor)).
/// Available to handlers behind [`RequireTwoFactorLayer`]; elsewhere extracting it fails with
/// `401`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct VerifiedUser {
    /// The [`UserRecord::id`](crate::UserRecord::id).
    pub user_id: String,
    /// The user, as [`UserStore::load`](crate::UserStore::load) returned them for this request:
    /// a user the store no longer knows is logged out instead.
    pub user: crate::UserRecord,
    /// `true`: this session proved a second factor. `false`: the user holds none and the
    /// route's policy let them in with the first factor alone (never under
    /// [`Policy::required`]).
    pub second_factor: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for VerifiedUser {
    type Rejection = StatusCode;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<VerifiedUser>()
            .cloned()
            .ok_or(StatusCode::UNAUTHORIZED)
    }
}
