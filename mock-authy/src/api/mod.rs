//! The Authy REST API (authy-api.md part A), as one handler with its own small router: Authy's
//! paths need slash collapsing and Authy-shaped 404/405 bodies, which a generic router cannot give.
//!
//! `route` maps paths to endpoints, `endpoints` answers each one, `faults` turns an injected
//! fault into a broken answer; `verify` is Verify v2's API under `/v2/`, beside Authy's, over
//! the same faults, journal and world.

mod app;
pub(crate) mod endpoints;
mod faults;
mod phones;
mod route;
mod users;
pub(crate) mod verify;

use endpoints::{endpoint_response, error_body};
pub(crate) use faults::fault_response;
#[cfg(feature = "fuzzing")]
pub(crate) use route::fuzz_route;
use route::{Route, route, segments};

use crate::endpoint::Endpoint;
use crate::model::JournalEntry;
use crate::params::{self, ParamsError};
use crate::state::Inner;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http::{HeaderMap, Method, StatusCode, header};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// Bodies larger than this get 413.
pub(crate) const MAX_BODY: usize = 64 * 1024;

pub(crate) fn json_response(status: StatusCode, body: &Value) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
        body.to_string(),
    )
        .into_response()
}

/// The one handler for every non-control path.
pub(crate) async fn handle(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let (parts, body) = req.into_parts();
    let method = parts.method.clone();
    let path = parts.uri.path().to_owned();
    let normalized = format!(
        "/{}",
        path.split('/')
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("/")
    );
    let now = inner.clock.now();
    let mut entry = JournalEntry {
        seq: 0,
        at: now,
        method: method.to_string(),
        path: normalized,
        endpoint: "unknown".into(),
        status: 0,
        params: Value::Null,
        fault: None,
    };

    let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(b) => b,
        Err(_) => {
            let b = error_body("Request entity too large", "60002");
            entry.status = 413;
            inner.with_world(|w| w.record(entry));
            inner.notify();
            return json_response(StatusCode::PAYLOAD_TOO_LARGE, &b);
        }
    };
    // Once received, a request runs to the end in its own task, as on a real server: a client
    // that times out and hangs up does not undo the push or the SMS it asked for.
    let task_inner = Arc::clone(&inner);
    let task = tokio::spawn(async move {
        let (response, status) = dispatch(
            &task_inner,
            &parts.headers,
            &method,
            &path,
            parts.uri.query(),
            &bytes,
            &mut entry,
        )
        .await;
        entry.status = status;
        task_inner.with_world(|w| w.record(entry));
        task_inner.notify();
        response
    });
    match task.await {
        Ok(response) => response,
        Err(_) => StatusCode::INTERNAL_SERVER_ERROR.into_response(),
    }
}

/// Runs the faults that apply to `endpoint`: sleeps the latencies, and answers with the
/// terminal fault if there is one.
pub(crate) async fn apply_faults(
    inner: &Inner,
    endpoint: Endpoint,
    entry: &mut JournalEntry,
) -> Option<(Response, u16)> {
    let (delay_ms, fault) = inner.with_world(|w| w.take_faults(endpoint));
    if delay_ms > 0 {
        entry.fault = Some(format!("latency {delay_ms} ms"));
        tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    }
    let fault = fault?;
    entry.fault = Some(format!("{fault:?}"));
    Some(fault_response(fault))
}

async fn dispatch(
    inner: &Arc<Inner>,
    headers: &HeaderMap,
    method: &Method,
    path: &str,
    query: Option<&str>,
    body: &Bytes,
    entry: &mut JournalEntry,
) -> (Response, u16) {
    if path.starts_with("/v2/") {
        return verify::dispatch(inner, headers, method, path, query, body, entry).await;
    }
    let plain = |status: StatusCode, b: Value| {
        let code = status.as_u16();
        (json_response(status, &b), code)
    };
    let Some(segs) = segments(path) else {
        return plain(
            StatusCode::BAD_REQUEST,
            error_body("Invalid request", "60002"),
        );
    };
    let (endpoint, args) = match route(method, &segs) {
        Route::Found(e, a) => (e, a),
        Route::WrongMethod => {
            return plain(
                StatusCode::METHOD_NOT_ALLOWED,
                error_body("Method not allowed", "60002"),
            );
        }
        Route::NotFound => {
            return plain(
                StatusCode::NOT_FOUND,
                error_body("Resource not found", "60000"),
            );
        }
    };
    entry.endpoint = endpoint.name().to_owned();
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    let parsed = params::parse(query, content_type, body);
    if let Ok(p) = &parsed {
        let mut shown = p.clone();
        shown.remove("api_key");
        entry.params = Value::Object(shown);
    }

    // Faults come first: they simulate the service failing, whoever is asking.
    if let Some(broken) = apply_faults(inner, endpoint, entry).await {
        return broken;
    }

    let params = match parsed {
        Ok(p) => p,
        Err(ParamsError::MalformedJson) => {
            return plain(
                StatusCode::BAD_REQUEST,
                error_body("Invalid request: malformed JSON body", "60002"),
            );
        }
        Err(ParamsError::MalformedForm) => {
            return plain(
                StatusCode::BAD_REQUEST,
                error_body("Invalid request: malformed parameters", "60002"),
            );
        }
    };
    // Authy reads the key from its header, else from the query string or a form body (its
    // documented places, authy-api.md A.1); a JSON body's `api_key` is not a key.
    let from_params = if params::is_json(content_type) {
        query
            .and_then(|q| params::parse(Some(q), None, b"").ok())
            .and_then(|q| params::text(&q, "api_key"))
    } else {
        params::text(&params, "api_key")
    };
    let key = headers
        .get("x-authy-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
        .or(from_params);
    if key.as_deref() != Some(inner.config.api_key.as_str()) {
        return plain(
            StatusCode::UNAUTHORIZED,
            error_body("Invalid API key", "60001"),
        );
    }
    let (status, b) = endpoint_response(inner, endpoint, &args, &params);
    plain(status, b)
}
