//! Answers in the form the client asked for (a page, or `application/problem+json`), the CSRF
//! gate every form passes, and the fail-closed answers.

use super::lifecycle::pending_challenge;
use crate::client::AuthyError;
use crate::config::Shared;
use crate::pages;
use crate::session::{self, Pending};
use crate::store::{Challenge, StoreError};
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

    pub(crate) fn redirect(&self, to: &str) -> Response {
        if self.json {
            Json(json!({"redirect": to})).into_response()
        } else {
            (StatusCode::SEE_OTHER, [(header::LOCATION, to)]).into_response()
        }
    }

    /// Refuses a form whose CSRF token is missing or not this session's.
    pub(crate) async fn require_csrf(
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
    pub(crate) async fn form_with_challenge(
        &self,
        session: &Session,
        headers: &HeaderMap,
        form_token: Option<&str>,
    ) -> Result<(Pending, Challenge), Response> {
        self.require_csrf(session, headers, form_token).await?;
        pending_challenge(self.shared, session, self).await
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

pub(crate) fn store_down(reply: &Reply<'_>, e: &StoreError) -> Response {
    tracing::error!(error = %e, "store unavailable; failing closed");
    reply.unavailable()
}

pub(crate) fn upstream_down(reply: &Reply<'_>, e: &AuthyError, step: &'static str) -> Response {
    tracing::error!(error = %e, step, "Authy unavailable; failing closed");
    reply.unavailable()
}

pub(crate) fn csrf_given<'a>(headers: &'a HeaderMap, form: Option<&'a str>) -> Option<&'a str> {
    form.or_else(|| headers.get("x-csrf-token").and_then(|v| v.to_str().ok()))
}
