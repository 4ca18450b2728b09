//! Serving the demo: each connection with `TCP_NODELAY`, the client's address for the
//! per-address limits, a deadline for the request headers, and only our own `Host`.

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower::ServiceExt as _;

/// Accepts connections until the task is aborted.
pub(crate) async fn serve(listener: TcpListener, app: Router, header_timeout: Duration) {
    loop {
        let Ok((tcp, peer)) = listener.accept().await else {
            continue;
        };
        // The approval's server-sent event must not wait for the browser's delayed ACK.
        let _ = tcp.set_nodelay(true);
        let app = app.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(ConnectInfo(peer));
                    app.clone().oneshot(request.map(Body::new))
                });
            // Errors here are clients going away or timing out; nothing to report.
            let _ = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout)
                .keep_alive(true)
                .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
                .await;
        });
    }
}

/// Answers only requests addressed to this app's own origin, so that a page on another site
/// that rebinds its DNS name to our address cannot use the app (or its embedded mock's
/// callbacks) with the user's cookies.
pub(crate) async fn only_our_host(
    hosts: Arc<Vec<String>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if hosts.contains(&host) {
        next.run(request).await
    } else {
        tracing::warn!(
            event = "foreign_host_refused",
            "request for another host refused"
        );
        (
            StatusCode::MISDIRECTED_REQUEST,
            "This server does not answer for that host name.",
        )
            .into_response()
    }
}
