//! The signer against every known-answer vector in `tests/vectors/` (from shared/vectors).

#![allow(clippy::unwrap_used)]

use mock_authy::signature::{canonical_json, canonical_query, sign};
use serde_json::Value;

fn vectors() -> Vec<Value> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../tests/vectors/onetouch-callback-signatures.json"
    );
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    doc["vectors"].as_array().unwrap().clone()
}

fn signature_of(v: &Value, payload: &str) -> String {
    let method = v["method"].as_str().unwrap();
    let canonical = match method {
        "POST" => canonical_json(&serde_json::from_str(payload).unwrap()),
        _ => canonical_query(payload),
    };
    sign(
        v["api_key"].as_str().unwrap(),
        v["nonce"].as_str().unwrap(),
        method,
        v["url"].as_str().unwrap(),
        &canonical,
    )
}

#[test]
fn reproduces_all_ten_vectors() {
    let vectors = vectors();
    assert_eq!(vectors.len(), 10);
    for v in &vectors {
        let payload = v["body"].as_str().or(v["query"].as_str()).unwrap();
        assert_eq!(
            signature_of(v, payload),
            v["signature"].as_str().unwrap(),
            "{}",
            v["name"]
        );
    }
}

#[test]
fn changing_one_value_byte_changes_the_signature() {
    for v in vectors() {
        let payload = v["body"].as_str().or(v["query"].as_str()).unwrap();
        // Flip the first letter of the status (or the vector's last value byte).
        let at = payload
            .find("approved")
            .or_else(|| payload.find("denied"))
            .or_else(|| payload.rfind("net"))
            .unwrap();
        let mut tampered = payload.as_bytes().to_vec();
        tampered[at] = tampered[at].to_ascii_uppercase();
        let tampered = String::from_utf8(tampered).unwrap();
        assert_ne!(
            signature_of(&v, &tampered),
            v["signature"].as_str().unwrap(),
            "{}",
            v["name"]
        );
    }
}
