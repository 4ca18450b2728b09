//! Twilio's `X-Twilio-Signature` (authy-api.md D.4): base64 of HMAC-SHA1 under the account's
//! auth token over the webhook URL, then each distinct parameter name in sorted order followed
//! by each of its distinct values in sorted order, as Twilio's own request validators build it.
//! The URL is the one configured, never rebuilt from `Host`; the comparison is
//! `Mac::verify_slice`, which is constant-time.

use hmac::{Hmac, Mac};
use std::collections::{BTreeMap, BTreeSet};

/// The string Twilio signs: `url`, then `name value` pairs, sorted and de-duplicated.
pub(crate) fn canonical(url: &str, params: &[(String, String)]) -> String {
    let mut sorted: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for (k, v) in params {
        sorted.entry(k).or_default().insert(v);
    }
    let mut out = url.to_owned();
    for (k, values) in sorted {
        for v in values {
            out.push_str(k);
            out.push_str(v);
        }
    }
    out
}

/// The URL as configured, and with its scheme's default port written out or left out: Twilio
/// signs either form ("signature generation on the back end is inconsistent", its validators
/// say), so they accept both.
fn url_forms(url: &str) -> Vec<String> {
    let mut forms = vec![url.to_owned()];
    if let Ok(mut u) = url::Url::parse(url) {
        let other = match u.port() {
            Some(_) => u.set_port(None).ok().map(|()| u.to_string()),
            None => u
                .port_or_known_default()
                .and_then(|p| u.set_port(Some(p)).ok().map(|()| u.to_string())),
        };
        // `Url` writes a default port only when told to keep it; build that form by hand.
        if let Some(other) = other.filter(|o| o != url) {
            forms.push(other);
        } else if u.port().is_none() {
            if let (Some(host), Some(port)) = (u.host_str(), u.port_or_known_default()) {
                let authority = format!("{host}:{port}");
                forms.push(url.replacen(host, &authority, 1));
            }
        }
    }
    forms
}

/// Whether `signature` (base64) is Twilio's signature of `url` and `params` under `auth_token`.
pub(crate) fn verify(
    auth_token: &[u8],
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = data_encoding::BASE64.decode(signature.trim().as_bytes()) else {
        return false;
    };
    url_forms(url).iter().any(|form| {
        let mut mac =
            Hmac::<sha1::Sha1>::new_from_slice(auth_token).expect("HMAC takes any key length");
        mac.update(canonical(form, params).as_bytes());
        mac.verify_slice(&given).is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    /// The worked example of Twilio's security documentation: auth token `12345`, this URL and
    /// these parameters sign to `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`.
    #[test]
    fn twilios_documented_example() {
        let params = pairs(&[
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+12349013030"),
            ("Digits", "1234"),
            ("From", "+12349013030"),
            ("To", "+18005551212"),
        ]);
        let url = "https://mycompany.com/myapp.php?foo=1&bar=2";
        assert_eq!(
            canonical(url, &params),
            "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212"
        );
        assert!(verify(
            b"12345",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(
            b"12346",
            url,
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(
            b"12345",
            "https://mycompany.com/myapp.php",
            &params,
            "0/KCTR6DLpKmkAf8muzZqo1nDgQ="
        ));
        assert!(!verify(b"12345", url, &params, "not base64!"));
    }

    #[test]
    fn the_default_port_may_be_written_or_not() {
        assert_eq!(
            url_forms("https://app.example/authy/callback"),
            [
                "https://app.example/authy/callback",
                "https://app.example:443/authy/callback"
            ]
        );
        assert_eq!(
            url_forms("https://app.example:443/authy/callback"),
            [
                "https://app.example:443/authy/callback",
                "https://app.example/authy/callback"
            ]
        );
        assert_eq!(
            url_forms("http://127.0.0.1:8080/authy/callback"),
            [
                "http://127.0.0.1:8080/authy/callback",
                "http://127.0.0.1/authy/callback"
            ]
        );
    }

    #[test]
    fn names_sort_then_values_and_duplicates_count_once() {
        let params = pairs(&[("b", "2"), ("a", "z"), ("a", "y"), ("b", "2")]);
        assert_eq!(canonical("u", &params), "uaya".to_owned() + "zb2");
    }
}
