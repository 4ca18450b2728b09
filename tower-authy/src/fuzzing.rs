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

/// A public key (P-256) a software authenticator registered for `http://localhost:3000`: the
/// credential the passkey targets ask assertions of. Its private key is not anywhere.
#[cfg(feature = "webauthn")]
const FUZZ_PASSKEY: &str = r#"{"cred":{"cred_id":"Dm8zp6mc9PA5zz0lpEYnCWUKZ5GwCU_jaEjuSS98ugg","cred":{"type_":"ES256","key":{"EC_EC2":{"curve":"SECP256R1","x":"kzXwJl62FEtRklAJej5HFPSACMGbps9O6SHWg2O_CBo","y":"IwydVy6M59EoAVTu77gorchzSDUzCX1oyNhddT6Q2Xo"}}},"counter":0,"transports":null,"user_verified":true,"backup_eligible":false,"backup_state":false,"registration_policy":"required","extensions":{"cred_protect":"Ignored","hmac_create_secret":"NotRequested","appid":"NotRequested","cred_props":"Ignored"},"attestation":{"data":"Self_","metadata":"None"},"attestation_format":"packed"}}"#;

/// Runs a future of the in-memory stores, which never wait.
#[cfg(feature = "webauthn")]
fn at_once<T>(f: impl std::future::Future<Output = T>) -> Option<T> {
    use futures_util::FutureExt as _;
    f.now_or_never()
}

/// Feeds `data` to both passkey ceremonies the way the routes would: as the credential JSON a
/// form or body carries, and as the client data and authenticator data of an assertion (the
/// client data otherwise right, so the authenticator data and signature are what is read).
/// `true` if any of it was accepted, which nothing unsigned by the credential's key may be.
#[cfg(feature = "webauthn")]
pub fn passkey_answers(data: &[u8]) -> bool {
    use crate::passkeys::CredentialJson;
    use crate::provider::webauthn::{Passkey, Passkeys, RelyingParty, Uuid};
    static SET_UP: std::sync::OnceLock<Option<(Passkeys, Passkey)>> = std::sync::OnceLock::new();
    let set_up = SET_UP.get_or_init(|| {
        let rp = RelyingParty {
            id: "localhost".into(),
            name: "Fuzz".into(),
            origins: vec!["http://localhost:3000".into()],
        };
        Some((
            Passkeys::new(&rp).ok()?,
            serde_json::from_str::<Passkey>(FUZZ_PASSKEY).ok()?,
        ))
    });
    let Some((passkeys, passkey)) = set_up else {
        return false;
    };
    let store = crate::store::MemoryChallengeStore::new();
    let mut accepted = false;
    let text = String::from_utf8_lossy(data).into_owned();
    // The credential JSON, as the routes read it.
    if let Some(answer) = CredentialJson::Text(text.clone()).assertion() {
        let started =
            passkeys.start_authentication(&store, "a", std::slice::from_ref(passkey), 100, 0);
        if at_once(started).is_some_and(|r| r.is_ok()) {
            let finished = at_once(passkeys.finish_authentication(&store, "a", &answer, 1));
            accepted |= finished.is_some_and(|r| r.is_ok());
        }
    }
    if let Some(answer) = CredentialJson::Text(text).registration() {
        let started =
            passkeys.start_registration(&store, "r", Uuid::from_u128(1), "u", Vec::new(), 100, 0);
        if at_once(started).is_some_and(|r| r.is_ok()) {
            let finished = at_once(passkeys.finish_registration(&store, "r", &answer, 1));
            accepted |= finished.is_some_and(|r| r.is_ok());
        }
    }
    // Authenticator data and signature from `data`, beside client data that is right.
    let started = passkeys.start_authentication(&store, "b", std::slice::from_ref(passkey), 100, 0);
    let Some(Ok(options)) = at_once(started) else {
        return accepted;
    };
    let options = serde_json::to_value(options).unwrap_or_default();
    let challenge = options["publicKey"]["challenge"]
        .as_str()
        .unwrap_or_default();
    let client_data = serde_json::json!({
        "type": "webauthn.get",
        "challenge": challenge,
        "origin": "http://localhost:3000",
    });
    let b64 = |bytes: &[u8]| data_encoding::BASE64URL_NOPAD.encode(bytes);
    let (authenticator_data, signature) = data.split_at(data.len() / 2);
    let id = b64(passkey.cred_id().as_ref());
    let answer = serde_json::json!({
        "id": id,
        "rawId": id,
        "type": "public-key",
        "response": {
            "clientDataJSON": b64(client_data.to_string().as_bytes()),
            "authenticatorData": b64(authenticator_data),
            "signature": b64(signature),
            "userHandle": null,
        },
        "extensions": {},
    });
    if let Some(answer) = CredentialJson::Object(answer).assertion() {
        let finished = at_once(passkeys.finish_authentication(&store, "b", &answer, 1));
        accepted |= finished.is_some_and(|r| r.is_ok());
    }
    accepted
}
