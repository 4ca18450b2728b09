//! Answering a request in the form its client asked for (a page, or `application/problem+json`), the CSRF
//! gate every form passes, and the fail-closed answers: a handler returns
//! `Result<Response, Rejection>`, and a store or Authy failure anywhere in it (`?`) becomes the
//! 503 page or problem, rendered by [`fail_closed_pages`] for the client that asked.

use crate::config::Shared;
use crate::pages;
use crate::provider::ProviderError;
use crate::session;
use crate::store::StoreError;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;
use tower_sessions::Session;

/// Whether the client asked for JSON rather than a page.
pub(crate) fn wants_json(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("application/json") && !a.contains("text/html"))
}

/// Why a handler stopped before its happy ending.
pub(crate) enum Rejection {
    /// A store failed: fail closed.
    Store(StoreError),
    /// Authy could not be reached at `step`: fail closed.
    Authy(ProviderError, &'static str),
    /// A complete answer (a refused form, an ended login, a limit reached).
    Answer(Response),
}

/// What a handler returns.
pub(crate) type Handled = Result<Response, Rejection>;

impl From<StoreError> for Rejection {
    fn from(e: StoreError) -> Self {
        Rejection::Store(e)
    }
}

impl From<Response> for Rejection {
    fn from(r: Response) -> Self {
        Rejection::Answer(r)
    }
}

/// Marks a response to be replaced by the 503 answer in the form the client asked for.
#[derive(Clone, Copy)]
struct FailedClosed;

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::Answer(r) => return r,
            Rejection::Store(StoreError::Busy) => {
                tracing::warn!(event = "busy", "too much work queued; answered 503");
                crate::telemetry::throttled("busy");
            }
            Rejection::Store(e) => {
                tracing::error!(error = %e, "store unavailable; failing closed");
            }
            Rejection::Authy(e, step) => {
                tracing::error!(error = %e, step, "Authy unavailable; failing closed");
            }
        }
        let mut r = StatusCode::SERVICE_UNAVAILABLE.into_response();
        r.extensions_mut().insert(FailedClosed);
        r
    }
}

/// Renders a failed-closed answer as the page or problem the client asked for.
pub(crate) async fn fail_closed_pages(
    axum::extract::State(shared): axum::extract::State<std::sync::Arc<Shared>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let json = wants_json(request.headers());
    let response = next.run(request).await;
    if response.extensions().get::<FailedClosed>().is_none() {
        return response;
    }
    Reply {
        shared: &shared,
        json,
    }
    .unavailable()
}

/// Builds responses in the form the client asked for.
pub(crate) struct Reply<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) json: bool,
}

impl<'a> Reply<'a> {
    /// Answers in the form the request's `Accept` asks for.
    pub(crate) fn new(shared: &'a Shared, headers: &HeaderMap) -> Self {
        Reply {
            shared,
            json: wants_json(headers),
        }
    }

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
            let login = self.shared.start_path();
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

    pub(crate) fn redirect(&self, to: &str) -> Response {
        if self.json {
            Json(json!({"redirect": to})).into_response()
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
    }

    /// The redirect after the session id changed, and with it the CSRF token: API clients get
    /// the new token in the answer, browsers find it on the next page.
    pub(crate) async fn redirect_rotated(
        &self,
        session: &Session,
        to: &str,
    ) -> Result<Response, StoreError> {
        if !self.json {
            return Ok(self.redirect(to));
        }
        let csrf = session::csrf_token(session).await?;
        Ok(Json(json!({"redirect": to, "csrf_token": csrf})).into_response())
    }

    /// Refuses a form whose CSRF token is missing or not this session's.
    pub(crate) async fn require_csrf(
        &self,
        session: &Session,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(), Rejection> {
        if session::csrf_ok(session, csrf_given(headers, form_token)).await? {
            Ok(())
        } else {
            Err(self.csrf_refused().into())
        }
    }

    pub(crate) fn csrf_refused(&self) -> Response {
        self.problem(
            StatusCode::FORBIDDEN,
            "Form expired",
            "This form has expired or did not come from this site. Please try again.",
        )
    }

    pub(crate) fn no_login(&self) -> Response {
        self.problem(
            StatusCode::UNAUTHORIZED,
            "Not logged in",
            "Your login has ended. Please log in again.",
        )
    }
}

pub(crate) fn csrf_given<'a>(headers: &'a HeaderMap, form: Option<&'a str>) -> Option<&'a str> {
    form.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}
