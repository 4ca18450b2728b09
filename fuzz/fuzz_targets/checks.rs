//! What each fuzz target checks, shared with `tests/e2e/fuzz_regressions.rs`, which replays
//! the seeds and every saved crash input through the same code under `cargo test`.
#![allow(dead_code)]

/// The callback canonicaliser and verifier, on JSON bodies and GET query strings. The first
/// line is the signature header, the rest the body (or query).
pub(crate) fn callback_verify(data: &[u8]) {
    let (sig, rest) = data.split_at(data.iter().position(|&b| b == b'\n').unwrap_or(data.len()));
    let sig = String::from_utf8_lossy(sig);
    let _ = tower_authy::fuzzing::verify_json_callback(rest, &sig);
    let _ = tower_authy::fuzzing::verify_query_callback(&String::from_utf8_lossy(rest), &sig);
}

/// Reading the uuid, authy_id and status out of callback bodies and query strings.
pub(crate) fn callback_parse(data: &[u8]) {
    let _ = tower_authy::fuzzing::parse_callback(data, &String::from_utf8_lossy(data));
}

/// Token validation: whatever is accepted is 6 to 12 ASCII digits.
pub(crate) fn token_parse(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if tower_authy::secret::Token::parse(s).is_ok() {
        let digits: String = s.chars().filter(|c| *c != ' ').collect();
        let digits = digits.trim();
        assert!(
            (6..=12).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()),
            "{s:?}"
        );
    }
}

/// The return_to validator: whatever it accepts stays on this origin.
pub(crate) fn return_to(data: &[u8]) {
    let Ok(s) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(ok) = tower_authy::fuzzing::safe_return_to(s) {
        assert!(
            ok.starts_with('/') && !ok.starts_with("//") && !ok.contains('\\'),
            "{ok:?}"
        );
        assert!(!ok.bytes().any(|b| b.is_ascii_control()), "{ok:?}");
    }
}

/// The client's decoding of Authy answers: any status, any bytes; only a 200 JSON object passes.
pub(crate) fn authy_response(data: &[u8]) {
    let (status, body) = match data {
        [a, b, rest @ ..] => (u16::from_be_bytes([*a, *b]) % 600, rest),
        _ => (200, data),
    };
    if let Ok(v) = tower_authy::fuzzing::decode_authy_response(status, body) {
        assert_eq!(status, 200);
        assert!(v.is_object());
    }
}

/// mock-authy's request reading: paths, query strings, form (Rails brackets) and JSON bodies.
pub(crate) fn mock_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = mock_authy::fuzzing::route_path(&text);
    let (query, body) = text.split_once('\n').unwrap_or((&text, ""));
    let _ = mock_authy::fuzzing::parse_params(
        query,
        "application/x-www-form-urlencoded",
        body.as_bytes(),
    );
    let _ = mock_authy::fuzzing::parse_params(query, "application/json", body.as_bytes());
    // The first line as "country_code number": whatever is kept is a possible E.164 number.
    let (cc, number) = query.split_once(' ').unwrap_or(("1", query));
    if let Some(national) = mock_authy::fuzzing::phone_number(cc, number) {
        assert!(national.bytes().all(|b| b.is_ascii_digit()), "{national:?}");
        assert!((4..=15).contains(&national.len()), "{national:?}");
    }
}

/// Recovery codes and remembered-device cookies, as a login reads them: a code accepted is 16
/// characters of Crockford's base32 and reads back the same; a cookie is accepted only if it is
/// exactly the one the key signed for that device and expiry.
pub(crate) fn second_factor_inputs(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    if let Some(shown) = tower_authy::fuzzing::recovery_code(&text) {
        assert_eq!(shown.len(), 19, "{shown:?}");
        assert!(
            shown
                .bytes()
                .all(|b| b == b'-' || b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
            "{shown:?}"
        );
        assert_eq!(
            tower_authy::fuzzing::recovery_code(&shown).as_deref(),
            Some(shown.as_str())
        );
    }
    if let Some(device) = tower_authy::fuzzing::remembered_device(&text) {
        // Cookie parsers trim the white space around a value (RFC 6265 5.2), so compare the
        // pair as a browser would send it: name and value trimmed.
        let genuine = text.split(';').any(|pair| {
            let Some((name, value)) = pair.split_once('=') else {
                return false;
            };
            let pair = format!("{}={}", name.trim(), value.trim());
            let expires = pair.split('.').nth(2).and_then(|e| e.parse::<i64>().ok());
            expires.is_some_and(|e| pair == tower_authy::fuzzing::remember_cookie(&device, e))
        });
        assert!(genuine, "a forged cookie was accepted: {text:?}");
    }
    if let Some(device) = tower_authy::fuzzing::known_device(&text) {
        // The device cookie (OWASP's): the same, with its own shape (`<id>.<expiry>.<tag>`).
        let genuine = text.split(';').any(|pair| {
            let Some((name, value)) = pair.split_once('=') else {
                return false;
            };
            let pair = format!("{}={}", name.trim(), value.trim());
            let expires = pair.split('.').nth(1).and_then(|e| e.parse::<i64>().ok());
            expires.is_some_and(|e| pair == tower_authy::fuzzing::known_cookie(&device, e))
        });
        assert!(genuine, "a forged device cookie was accepted: {text:?}");
    }
}

/// A target's check.
pub(crate) type Check = fn(&[u8]);

/// Every target by name, for the replay test.
/// A Verify webhook body, as the callback route reads it once signed: a push answer names a
/// challenge sid, one of tower-authy's entities, and says approved or denied, nothing else.
pub(crate) fn verify_webhook(data: &[u8]) {
    if let Some((challenge, subject, _)) = tower_authy::fuzzing::parse_verify_webhook(data) {
        assert!(
            challenge.starts_with("YC") && challenge.len() <= 64,
            "{challenge:?}"
        );
        // The identity named is the subject's one canonical spelling.
        let identity = format!("ta-{subject:016x}");
        let named = form_urlencoded::parse(data)
            .find(|(k, _)| k == "entity_identity")
            .is_some_and(|(_, v)| v == identity.as_str());
        assert!(named, "subject {subject} not named canonically by {data:?}");
    }
}

/// Twilio's signature canonicaliser: the first line is the URL, the rest a form body. The
/// canonical string starts with the URL, does not depend on the parameters' order, and a body
/// signed under a key verifies under that key only.
pub(crate) fn twilio_signature(data: &[u8]) {
    use hmac::Mac;
    let split = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let url = String::from_utf8_lossy(&data[..split]).into_owned();
    let body = data.get(split + 1..).unwrap_or_default();
    let canonical = tower_authy::fuzzing::twilio_canonical(&url, body);
    assert!(canonical.starts_with(&url));
    let mut pairs: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    pairs.reverse();
    let reordered = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(&pairs)
        .finish();
    assert_eq!(
        tower_authy::fuzzing::twilio_canonical(&url, reordered.as_bytes()),
        canonical,
        "order matters"
    );
    let mut mac = hmac::Hmac::<sha1::Sha1>::new_from_slice(b"fuzz-token").unwrap();
    mac.update(canonical.as_bytes());
    let sig = data_encoding::BASE64.encode(&mac.finalize().into_bytes());
    assert!(tower_authy::fuzzing::verify_twilio_signature(
        b"fuzz-token",
        &url,
        body,
        &sig
    ));
    assert!(!tower_authy::fuzzing::verify_twilio_signature(
        b"other-token",
        &url,
        body,
        &sig
    ));
}

/// Passkey answers (credential JSON, client data, authenticator data, signatures): nothing
/// that the credential's key did not sign is accepted, and nothing panics.
pub(crate) fn passkey_answers(data: &[u8]) {
    assert!(
        !tower_authy::fuzzing::passkey_answers(data),
        "an unsigned passkey answer was accepted: {data:?}"
    );
}

pub(crate) const TARGETS: [(&str, Check); 10] = [
    ("verify_webhook", verify_webhook),
    ("twilio_signature", twilio_signature),
    ("callback_verify", callback_verify),
    ("callback_parse", callback_parse),
    ("token_parse", token_parse),
    ("return_to", return_to),
    ("authy_response", authy_response),
    ("mock_request", mock_request),
    ("second_factor_inputs", second_factor_inputs),
    ("passkey_answers", passkey_answers),
];
