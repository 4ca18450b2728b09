//! The demo's metrics: tower-authy's (and any other crate's) through the `metrics` facade,
//! rendered for Prometheus by `metrics-exporter-prometheus` at `GET /metrics` on a listener of
//! their own, on a loopback address only, answering only requests that name that address as
//! their `Host`: they tell how often people log in and fail to, which is not for the open
//! internet nor for a web page that rebinds its name to loopback.

use axum::Router;
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use std::net::SocketAddr;
use std::sync::OnceLock;

/// Why the metrics listener did not start.
#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    /// The address is not a loopback one.
    #[error("--metrics-listen must be a loopback address (127.0.0.1, [::1]), not {0}")]
    NotLoopback(SocketAddr),
    /// Another recorder than the demo's is installed in this process.
    #[error("another metrics recorder is installed")]
    Recorder,
    /// Binding the address failed.
    #[error("cannot listen for metrics: {0}")]
    Listen(#[from] std::io::Error),
}

/// The process's recorder, installed on first use.
fn handle() -> Result<PrometheusHandle, MetricsError> {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    if let Some(h) = HANDLE.get() {
        return Ok(h.clone());
    }
    let installed = PrometheusBuilder::new()
        .install_recorder()
        .map_err(|_| MetricsError::Recorder)?;
    Ok(HANDLE.get_or_init(|| installed).clone())
}

/// Installs the Prometheus recorder (once per process) and serves `GET /metrics` on `listen`,
/// a loopback address; the address it is bound to (port 0 picks one).
///
/// # Errors
/// [`MetricsError`].
pub async fn serve(listen: SocketAddr) -> Result<SocketAddr, MetricsError> {
    if !listen.ip().is_loopback() {
        return Err(MetricsError::NotLoopback(listen));
    }
    let handle = handle()?;
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let bound = listener.local_addr()?;
    // Only this address as Host: a web page rebinding its own name to loopback reads nothing.
    let hosts = [bound.to_string(), format!("localhost:{}", bound.port())];
    let app = Router::new().route(
        "/metrics",
        get(move |headers: axum::http::HeaderMap| {
            let host = headers
                .get(axum::http::header::HOST)
                .and_then(|h| h.to_str().ok());
            let answer = if host.is_some_and(|h| hosts.iter().any(|ok| ok == h)) {
                (axum::http::StatusCode::OK, handle.render())
            } else {
                (axum::http::StatusCode::MISDIRECTED_REQUEST, String::new())
            };
            std::future::ready(answer)
        }),
    );
    tokio::spawn(async move {
        if let Err(e) = axum::serve(listener, app).await {
            tracing::error!(error = %e, "the metrics listener stopped");
        }
    });
    Ok(bound)
}
