//! The decoding of Authy's envelope into a value or a [`ProviderError`].

use crate::provider::ProviderError;
use serde_json::Value;

/// Decodes an answer: any status other than 200 is an error; 200 must be a JSON object whose
/// `success` (bool or string) is true.
#[doc(hidden)]
pub(crate) fn decode(status: u16, bytes: &[u8]) -> Result<Value, ProviderError> {
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
        return Err(ProviderError::Api {
            status,
            code,
            message,
        });
    }
    let body = body.ok_or(ProviderError::Malformed("not a JSON object"))?;
    let success = match body.get("success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    if !success {
        return Err(ProviderError::Malformed("HTTP 200 without success: true"));
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
                matches!(decode(200, bad), Err(ProviderError::Malformed(_))),
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
