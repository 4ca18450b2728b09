//! Injected faults, as the broken answers they produce.

use super::{error_body, json_response};

use crate::model::FaultKind;
use crate::state::DropConnection;
use axum::body::{Body, Bytes};
use axum::response::{IntoResponse, Response};
use http::{StatusCode, header};
use std::time::Duration;

pub(crate) fn fault_response(fault: FaultKind) -> (Response, u16) {
    match fault {
        FaultKind::Status {
            status,
            error_code,
            message,
        } => {
            let s = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (
                json_response(s, &error_body(&message, &error_code)),
                s.as_u16(),
            )
        }
        FaultKind::MalformedJson => {
            // Contains `"token":"is valid"`, so a client that substring-matches is caught out.
            let body = r#"{"message":"Token is valid.","token":"is valid","success":"#;
            (
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response(),
                200,
            )
        }
        FaultKind::TruncatedBody => {
            // Headers and a first chunk go out; the stream then fails, which makes hyper cut
            // the connection mid-body. The pause lets the first chunk reach the socket first.
            let body = Body::from_stream(futures_util::stream::unfold(0u8, |step| async move {
                match step {
                    0 => Some((
                        Ok(Bytes::from_static(br#"{"message":"User status.","succ"#)),
                        1,
                    )),
                    1 => {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Some((Err(std::io::Error::other("fault: body truncated")), 2))
                    }
                    _ => None,
                }
            }));
            (
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "application/json")],
                    body,
                )
                    .into_response(),
                200,
            )
        }
        FaultKind::DropConnection => {
            let mut r = StatusCode::OK.into_response();
            r.extensions_mut().insert(DropConnection);
            (r, 0)
        }
        FaultKind::Latency { .. } => unreachable!("latency is never terminal"),
    }
}
