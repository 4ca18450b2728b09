//! [`Checked`]: a form whose CSRF token is this session's, with what every handler of a form
//! needs (the configuration, the session, the request's parts). A handler that takes one
//! cannot forget the check: it runs before the handler does.

use super::Reply;
use crate::config::Shared;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Form};
use http::request::Parts;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::sync::Arc;
use tower_sessions::Session;

/// A submitted form `F` (URL-encoded, or a JSON object with `Content-Type:
/// application/json`) whose CSRF token (the `csrf_token` field, or the `X-CSRF-Token` header)
/// is this session's.
pub(crate) struct Checked<F> {
    pub(crate) shared: Arc<Shared>,
    pub(crate) session: Session,
    pub(crate) parts: Parts,
    pub(crate) form: F,
}

/// A form with no fields but its token.
#[derive(Deserialize)]
pub(crate) struct NoFields {}

/// The token beside the form's own fields.
#[derive(Deserialize)]
struct WithToken<F> {
    csrf_token: Option<String>,
    #[serde(flatten)]
    form: F,
}

impl<S, F> FromRequest<S> for Checked<F>
where
    S: Send + Sync,
    F: DeserializeOwned + Send,
{
    type Rejection = Response;

    async fn from_request(request: Request, state: &S) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let Extension(shared) = Extension::<Arc<Shared>>::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let session = Session::from_request_parts(&mut parts, state)
            .await
            .map_err(IntoResponse::into_response)?;
        let request = Request::from_parts(parts.clone(), body);
        // API clients may post JSON (a passkey's credential is JSON); browsers post forms.
        let json = parts
            .headers
            .get(http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        let WithToken { csrf_token, form } = if json {
            axum::Json::<WithToken<F>>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?
                .0
        } else {
            Form::<WithToken<F>>::from_request(request, state)
                .await
                .map_err(IntoResponse::into_response)?
                .0
        };
        Reply::new(&shared, &parts.headers)
            .require_csrf(&session, &parts.headers, csrf_token.as_deref())
            .await
            .map_err(IntoResponse::into_response)?;
        Ok(Checked {
            shared,
            session,
            parts,
            form,
        })
    }
}
