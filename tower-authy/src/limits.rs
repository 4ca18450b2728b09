//! The limits tower-authy enforces, as named structs with safe defaults. Each is checked when
//! [`TwoFactorBuilder::build`](crate::TwoFactorBuilder::build) runs.

use std::time::Duration;

/// Limits on wrong codes (the second factor).
///
/// Attempts are counted before Authy is asked, per login and per account; the account count is
/// not reset by a new password login, a new session or a new address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    /// Code attempts per login. Default 5.
    pub per_challenge: u32,
    /// Consecutive failed attempts per account before it locks (at most 100). Default 10.
    pub per_account: u32,
    /// How long a locked account stays locked after its last failure, in seconds. Default 900.
    pub lockout_secs: i64,
}

impl Default for AttemptLimits {
    fn default() -> Self {
        AttemptLimits {
            per_challenge: 5,
            per_account: 10,
            lockout_secs: 900,
        }
    }
}

/// Limits on what is sent to a phone: pushes (against push fatigue) and SMS or calls (against
/// SMS pumping). Each applies per account **and** per phone (Authy id), since several accounts
/// can share one phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    /// Pushes per 10 minutes; past it, logins fall back to a code. Default 5.
    pub pushes_per_10_minutes: u32,
    /// SMS or calls per login. Default 3.
    pub per_login: u32,
    /// SMS or calls per hour. Default 10.
    pub per_hour: u32,
}

impl Default for SendLimits {
    fn default() -> Self {
        SendLimits {
            pushes_per_10_minutes: 5,
            per_login: 3,
            per_hour: 10,
        }
    }
}

/// The first-factor throttle: how many wrong passwords are answered before a login name, or a
/// client address, is throttled, and for how long.
///
/// Attempts are counted in the [`ChallengeStore`](crate::ChallengeStore) before the password is checked (so a shared
/// store throttles across instances, and parallel guesses cannot overshoot); a right password
/// is handed back, so only failures add up. A throttled attempt is never checked, never sends a
/// push, and gets the wrong-password answer after about as long as a password check takes.
///
/// With the defaults, a guesser gets at most 5 passwords per account per 15 minutes: 20 per
/// hour, 480 per day, whatever the number of addresses; from one address, at most 30 per 15
/// minutes across all accounts (120 per hour).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    /// Wrong passwords per login name before it is throttled. Default 5.
    pub per_account: u32,
    /// Wrong passwords per client address (IPv6 by [`ipv6_prefix`](Self::ipv6_prefix)) before
    /// it is throttled. Default 30.
    pub per_address: u32,
    /// How long a throttled key stays throttled after its last counted attempt; a key idle for
    /// this long starts over. Default 15 minutes.
    pub lockout: Duration,
    /// The IPv6 prefix length that counts as one address (1 to 128): a subscriber usually holds
    /// a whole /64 (the default), some providers hand out /56 or /48.
    pub ipv6_prefix: u8,
}

impl LoginThrottle {
    /// The key a client address counts under, here and wherever an application limits by
    /// address (a sign-up form, say): IPv4 addresses (IPv4-mapped IPv6 included) as they are,
    /// other IPv6 addresses by their [`ipv6_prefix`](Self::ipv6_prefix), the block one
    /// subscriber usually holds.
    ///
    /// ```
    /// use tower_authy::limits::LoginThrottle;
    /// let t = LoginThrottle::default();
    /// let a = t.address_key("2001:db8:1:2:aaaa::1".parse().unwrap());
    /// let b = t.address_key("2001:db8:1:2:bbbb::9".parse().unwrap());
    /// assert_eq!(a, b);
    /// assert_eq!(a, "2001:db8:1:2::/64");
    /// let wide = LoginThrottle { ipv6_prefix: 48, ..t };
    /// assert_eq!(wide.address_key("2001:db8:1:7::1".parse().unwrap()), "2001:db8:1::/48");
    /// assert_eq!(t.address_key("192.0.2.1".parse().unwrap()), "192.0.2.1");
    /// ```
    pub fn address_key(&self, ip: std::net::IpAddr) -> String {
        match ip {
            std::net::IpAddr::V4(v4) => v4.to_string(),
            std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => v4.to_string(),
                None => {
                    let prefix = u32::from(self.ipv6_prefix.clamp(1, 128));
                    let mask = u128::MAX << (128 - prefix);
                    let network = std::net::Ipv6Addr::from(u128::from(v6) & mask);
                    format!("{network}/{prefix}")
                }
            },
        }
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle {
            per_account: 5,
            per_address: 30,
            lockout: Duration::from_secs(900),
            ipv6_prefix: 64,
        }
    }
}

/// Caps on the waiting page's server-sent event streams open at once on this instance.
/// A stream past a cap gets `429 Too Many Requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamLimits {
    /// Streams per session. Default 4.
    pub per_session: u32,
    /// Streams per pending login. Default 4.
    pub per_challenge: u32,
}

impl Default for StreamLimits {
    fn default() -> Self {
        StreamLimits {
            per_session: 4,
            per_challenge: 4,
        }
    }
}
