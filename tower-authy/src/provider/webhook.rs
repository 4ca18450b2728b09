//! What a provider's webhook carries once authenticated.

/// An incoming webhook, as the callback route hands it to
/// [`SecondFactorProvider::authenticate_webhook`](super::SecondFactorProvider::authenticate_webhook).
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WebhookRequest<'a> {
    /// `GET` or `POST`.
    pub method: &'a http::Method,
    /// The callback URL as configured (never rebuilt from `Host` or `X-Forwarded-*`), without
    /// the query.
    pub url: &'a str,
    /// The query string, without `?`; empty when there is none.
    pub query: &'a str,
    /// The request headers.
    pub headers: &'a http::HeaderMap,
    /// The body, at most the route's size limit.
    pub body: &'a [u8],
}

impl<'a> WebhookRequest<'a> {
    /// A webhook request from its parts.
    pub fn new(
        method: &'a http::Method,
        url: &'a str,
        query: &'a str,
        headers: &'a http::HeaderMap,
        body: &'a [u8],
    ) -> Self {
        WebhookRequest {
            method,
            url,
            query,
            headers,
            body,
        }
    }

    /// A header's value, when present and visible ASCII.
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// How a push was answered, from an authenticated webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PushAnswer {
    /// The push's id, as [`start_push`](super::SecondFactorProvider::start_push) returned it.
    pub push_id: String,
    /// The subject the webhook names; it must match the challenge's.
    pub subject: u64,
    /// Approved (`true`) or denied.
    pub approved: bool,
    /// Identifies this delivery: a second webhook with the same key is a replay.
    pub replay_key: String,
    /// When the provider says it sent the webhook (Unix seconds), when it says so; checked
    /// against the freshness window.
    pub sent_at: Option<i64>,
}

impl PushAnswer {
    /// An answer from its parts.
    pub fn new(
        push_id: String,
        subject: u64,
        approved: bool,
        replay_key: String,
        sent_at: Option<i64>,
    ) -> Self {
        PushAnswer {
            push_id,
            subject,
            approved,
            replay_key,
            sent_at,
        }
    }
}

/// Why a webhook was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    /// The signature headers are missing.
    #[error("signature headers missing")]
    MissingHeaders,
    /// The signature does not match.
    #[error("signature does not match")]
    BadSignature,
    /// Signed, but the fields are missing or malformed, or it is not about a push answer.
    #[error("fields missing or malformed")]
    Malformed,
    /// This provider has no webhooks.
    #[error("this provider sends no webhooks")]
    Unsupported,
}
