/// Authy's answer as the client reads it: the JSON body, or the typed error.
///
/// # Errors
/// As the client's.
pub fn decode_authy_response(
    status: u16,
    bytes: &[u8],
) -> Result<serde_json::Value, crate::provider::ProviderError> {
    crate::provider::authy::decode(status, bytes)
}
pub use crate::provider::authy::parse_for_fuzzing as parse_callback;
#[cfg(feature = "verify")]
pub use crate::provider::verify::{
    canonical_for_fuzzing as twilio_canonical, parse_for_fuzzing as parse_verify_webhook,
    verify_for_fuzzing as verify_twilio_signature,
};
/// `raw` when it is a same-origin path the login may send the browser back to.
pub fn safe_return_to(raw: &str) -> Option<&str> {
    crate::session::safe_return_to(raw)
}

/// Reads a recovery code as the code form does; `Some` is how it would be shown.
pub fn recovery_code(input: &str) -> Option<String> {
    crate::recovery::RecoveryCode::parse(input).map(|c| c.display())
}

fn remembering() -> crate::remember::Remembering {
    crate::remember::Remembering {
        settings: crate::remember::RememberDevice::default(),
        key: crate::remember::RememberKey::from_bytes([7; 32]),
        previous: Vec::new(),
        store: std::sync::Arc::new(crate::remember::MemoryDeviceStore::new()),
    }
}

fn fuzz_user() -> crate::UserRecord {
    crate::UserRecord {
        id: "u1".into(),
        login: "u1".into(),
        credential_epoch: 3,
    }
}

/// The remembered-device cookie this fuzzing key makes for user `u1` at epoch 3.
pub fn remember_cookie(device_id: &str, expires: i64) -> String {
    let set = crate::remember::cookie(&remembering(), false, "u1", device_id, 3, expires, 60);
    let pair = set.to_str().unwrap_or_default().split(';').next();
    pair.unwrap_or_default().to_owned()
}

/// The device a `Cookie` header names, if its cookie is genuine for user `u1` at epoch 3
/// and not expired at Unix second 0.
pub fn remembered_device(cookie_header: &str) -> Option<String> {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        http::HeaderValue::from_str(cookie_header).ok()?,
    );
    crate::remember::device_in_cookie(&remembering(), false, &headers, &fuzz_user(), 0)
        .map(|p| p.device_id)
}

fn known_devices() -> crate::known_device::KnownDevices {
    crate::known_device::KnownDevices {
        key: crate::remember::RememberKey::from_bytes([7; 32]),
        days: 1,
    }
}

/// The device cookie this fuzzing key makes for login `u1`.
pub fn known_cookie(device_id: &str, expires: i64) -> String {
    let set =
        crate::known_device::cookie_for(&known_devices(), false, "u1", device_id, expires, 60);
    let pair = set.to_str().unwrap_or_default().split(';').next();
    pair.unwrap_or_default().to_owned()
}

/// The device a `Cookie` header's device cookie names, if it is genuine for login `u1` and
/// not expired at Unix second 0.
pub fn known_device(cookie_header: &str) -> Option<String> {
    let mut headers = http::HeaderMap::new();
    headers.insert(
        http::header::COOKIE,
        http::HeaderValue::from_str(cookie_header).ok()?,
    );
    crate::known_device::device(&known_devices(), false, &headers, "u1", 0)
}

/// Canonicalises and verifies a JSON callback body under a fixed key.
pub fn verify_json_callback(body: &[u8], signature: &str) -> bool {
    serde_json::from_slice(body).is_ok_and(|v| {
        crate::provider::authy::signature::verify(
            b"key",
            "1",
            "POST",
            "https://x/authy/callback",
            crate::provider::authy::signature::Signed::Json(&v),
            signature,
        )
    })
}

/// Canonicalises and verifies a GET callback query under a fixed key.
pub fn verify_query_callback(query: &str, signature: &str) -> bool {
    crate::provider::authy::signature::verify(
        b"key",
        "1",
        "GET",
        "https://x/authy/callback",
        crate::provider::authy::signature::Signed::Query(query),
        signature,
    )
}

/// The canonical parameter string of a JSON value, for the known-answer tests.
pub fn canonical_json(v: &serde_json::Value) -> String {
    crate::provider::authy::signature::canonical(crate::provider::authy::signature::Signed::Json(v))
}

/// Verifies a signature with an explicit key, nonce, method and URL.
pub fn verify(
    key: &str,
    nonce: &str,
    method: &str,
    url: &str,
    payload: &str,
    signature: &str,
) -> bool {
    match method {
        "POST" => serde_json::from_str(payload).is_ok_and(|v| {
            crate::provider::authy::signature::verify(
                key.as_bytes(),
                nonce,
                method,
                url,
                crate::provider::authy::signature::Signed::Json(&v),
                signature,
            )
        }),
        _ => crate::provider::authy::signature::verify(
            key.as_bytes(),
            nonce,
            method,
            url,
            crate::provider::authy::signature::Signed::Query(payload),
            signature,
        ),
    }
}
