//! The `X-Authy-Signature` that Authy puts on OneTouch callbacks.
//!
//! ```text
//! string_to_sign = NONCE "|" METHOD "|" URL "|" CANONICAL_PARAMS
//! signature      = base64(HMAC-SHA256(api_key, string_to_sign))
//! ```
//!
//! CANONICAL_PARAMS flattens the JSON body into `parent[child]` / `parent[i]` keys (empty objects
//! and arrays vanish, `null` becomes the empty string), sorts by the *indexed* key, then drops the
//! indices (`logos[0][res]` → `logos[][res]`) and form-encodes each pair. This is ActiveSupport's
//! `Hash#to_query`, which is what Authy's own back end (Rails) produces.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// Flattens a JSON value into `(indexed key, value)` leaves.
fn flatten(prefix: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                let key = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}[{k}]")
                };
                flatten(&key, v, out);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten(&format!("{prefix}[{i}]"), v, out);
            }
        }
        Value::Null => out.push((prefix.to_owned(), String::new())),
        Value::Bool(b) => out.push((prefix.to_owned(), b.to_string())),
        Value::Number(n) => out.push((prefix.to_owned(), n.to_string())),
        Value::String(s) => out.push((prefix.to_owned(), s.clone())),
    }
}

/// Replaces every `[digits]` with `[]`.
fn strip_indices(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut rest = key;
    while let Some(open) = rest.find('[') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find(']') {
            Some(close) if after[..close].bytes().all(|b| b.is_ascii_digit()) => {
                out.push_str("[]");
                rest = &after[close + 1..];
            }
            _ => {
                out.push('[');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `application/x-www-form-urlencoded`, keeping only `A-Z a-z 0-9 - _ . ~` and turning spaces
/// into `+` (Ruby's `CGI.escape`).
pub(crate) fn form_encode(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
}

/// Canonical parameter string from `(indexed key, value)` pairs.
fn canonical_pairs(mut pairs: Vec<(String, String)>) -> String {
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        form_encode(&strip_indices(k), &mut out);
        out.push('=');
        form_encode(v, &mut out);
    }
    out
}

/// Canonical parameter string of a JSON callback body.
pub fn canonical_json(body: &Value) -> String {
    let mut pairs = Vec::new();
    flatten("", body, &mut pairs);
    canonical_pairs(pairs)
}

/// Canonical parameter string of a GET callback's query string.
pub fn canonical_query(query: &str) -> String {
    let pairs = form_urlencoded::parse(query.as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    canonical_pairs(pairs)
}

/// Signs a callback: base64 of HMAC-SHA256 over `nonce|method|url|params`.
pub fn sign(api_key: &str, nonce: &str, method: &str, url: &str, canonical_params: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(api_key.as_bytes()).expect("HMAC accepts any key length");
    for part in [nonce, "|", method, "|", url, "|", canonical_params] {
        mac.update(part.as_bytes());
    }
    data_encoding::BASE64.encode(&mac.finalize().into_bytes())
}

/// Twilio's `X-Twilio-Signature` on a form-encoded webhook: base64(HMAC-SHA1(auth token, the
/// URL followed by each distinct parameter name in order, each followed by its distinct values
/// in order)), as Twilio's request validators compute it.
pub fn twilio(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    let mut sorted: std::collections::BTreeMap<&str, std::collections::BTreeSet<&str>> =
        std::collections::BTreeMap::new();
    for (k, v) in params {
        sorted.entry(k).or_default().insert(v);
    }
    let mut mac =
        Hmac::<sha1::Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key");
    mac.update(url.as_bytes());
    for (k, values) in sorted {
        for v in values {
            mac.update(k.as_bytes());
            mac.update(v.as_bytes());
        }
    }
    data_encoding::BASE64.encode(&mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_rule_of_the_worked_example() {
        let body = json!({"message":"x","logos":[{"res":"default","url":"https://a/b.png"},{"res":"med","url":"https://a/b.png"}],"flag":true,"n":null,"empty":{},"arr":["pin","fingerprint"]});
        assert_eq!(
            canonical_json(&body),
            "arr%5B%5D=pin&arr%5B%5D=fingerprint&flag=true&logos%5B%5D%5Bres%5D=default&logos%5B%5D%5Burl%5D=https%3A%2F%2Fa%2Fb.png&logos%5B%5D%5Bres%5D=med&logos%5B%5D%5Burl%5D=https%3A%2F%2Fa%2Fb.png&message=x&n="
        );
    }

    #[test]
    fn worked_example_of_vector_one() {
        let body = json!({"foo": {"bar": {"biz": "foo"}}, "qux": "net"});
        let canon = canonical_json(&body);
        assert_eq!(canon, "foo%5Bbar%5D%5Bbiz%5D=foo&qux=net");
        assert_eq!(
            sign("foo", "1455825429", "POST", "https://foo.bar/", &canon),
            "uq/wB8AR1Acvn0wFcjm7mmBJyR11nuuMhMy6semsAO8="
        );
    }

    #[test]
    fn strip_indices_leaves_other_brackets() {
        assert_eq!(strip_indices("a[0][b][12]"), "a[][b][]");
        assert_eq!(strip_indices("a[x][0"), "a[x][0");
        assert_eq!(strip_indices("a[]"), "a[]");
    }
}
