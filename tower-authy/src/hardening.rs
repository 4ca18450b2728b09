//! What every tower-authy response carries, and how request bodies are read: security headers,
//! an early `413` for a declared body over the limit, and a deadline for the whole body.

use crate::config::Shared;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http::header::{self, HeaderName};
use http::{HeaderMap, HeaderValue, StatusCode};
use std::sync::Arc;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;

/// Largest request body any tower-authy route accepts (a real callback is about 2 KiB).
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// The Content-Security-Policy of tower-authy's pages: scripts, styles, images and fetches from
/// the same origin only, no inline script or style, forms posted to the same origin, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

/// The headers tower-authy sets on every response of its own, for an application that wants
/// the same on its pages: `Cache-Control: no-store`, `X-Frame-Options: DENY`, a strict
/// `Content-Security-Policy` (same-origin scripts, styles, images and fetches only, nothing
/// inline, forms to the same origin, no framing), `X-Content-Type-Options: nosniff` and
/// `Referrer-Policy: no-referrer`. Second-factor pages are never cached, framed or sniffed, and
/// an injected inline script would not run.
///
/// ```
/// use tower_http::set_header::SetResponseHeaderLayer;
/// let mut app = axum::Router::<()>::new();
/// for (name, value) in tower_authy::hardening::security_headers() {
///     app = app.layer(SetResponseHeaderLayer::if_not_present(name, value));
/// }
/// ```
pub fn security_headers() -> [(HeaderName, HeaderValue); 5] {
    [
        (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        (header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY")),
        (
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
        (
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ),
    ]
}

/// Sets the security headers on a response of tower-authy's own (the guard's denials).
pub(crate) fn add_security_headers(shared: &Shared, headers: &mut HeaderMap) {
    if shared.http.security_headers {
        for (name, value) in security_headers() {
            headers.insert(name, value);
        }
    }
}

/// Wraps the subroutes: headers outermost (so refusals carry them too), then the early size
/// check, then the body deadline.
pub(crate) fn harden<S: Clone + Send + Sync + 'static>(
    router: axum::Router<S>,
    shared: &Arc<Shared>,
) -> axum::Router<S> {
    let mut router = router
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(shared),
            read_body_by_deadline,
        ))
        .layer(RequestBodyLimitLayer::new(MAX_BODY));
    if shared.http.security_headers {
        for (name, value) in security_headers() {
            // Overriding: the event stream's own `Cache-Control: no-cache` becomes `no-store`.
            router = router.layer(SetResponseHeaderLayer::overriding(name, value));
        }
    }
    router
}

/// Reads the whole body within `body_timeout` (a slow sender gets `408` and the connection is
/// closed), so no handler ever waits on a client.
async fn read_body_by_deadline(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(
        shared.http.body_timeout,
        axum::body::to_bytes(body, MAX_BODY),
    )
    .await
    {
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Ok(Err(e)) if is_length_limit(&e) => (
            StatusCode::PAYLOAD_TOO_LARGE,
            "The request body is too large.",
        )
            .into_response(),
        Ok(Err(_)) => (
            StatusCode::BAD_REQUEST,
            "The request body could not be read.",
        )
            .into_response(),
        Err(_) => {
            tracing::warn!(
                event = "slow_body_refused",
                "request body not received in time"
            );
            (
                StatusCode::REQUEST_TIMEOUT,
                [(header::CONNECTION, "close")],
                "The request body took too long to arrive.",
            )
                .into_response()
        }
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = source {
        if s.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = s.source();
    }
    false
}
