//! Checking `X-Authy-Signature` on OneTouch callbacks (authy-api.md B.2).
//!
//! The signed string is `nonce|METHOD|url|params`, where `url` is the callback URL as configured
//! (never rebuilt from `Host` or `X-Forwarded-*`), and `params` is the body flattened Rails-style
//! (`a[b]`, `a[0]`), sorted by the indexed key, with indices then dropped (`a[]`), and
//! form-encoded. The comparison is `Mac::verify_slice`, which is constant-time.
//!
//! The canonicaliser is written by hand on purpose: it must reproduce Ruby's `to_query`
//! flattening and `CGI.escape` byte for byte (space as `+`, `~` escaped, sort before index
//! removal), which no general-purpose URL-encoding crate does. The known-answer vectors in
//! `tests/vectors/` and the fuzz targets hold it to that.

use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

/// What was signed: a POST's JSON body or a GET's query string.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signed<'a> {
    Json(&'a Value),
    Query(&'a str),
}

/// Leaves of a JSON document as (indexed key, value text). Empty objects and arrays give none.
fn leaves(root: &Value) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut stack: Vec<(String, &Value)> = vec![(String::new(), root)];
    while let Some((key, value)) = stack.pop() {
        let child = |k: &str| {
            if key.is_empty() {
                k.to_owned()
            } else {
                format!("{key}[{k}]")
            }
        };
        match value {
            Value::Object(map) => stack.extend(map.iter().map(|(k, v)| (child(k), v))),
            Value::Array(items) => stack.extend(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (format!("{key}[{i}]"), v)),
            ),
            Value::Null => out.push((key, String::new())),
            Value::Bool(b) => out.push((key, if *b { "true" } else { "false" }.to_owned())),
            Value::Number(n) => out.push((key, n.to_string())),
            Value::String(s) => out.push((key, s.clone())),
        }
    }
    out
}

fn push_encoded(out: &mut String, text: &str) {
    for &b in text.as_bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
}

/// Drops the digits inside `[123]`, leaving `[]`.
fn unindexed(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut chars = key.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        out.push(c);
        if c != '[' {
            continue;
        }
        let rest = &key[i + 1..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && rest.as_bytes().get(digits) == Some(&b']') {
            for _ in 0..digits {
                chars.next();
            }
        }
    }
    out
}

pub(crate) fn canonical(signed: Signed<'_>) -> String {
    let mut pairs = match signed {
        Signed::Json(v) => leaves(v),
        Signed::Query(q) => form_urlencoded::parse(q.as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect(),
    };
    // Stable, by bytes of the indexed key: array elements stay grouped (`a[0][x], a[0][y], a[1][x]`).
    pairs.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let mut out = String::new();
    for (k, v) in &pairs {
        if !out.is_empty() {
            out.push('&');
        }
        push_encoded(&mut out, &unindexed(k));
        out.push('=');
        push_encoded(&mut out, v);
    }
    out
}

/// True when `signature` (the header, base64) is the HMAC-SHA256 of the request under `key`.
pub(crate) fn verify(
    key: &[u8],
    nonce: &str,
    method: &str,
    url: &str,
    signed: Signed<'_>,
    signature: &str,
) -> bool {
    let Ok(given) = data_encoding::BASE64.decode(signature.trim().as_bytes()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return false;
    };
    mac.update(format!("{nonce}|{method}|{url}|").as_bytes());
    mac.update(canonical(signed).as_bytes());
    mac.verify_slice(&given).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn worked_example_from_the_notes() {
        let body = json!({"message":"x","logos":[{"res":"default","url":"https://a/b.png"},{"res":"med","url":"https://a/b.png"}],"flag":true,"n":null,"empty":{},"arr":["pin","fingerprint"]});
        assert_eq!(
            canonical(Signed::Json(&body)),
            "arr%5B%5D=pin&arr%5B%5D=fingerprint&flag=true&logos%5B%5D%5Bres%5D=default&logos%5B%5D%5Burl%5D=https%3A%2F%2Fa%2Fb.png&logos%5B%5D%5Bres%5D=med&logos%5B%5D%5Burl%5D=https%3A%2F%2Fa%2Fb.png&message=x&n="
        );
    }

    #[test]
    fn unindexed_only_touches_digit_brackets() {
        assert_eq!(unindexed("a[0][b][10]"), "a[][b][]");
        assert_eq!(unindexed("a[x1]"), "a[x1]");
        assert_eq!(unindexed("a[1"), "a[1");
        assert_eq!(unindexed("é[3]"), "é[]");
    }

    #[test]
    fn garbage_signatures_are_simply_false() {
        let body = json!({"a": 1});
        for sig in ["", "not base64!", "AAAA", &"A".repeat(10_000)] {
            assert!(!verify(
                b"k",
                "1",
                "POST",
                "https://x/",
                Signed::Json(&body),
                sig
            ));
        }
    }
}
