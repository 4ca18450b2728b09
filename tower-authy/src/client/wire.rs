//! What travels back from Authy: [`AuthyError`], and the decoding of Authy's envelope.

use serde_json::Value;

/// What went wrong talking to Authy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthyError {
    /// No answer within the configured timeout.
    #[error("Authy did not answer in time")]
    Timeout,
    /// The request could not be sent or the answer could not be read.
    #[error("could not reach Authy")]
    Transport(#[source] reqwest::Error),
    /// Authy answered with an error status.
    #[error("Authy answered {status} (error code {code:?}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Authy's `error_code` (a digit string such as `"60026"`), when present.
        code: Option<String>,
        /// Authy's message.
        message: String,
    },
    /// Authy answered, but not with what the contract promises (not JSON, or missing fields).
    #[error("Authy's answer was malformed: {0}")]
    Malformed(&'static str),
    /// The provider checked the code itself and refused it.
    #[error("the code is wrong or was already used")]
    CodeRejected {
        /// The code was right but its time step was already used.
        reused: bool,
    },
    /// The store behind the provider (secrets, used codes) could not answer.
    #[error("the provider's store is unavailable")]
    Store(#[source] crate::StoreError),
    /// The provider cannot do this (a push with a provider that has none, say).
    #[error("the provider does not offer {0}")]
    Unsupported(&'static str),
}

impl AuthyError {
    /// True when Authy itself is unavailable or misbehaving (timeouts, transport errors, 5xx,
    /// 429, malformed answers). The caller must fail closed and may ask the user to retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AuthyError::Timeout | AuthyError::Transport(_) | AuthyError::Malformed(_) => true,
            AuthyError::Api { status, .. } => {
                *status >= 500 || *status == 429 || *status == 401 && !self.is_token_rejection()
            }
            AuthyError::Store(_) => true,
            AuthyError::Unsupported(_) | AuthyError::CodeRejected { .. } => false,
        }
    }

    /// True when Authy rejected a token (`60020` invalid, `60019` reused).
    pub fn is_token_rejection(&self) -> bool {
        matches!(self, AuthyError::Api { status: 401, code: Some(c), .. } if c == "60020" || c == "60019")
            || matches!(self, AuthyError::CodeRejected { .. })
    }

    /// Authy's `error_code`, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AuthyError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

pub(crate) fn is_transient(e: &AuthyError) -> bool {
    match e {
        AuthyError::Timeout | AuthyError::Transport(_) => true,
        AuthyError::Api { status, .. } => *status >= 500,
        _ => false,
    }
}

/// Drops the URL from transport errors: the verify URL carries the token.
pub(crate) fn classify(e: reqwest::Error) -> AuthyError {
    if e.is_timeout() {
        AuthyError::Timeout
    } else {
        AuthyError::Transport(e.without_url())
    }
}

/// Decodes an answer: any status other than 200 is an error; 200 must be a JSON object whose
/// `success` (bool or string) is true.
#[doc(hidden)]
pub(crate) fn decode(status: u16, bytes: &[u8]) -> Result<Value, AuthyError> {
    let body: Option<Value> = serde_json::from_slice(bytes).ok().filter(Value::is_object);
    if status != 200 {
        let body = body.unwrap_or(Value::Null);
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| body.pointer("/errors/message").and_then(Value::as_str))
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect();
        let code = body.get("error_code").and_then(|c| match c {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        return Err(AuthyError::Api {
            status,
            code,
            message,
        });
    }
    let body = body.ok_or(AuthyError::Malformed("not a JSON object"))?;
    let success = match body.get("success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    if !success {
        return Err(AuthyError::Malformed("HTTP 200 without success: true"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_may_be_a_bool_or_a_string() {
        assert!(decode(200, br#"{"success":true}"#).is_ok());
        assert!(decode(200, br#"{"success":"true"}"#).is_ok());
        for bad in [
            &br#"{"success":false}"#[..],
            br#"{"success":"false"}"#,
            br#"{}"#,
            br#"[1]"#,
            b"<html>",
            br#"{"message":"Token is valid.","token":"is valid","success":"#,
        ] {
            assert!(
                matches!(decode(200, bad), Err(AuthyError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn errors_keep_authys_code_as_a_string() {
        let e = decode(404, br#"{"message":"User not found.","success":false,"errors":{"message":"User not found."},"error_code":"60026"}"#).unwrap_err();
        assert_eq!(e.code(), Some("60026"));
        assert!(!e.is_unavailable());
        let e = decode(
            401,
            br#"{"errors":{"message":"Token is invalid"},"error_code":60020}"#,
        )
        .unwrap_err();
        assert!(e.is_token_rejection());
        assert!(!e.is_unavailable());
        let e = decode(503, b"<html>down</html>").unwrap_err();
        assert!(e.is_unavailable());
        assert_eq!(e.code(), None);
        assert!(
            decode(429, br#"{"error_code":"60003"}"#)
                .unwrap_err()
                .is_unavailable()
        );
        // A rejected API key is our misconfiguration, and nobody gets in.
        assert!(
            decode(401, br#"{"error_code":"60001"}"#)
                .unwrap_err()
                .is_unavailable()
        );
    }
}
