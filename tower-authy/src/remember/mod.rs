//! "Remember this device": after a login that proved both factors with the box ticked, the
//! browser gets a signed, HttpOnly cookie, and for N days the password alone logs that user in
//! from that browser.
//!
//! The cookie holds a random device id, the user's credential epoch and an expiry, under an
//! HMAC-SHA256 with the application's key that also covers the user id: it cannot be forged,
//! moved to another user, or stretched. It counts only while the epoch is still the user's
//! (the application bumps it on a password change, a second-factor reset, "log out
//! everywhere") and while the device store still lists it: a user sees their devices and
//! forgets them, and only the newest few per user are kept.

//!
//! The store's contract and the settings live with the other stores, in `store`; `routes`
//! holds the devices page, `pages` what it shows.

pub(crate) mod pages;
pub(crate) mod routes;

#[cfg(feature = "memory-store")]
pub use crate::store::remember::MemoryDeviceStore;
pub(crate) use crate::store::remember::Remembering;
pub use crate::store::remember::{DeviceStore, RememberDevice, RememberKey, RememberedDevice};

use crate::known_device::{canonical_number, request_cookie, set_cookie};
use crate::store::StoreError;
use hmac::{Hmac, Mac};
use http::{HeaderMap, HeaderValue, header};
use sha2::Sha256;

/// A genuine device cookie, as presented.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Presented {
    pub(crate) device_id: String,
    pub(crate) epoch: u64,
    pub(crate) expires: i64,
    /// Signed with one of the previous keys: to be signed again with the current one.
    pub(crate) by_previous_key: bool,
}

/// The cookie's name: `__Host-` (HTTPS only, this host, path `/`) unless HTTP is allowed.
pub(crate) fn cookie_name(secure: bool) -> &'static str {
    if secure {
        "__Host-tower-authy-device"
    } else {
        "tower-authy-device"
    }
}

fn mac(
    key: &RememberKey,
    user_id: &str,
    device_id: &str,
    epoch: u64,
    expires: i64,
) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    mac.update(b"tower-authy remembered device v1\0");
    for part in [user_id, device_id, &epoch.to_string(), &expires.to_string()] {
        mac.update(part.as_bytes());
        mac.update(b"\0");
    }
    mac
}

/// The `Set-Cookie` value that remembers `device_id` for `user_id` at `epoch` until `expires`.
pub(crate) fn cookie(
    r: &Remembering,
    secure: bool,
    user_id: &str,
    device_id: &str,
    epoch: u64,
    expires: i64,
    max_age: i64,
) -> HeaderValue {
    let tag = mac(&r.key, user_id, device_id, epoch, expires)
        .finalize()
        .into_bytes();
    let value = format!(
        "{device_id}.{epoch}.{expires}.{}",
        data_encoding::BASE64URL_NOPAD.encode(&tag)
    );
    let same_site = cookie::SameSite::Lax;
    set_cookie(cookie_name(secure), value, max_age, same_site, secure)
}

/// The device in the request's cookie, if the cookie is genuine (signed with the current key
/// or a previous one), for this user, at their current epoch and not expired. The store is
/// not asked (see [`recognised`]).
pub(crate) fn device_in_cookie(
    r: &Remembering,
    secure: bool,
    headers: &HeaderMap,
    user: &crate::UserRecord,
    now: i64,
) -> Option<Presented> {
    let value = request_cookie(headers, cookie_name(secure))?;
    let mut parts = value.split('.');
    let (device_id, epoch, expires, tag) =
        (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let epoch: u64 = canonical_number(epoch)?;
    let expires: i64 = canonical_number(expires)?;
    let tag = data_encoding::BASE64URL_NOPAD.decode(tag.as_bytes()).ok()?;
    // `verify_slice` compares in constant time; every key is tried, so the time does not
    // tell which one signed it.
    let signed_by: Vec<bool> = std::iter::once(&r.key)
        .chain(&r.previous)
        .map(|key| {
            mac(key, &user.id, device_id, epoch, expires)
                .verify_slice(&tag)
                .is_ok()
        })
        .collect();
    let by_previous_key = signed_by.iter().position(|&ok| ok)? > 0;
    (epoch == user.credential_epoch && now < expires).then(|| Presented {
        device_id: device_id.to_owned(),
        epoch,
        expires,
        by_previous_key,
    })
}

/// The device this request comes from, if `user` asked to be remembered on it and it is still
/// listed.
pub(crate) async fn recognised(
    r: &Remembering,
    secure: bool,
    headers: &HeaderMap,
    user: &crate::UserRecord,
    now: i64,
) -> Result<Option<Presented>, StoreError> {
    let Some(presented) = device_in_cookie(r, secure, headers, user, now) else {
        return Ok(None);
    };
    let listed = r.store.devices(&user.id, now).await?;
    Ok(listed
        .iter()
        .any(|d| d.id == presented.device_id)
        .then_some(presented))
}

/// What the browser calls itself, cut to 80 characters, for the device list.
pub(crate) fn label(headers: &HeaderMap) -> String {
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("Unknown browser");
    agent.chars().take(80).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn remembering() -> Remembering {
        Remembering {
            settings: RememberDevice::default(),
            key: RememberKey::from_bytes([7; 32]),
            previous: Vec::new(),
            store: Arc::new(MemoryDeviceStore::new()),
        }
    }

    fn user(id: &str, epoch: u64) -> crate::UserRecord {
        crate::UserRecord {
            id: id.into(),
            login: "ada@example.com".into(),
            credential_epoch: epoch,
        }
    }

    fn presented(set_cookie: &HeaderValue) -> HeaderMap {
        let pair = set_cookie.to_str().unwrap().split(';').next().unwrap();
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_str(&format!("other=1; {pair}")).unwrap(),
        );
        h
    }

    #[test]
    fn a_cookie_counts_for_its_user_epoch_and_time_only() {
        let r = remembering();
        let set = cookie(&r, true, "u1", "dev1", 3, 1000, 60);
        let s = set.to_str().unwrap();
        assert!(
            s.starts_with("__Host-tower-authy-device=dev1.3.1000."),
            "{s}"
        );
        assert!(s.contains("HttpOnly") && s.contains("SameSite=Lax") && s.contains("Secure"));
        let h = presented(&set);
        assert_eq!(
            device_in_cookie(&r, true, &h, &user("u1", 3), 999).map(|p| p.device_id),
            Some("dev1".to_owned())
        );
        for (secure, who, epoch, now, why) in [
            (true, "u2", 3, 999, "another user"),
            (true, "u1", 4, 999, "epoch bumped"),
            (true, "u1", 3, 1000, "expired"),
            (false, "u1", 3, 999, "other cookie name"),
        ] {
            let found = device_in_cookie(&r, secure, &h, &user(who, epoch), now);
            assert_eq!(found, None, "{why}");
        }
        let other_key = Remembering {
            key: RememberKey::from_bytes([8; 32]),
            ..remembering()
        };
        assert_eq!(
            device_in_cookie(&other_key, true, &h, &user("u1", 3), 999),
            None
        );
    }

    #[test]
    fn after_a_key_rotation_old_cookies_count_and_are_marked_for_signing_again() {
        let old = remembering();
        let h = presented(&cookie(&old, true, "u1", "dev1", 3, 1000, 60));
        let rotated = Remembering {
            key: RememberKey::from_bytes([8; 32]),
            previous: vec![RememberKey::from_bytes([7; 32])],
            ..remembering()
        };
        let found = device_in_cookie(&rotated, true, &h, &user("u1", 3), 999).unwrap();
        assert_eq!(
            (found.device_id.as_str(), found.epoch, found.expires),
            ("dev1", 3, 1000)
        );
        assert!(found.by_previous_key);
        // Signed again with the new key, it counts as the new key's own.
        let again = presented(&cookie(&rotated, true, "u1", "dev1", 3, 1000, 60));
        let found = device_in_cookie(&rotated, true, &again, &user("u1", 3), 999).unwrap();
        assert!(!found.by_previous_key);
        // Once the old key is dropped, its cookies count for nothing.
        let dropped = Remembering {
            previous: Vec::new(),
            ..rotated
        };
        assert_eq!(
            device_in_cookie(&dropped, true, &h, &user("u1", 3), 999),
            None
        );
    }

    #[test]
    fn a_tampered_cookie_counts_for_nothing() {
        let r = remembering();
        let set = cookie(&r, false, "u1", "dev1", 0, 1000, 60);
        let pair = set.to_str().unwrap().split(';').next().unwrap().to_owned();
        for forged in [
            pair.replace(".1000.", ".9999."),
            pair.replace("dev1.", "dev2."),
            pair.replace("dev1.0.", "dev1.1."),
            pair.replace(".1000.", ".01000."),
            pair.replace(".1000.", ".+1000."),
            pair.replace("dev1.0.", "dev1.00."),
            format!("{pair}x"),
            format!("{pair}.extra"),
            "tower-authy-device=dev1.0.1000.".to_owned(),
        ] {
            let mut h = HeaderMap::new();
            h.insert(header::COOKIE, HeaderValue::from_str(&forged).unwrap());
            assert_eq!(
                device_in_cookie(&r, false, &h, &user("u1", 0), 1),
                None,
                "{forged}"
            );
        }
        assert_eq!(format!("{:?}", r.key), "RememberKey(..)");
    }
}
