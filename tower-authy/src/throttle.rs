//! The first-factor throttle: wrong passwords per login name and per client address, counted in
//! the challenge store before the password is checked.
//!
//! Invariants kept here:
//! - a throttled attempt never reaches the [`UserStore`](crate::UserStore), so it neither costs
//!   a password hash nor sends a push, and it gets the wrong-password answer after about as long
//!   as a password check takes;
//! - only failures add up: a right password hands its counts back;
//! - `X-Forwarded-For` is read only behind the configured number of trusted proxies.

use crate::config::Shared;
use crate::store::StoreError;
use futures_util::future::try_join_all;
use http::HeaderMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::time::Instant;

/// The address a request comes from, as a throttle key: IPv4 as is, IPv6 by its /64 (one
/// subscriber usually holds a whole /64).
///
/// With `trusted_proxies` = 0 that is the peer; otherwise the entry that many hops from the
/// right of `X-Forwarded-For` followed by the peer, since each trusted proxy appends what it
/// saw and anything further left was written by the client. `None` when nothing is known.
pub(crate) fn client_address(
    headers: &HeaderMap,
    peer: Option<SocketAddr>,
    trusted_proxies: usize,
    login_throttle: &crate::limits::LoginThrottle,
) -> Option<String> {
    let peer_ip = peer.map(|p| p.ip());
    let ip = if trusted_proxies == 0 {
        peer_ip?
    } else {
        let mut chain: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect();
        let peer = peer_ip.map(|p| p.to_string());
        if let Some(p) = &peer {
            chain.push(p);
        }
        // The entry written by the outermost trusted proxy; a shorter chain means the request
        // did not come through all of them, and its leftmost entry is the best we have. One
        // that does not parse counts as the peer: a garbled header never switches the
        // per-address throttle off.
        let i = chain.len().saturating_sub(trusted_proxies + 1);
        match chain.get(i).and_then(|e| e.parse::<IpAddr>().ok()) {
            Some(ip) => ip,
            None => peer_ip?,
        }
    };
    Some(login_throttle.address_key(ip))
}

/// The throttle keys one password attempt counts against.
pub(crate) struct Attempt {
    keys: Vec<String>,
}

/// Counts the attempt against the login name and the address, both at once (one round trip
/// to a shared store, not two). `Ok(None)` when either is throttled; then the other key's
/// count is handed back, so a throttled address does not use up an account's attempts.
pub(crate) async fn admit(
    shared: &Shared,
    login: &str,
    address: Option<&str>,
    now: i64,
) -> Result<Option<Attempt>, StoreError> {
    let t = &shared.passwords.throttle;
    let mut keys = vec![(format!("pw-login:{}", login.to_lowercase()), t.per_account)];
    if let Some(a) = address {
        keys.push((format!("pw-addr:{a}"), t.per_address));
    }
    admit_keys(shared, keys, now).await
}

/// Counts the attempt against a browser that completed a login for this account before (the
/// device cookie's id) alone, with the per-account limit: not against the login name or the
/// address, which strangers may have throttled.
pub(crate) async fn admit_device(
    shared: &Shared,
    device_id: &str,
    now: i64,
) -> Result<Option<Attempt>, StoreError> {
    let per_device = shared.passwords.throttle.per_account;
    admit_keys(
        shared,
        vec![(format!("pw-device:{device_id}"), per_device)],
        now,
    )
    .await
}

async fn admit_keys(
    shared: &Shared,
    keys: Vec<(String, u32)>,
    now: i64,
) -> Result<Option<Attempt>, StoreError> {
    let lockout = i64::try_from(shared.passwords.throttle.lockout.as_secs()).unwrap_or(i64::MAX);
    let taken = try_join_all(
        keys.iter()
            .map(|(key, max)| shared.challenges.take_attempt(key, *max, lockout, now)),
    )
    .await?;
    let all = taken.iter().all(|t| *t);
    let attempt = Attempt {
        keys: keys
            .into_iter()
            .zip(taken)
            .filter_map(|((key, _), taken)| taken.then_some(key))
            .collect(),
    };
    if all {
        Ok(Some(attempt))
    } else {
        refund(shared, &attempt).await?;
        Ok(None)
    }
}

/// The password was right: only failures count.
pub(crate) async fn refund(shared: &Shared, attempt: &Attempt) -> Result<(), StoreError> {
    try_join_all(
        attempt
            .keys
            .iter()
            .map(|key| shared.challenges.refund_attempt(key)),
    )
    .await?;
    Ok(())
}

/// Records how long a password check took (a moving average over recent checks).
pub(crate) fn record_password_cost(shared: &Shared, started: Instant) {
    let took = u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
    let cost = &shared.passwords.cost_ns;
    let old = cost.load(Ordering::Relaxed);
    let new = if old == 0 {
        took
    } else {
        old - old / 8 + took / 8
    };
    cost.store(new, Ordering::Relaxed);
}

/// Waits about as long as a password check, without doing one.
pub(crate) async fn as_long_as_a_password_check(shared: &Shared) {
    let ns = shared.passwords.cost_ns.load(Ordering::Relaxed);
    tokio::time::sleep(Duration::from_nanos(ns)).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With the default throttle (IPv6 by /64).
    fn client_address(h: &HeaderMap, peer: Option<SocketAddr>, hops: usize) -> Option<String> {
        super::client_address(h, peer, hops, &crate::limits::LoginThrottle::default())
    }

    fn xff(v: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", v.parse().unwrap());
        h
    }

    #[test]
    fn forwarded_for_is_ignored_unless_proxies_are_trusted() {
        let peer = Some(SocketAddr::from(([192, 0, 2, 7], 5000)));
        let spoofed = xff("203.0.113.9");
        assert_eq!(
            client_address(&spoofed, peer, 0).as_deref(),
            Some("192.0.2.7")
        );
        assert_eq!(client_address(&spoofed, None, 0), None);
    }

    #[test]
    fn behind_trusted_proxies_the_entry_they_wrote_counts() {
        let lb = Some(SocketAddr::from(([10, 0, 0, 1], 5000)));
        // The client wrote "1.1.1.1"; the load balancer appended what it saw.
        let h = xff("1.1.1.1, 198.51.100.4");
        assert_eq!(client_address(&h, lb, 1).as_deref(), Some("198.51.100.4"));
        assert_eq!(client_address(&h, lb, 2).as_deref(), Some("1.1.1.1"));
        // Fewer entries than proxies: the leftmost one.
        assert_eq!(client_address(&h, lb, 5).as_deref(), Some("1.1.1.1"));
        // A header that does not parse counts as the peer, never as no address at all.
        assert_eq!(
            client_address(&xff("not an ip"), lb, 1).as_deref(),
            Some("10.0.0.1")
        );
        assert_eq!(
            client_address(&xff("1.1.1.1, garbage"), lb, 1).as_deref(),
            Some("10.0.0.1")
        );
    }

    #[test]
    fn ipv6_addresses_count_by_their_64_prefix() {
        let a = "2001:db8:1:2:aaaa::1".parse::<IpAddr>().unwrap();
        let b = "2001:db8:1:2:bbbb::9".parse::<IpAddr>().unwrap();
        let key = |ip| client_address(&HeaderMap::new(), Some(SocketAddr::new(ip, 1)), 0);
        assert_eq!(key(a), key(b));
        assert_eq!(key(a).as_deref(), Some("2001:db8:1:2::/64"));
        let mapped = "::ffff:192.0.2.1".parse::<IpAddr>().unwrap();
        assert_eq!(key(mapped).as_deref(), Some("192.0.2.1"));
    }
}
