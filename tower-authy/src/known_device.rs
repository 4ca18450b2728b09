//! OWASP's device cookie: a browser that completed a login for an account before keeps its own
//! allowance of password guesses, so that strangers who lock the account by guessing its
//! password elsewhere do not lock its owner out.
//!
//! After every login completed with both factors, the browser gets a signed, HttpOnly cookie
//! naming a random device and an expiry under an HMAC-SHA256 that also covers the account's
//! login name. A password attempt for that login name from a browser presenting a genuine,
//! unexpired cookie counts against that device alone (`pw-device:<id>`), not against the login
//! name or the client address; every other attempt keeps the usual limits. The cookie is
//! distinct from "remember this device": it never skips a factor, it only tells the throttle
//! whose browser this is.

use crate::store::remember::RememberKey;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, header};
use sha2::Sha256;
use tower_sessions::cookie;

/// The signing key and lifetime of the device cookie.
#[derive(Debug, Clone)]
pub(crate) struct KnownDevices {
    pub(crate) key: RememberKey,
    pub(crate) days: u32,
}

fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-tower-authy-known"
    } else {
        "tower-authy-known"
    }
}

fn mac(key: &RememberKey, login: &str, device_id: &str, expires: i64) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    mac.update(b"tower-authy known device v1\0");
    for part in [&login.to_lowercase(), device_id, &expires.to_string()] {
        mac.update(part.as_bytes());
        mac.update(b"\0");
    }
    mac
}

/// The `Set-Cookie` value that marks this browser as one that logged in as `login`.
pub(crate) fn cookie(k: &KnownDevices, secure: bool, login: &str, now: i64) -> HeaderValue {
    let max_age = i64::from(k.days) * 86_400;
    cookie_for(
        k,
        secure,
        login,
        &crate::random::id(),
        now + max_age,
        max_age,
    )
}

/// The `Set-Cookie` value for device `device_id` of `login`, valid until `expires`.
pub(crate) fn cookie_for(
    k: &KnownDevices,
    secure: bool,
    login: &str,
    device_id: &str,
    expires: i64,
    max_age: i64,
) -> HeaderValue {
    let tag = mac(&k.key, login, device_id, expires)
        .finalize()
        .into_bytes();
    let value = format!(
        "{device_id}.{expires}.{}",
        data_encoding::BASE64URL_NOPAD.encode(&tag)
    );
    let same_site = cookie::SameSite::Strict;
    set_cookie(cookie_name(secure), value, max_age, same_site, secure)
}

/// The device id in the request's cookie, if it is genuine, for `login`, and not expired.
pub(crate) fn device(
    k: &KnownDevices,
    secure: bool,
    headers: &HeaderMap,
    login: &str,
    now: i64,
) -> Option<String> {
    let value = request_cookie(headers, cookie_name(secure))?;
    let mut parts = value.split('.');
    let (device_id, expires, tag) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let expires: i64 = canonical_number(expires)?;
    let tag = data_encoding::BASE64URL_NOPAD.decode(tag.as_bytes()).ok()?;
    // `verify_slice` compares in constant time.
    mac(&k.key, login, device_id, expires)
        .verify_slice(&tag)
        .ok()?;
    (now < expires).then(|| device_id.to_owned())
}

/// The `Set-Cookie` value of one of tower-authy's signed cookies (this one and the device
/// cookie): `HttpOnly`, the whole site, `Secure` unless plain HTTP is allowed.
pub(crate) fn set_cookie(
    name: &'static str,
    value: String,
    max_age: i64,
    same_site: cookie::SameSite,
    secure: bool,
) -> HeaderValue {
    let set = cookie::Cookie::build((name, value))
        .path("/")
        .max_age(cookie::time::Duration::seconds(max_age))
        .http_only(true)
        .same_site(same_site)
        .secure(secure)
        .build();
    HeaderValue::from_str(&set.to_string()).expect("ids, digits and base64 make a valid header")
}

/// The value of the request's cookie `name`, as a cookie parser reads it.
pub(crate) fn request_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
}

/// A number in a signed value, in its one canonical spelling only: `01000` or `+1000` would be
/// another spelling of the value that was signed.
pub(crate) fn canonical_number<T: std::str::FromStr + ToString>(raw: &str) -> Option<T> {
    let n: T = raw.parse().ok()?;
    (n.to_string() == raw).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::header;

    fn known() -> KnownDevices {
        KnownDevices {
            key: RememberKey::from_bytes([3; 32]),
            days: 1,
        }
    }

    fn presented(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(pair).unwrap());
        h
    }

    #[test]
    fn a_cookie_counts_for_its_login_until_it_expires_and_cannot_be_edited() {
        let k = known();
        let set = cookie(&k, true, "Ada@Example.com", 1000);
        let h = presented(&set);
        let id = device(&k, true, &h, "ada@example.com", 1000).unwrap();
        assert_eq!(id.len(), 22);
        assert!(
            set.to_str()
                .unwrap()
                .starts_with("__Host-tower-authy-known=")
        );
        assert_eq!(device(&k, true, &h, "bob@example.com", 1000), None);
        assert_eq!(device(&k, true, &h, "ada@example.com", 1000 + 86_400), None);
        assert_eq!(device(&k, false, &h, "ada@example.com", 1000), None);
        let other = KnownDevices {
            key: RememberKey::from_bytes([4; 32]),
            days: 1,
        };
        assert_eq!(device(&other, true, &h, "ada@example.com", 1000), None);
        // Stretching the expiry breaks the signature.
        let pair = set.to_str().unwrap().split(';').next().unwrap();
        let stretched = pair.replace(".87400.", ".99999999.");
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_str(&stretched).unwrap());
        assert_eq!(device(&k, true, &h, "ada@example.com", 1000), None);
    }
}
