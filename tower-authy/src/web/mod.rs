//! Answering a request in the form its client asked for (a page, or `application/problem+json`), the CSRF
//! gate every form passes, and the fail-closed answers: a handler returns
//! `Result<Response, Rejection>`, and a store or Authy failure anywhere in it (`?`) becomes the
//! 503 page or problem, rendered by [`fail_closed_pages`] for the client that asked.

mod form;

/// The configuration, as every handler extracts it.
pub(crate) type Shared_ = axum::Extension<Arc<Shared>>;

pub(crate) use form::{Checked, NoFields};

use crate::config::Shared;
use crate::pages;
use crate::provider::ProviderError;
use crate::session;
use crate::store::StoreError;
use axum::Json;
use axum::response::{Html, IntoResponse, Response};
use http::{HeaderMap, HeaderValue, StatusCode, header};
use serde_json::json;
use std::sync::Arc;
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
    let language = shared.messages.pick(request.headers());
    let response = next.run(request).await;
    if response.extensions().get::<FailedClosed>().is_none() {
        return response;
    }
    let reply = Reply {
        shared: &shared,
        json,
        headers: None,
        language: std::sync::OnceLock::from(language),
    };
    reply.unavailable()
}

/// Builds responses in the form the client asked for, in its language. The language is
/// chosen the first time a message is needed: most answers (a redirect, a verified request
/// passing the guard) need none, and negotiating `Accept-Language` costs more than the guard.
pub(crate) struct Reply<'a> {
    pub(crate) shared: &'a Shared,
    pub(crate) json: bool,
    headers: Option<&'a HeaderMap>,
    language: std::sync::OnceLock<crate::i18n::Language>,
}

impl<'a> Reply<'a> {
    /// Answers in the form the request's `Accept` asks for, in the language its
    /// `Accept-Language` (or the application) chooses.
    pub(crate) fn new(shared: &'a Shared, headers: &'a HeaderMap) -> Self {
        Reply {
            shared,
            json: wants_json(headers),
            headers: Some(headers),
            language: std::sync::OnceLock::new(),
        }
    }

    /// Answers in JSON (and the default language) whatever the request asked for: for the
    /// status poll, the event stream and the provider's callback, which read no headers.
    pub(crate) fn json(shared: &'a Shared) -> Self {
        Reply {
            shared,
            json: true,
            headers: None,
            language: std::sync::OnceLock::new(),
        }
    }

    /// What a page of this answer is written with.
    pub(crate) fn view(&self) -> pages::View<'a> {
        pages::View {
            shared: self.shared,
            t: self.tr(),
        }
    }

    /// The messages in this answer's language.
    pub(crate) fn tr(&self) -> crate::i18n::Tr<'a> {
        let language = *self.language.get_or_init(|| {
            self.headers
                .map_or_else(Default::default, |h| self.shared.messages.pick(h))
        });
        crate::i18n::Tr {
            messages: &self.shared.messages,
            language,
        }
    }

    /// The problem `id` of the catalogue (its value the title, its `.detail` the detail), as a
    /// page or `application/problem+json`.
    pub(crate) fn problem(&self, status: StatusCode, id: &str) -> Response {
        let t = self.tr();
        self.problem_text(status, &t.t(id), &t.attr(id, "detail"))
    }

    /// A problem with its title and detail already in words.
    pub(crate) fn problem_text(&self, status: StatusCode, title: &str, detail: &str) -> Response {
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
                    &self.view(),
                    title,
                    detail,
                    (&login, &self.tr().t("back-to-login")),
                )),
            )
                .into_response()
        }
    }

    /// Authy or a store is down: nobody gets in, and the person is told to come back.
    pub(crate) fn unavailable(&self) -> Response {
        let mut r = self.problem(StatusCode::SERVICE_UNAVAILABLE, "problem-unavailable");
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
        self.problem(StatusCode::FORBIDDEN, "problem-csrf")
    }

    pub(crate) fn no_login(&self) -> Response {
        self.problem(StatusCode::UNAUTHORIZED, "problem-no-login")
    }
}

pub(crate) fn csrf_given<'a>(headers: &'a HeaderMap, form: Option<&'a str>) -> Option<&'a str> {
    form.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}
