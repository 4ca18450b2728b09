//! The words every provider speaks: what went wrong ([`ProviderError`]), a push to send
//! ([`PushRequest`]) and its answer ([`PushStatus`]), what became of a code sent
//! ([`SendOutcome`]), and whose factor a call is about ([`Subject`]).

use serde::Serialize;
use serde_json::Value;

/// A provider's reference for the user a factor belongs to: Authy's id for the Authy
/// provider; for the others, a number the provider chose at registration (a Verify entity,
/// a sealed TOTP secret's key).
pub type Subject = u64;

/// What went wrong asking a provider (Authy, Verify, a self-hosted TOTP store, ...).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProviderError {
    /// No answer within the configured timeout.
    #[error("the provider did not answer in time")]
    Timeout,
    /// The request could not be sent or the answer could not be read.
    #[error("could not reach the provider")]
    Transport(#[source] reqwest::Error),
    /// Authy answered with an error status.
    #[error("the provider answered {status} (error code {code:?}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Authy's `error_code` (a digit string such as `"60026"`), when present.
        code: Option<String>,
        /// Authy's message.
        message: String,
    },
    /// Authy answered, but not with what the contract promises (not JSON, or missing fields).
    #[error("the provider's answer was malformed: {0}")]
    Malformed(&'static str),
    /// The provider checked the code itself and refused it.
    #[error("the code is wrong or was already used")]
    CodeRejected {
        /// The code was right but its time step was already used.
        reused: bool,
    },
    /// The store behind the provider (secrets, used codes) could not answer.
    #[error("the provider's store is unavailable")]
    Store(#[source] crate::store::StoreError),
    /// The provider cannot do this (a push with a provider that has none, say).
    #[error("the provider does not offer {0}")]
    Unsupported(&'static str),
}

impl ProviderError {
    /// True when Authy itself is unavailable or misbehaving (timeouts, transport errors, 5xx,
    /// 429, malformed answers). The caller must fail closed and may ask the user to retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            ProviderError::Timeout | ProviderError::Transport(_) | ProviderError::Malformed(_) => {
                true
            }
            ProviderError::Api { status, .. } => {
                *status >= 500 || *status == 429 || *status == 401 && !self.is_token_rejection()
            }
            ProviderError::Store(_) => true,
            ProviderError::Unsupported(_) | ProviderError::CodeRejected { .. } => false,
        }
    }

    /// True when Authy rejected a token (`60020` invalid, `60019` reused).
    pub fn is_token_rejection(&self) -> bool {
        matches!(self, ProviderError::Api { status: 401, code: Some(c), .. } if c == "60020" || c == "60019")
            || matches!(self, ProviderError::CodeRejected { .. })
    }

    /// Authy's `error_code`, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            ProviderError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

#[cfg(any(feature = "authy", feature = "verify"))]
pub(crate) fn is_transient(e: &ProviderError) -> bool {
    match e {
        ProviderError::Timeout | ProviderError::Transport(_) => true,
        ProviderError::Api { status, .. } => *status >= 500,
        _ => false,
    }
}

#[cfg(any(feature = "authy", feature = "verify"))]
/// Drops the URL from transport errors: the verify URL carries the token.
pub(crate) fn classify(e: reqwest::Error) -> ProviderError {
    if e.is_timeout() {
        ProviderError::Timeout
    } else {
        ProviderError::Transport(e.without_url())
    }
}

/// What the provider did with a request to send a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendOutcome {
    /// The SMS was sent or the call started.
    Sent,
    /// The provider skipped it (Authy does when the user has the app, without `force`).
    Ignored,
}

/// Where a push (a OneTouch approval request, a Verify Push challenge) stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PushStatus {
    /// Waiting for the user.
    Pending,
    /// Approved on the phone.
    Approved,
    /// Denied on the phone.
    Denied,
    /// Not answered in time.
    Expired,
}

/// A push to send to the user's phone.
#[derive(Debug, Clone, Serialize)]
pub struct PushRequest {
    /// Shown in the notification (Authy keeps 200 characters).
    pub message: String,
    /// Shown to the user in the app.
    pub details: serde_json::Map<String, Value>,
    /// Kept with the transaction, not shown.
    pub hidden_details: serde_json::Map<String, Value>,
    /// Logos as `{"res", "url"}` objects; empty for none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logos: Vec<Value>,
    /// Seconds until Authy expires the request.
    pub seconds_to_expire: u64,
}
