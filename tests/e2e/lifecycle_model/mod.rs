//! A model-based property test of the challenge lifecycle, once per provider (Authy, Verify v2,
//! self-hosted TOTP; the TOTP provider has no pushes, so its push steps do nothing). Random
//! interleavings of logins
//! (two users, four sessions, "remember this device" ticked or not), callbacks (valid, forged,
//! replayed, stale, for the wrong user), status reads, confirms, token guesses, SMS requests,
//! recovery codes made and used, credential epoch bumps, enrolment and turning the second
//! factor off, logouts and clock advances run against the real stack (Bob starts without a
//! second factor in some cases), and after every step these invariants are checked:
//!
//! 1. a session reaches the protected route only if its own challenge was approved by a valid,
//!    fresh callback and confirmed, or a correct token was entered for it;
//! 2. a session that completed both factors stays logged in until it logs out or the user's
//!    credential epoch is raised; a login whose password was accepted before a raise never
//!    counts;
//! 3. a challenge's final state (denied, expired, locked) never changes;
//! 4. "approved" is only ever reported after a valid callback for that challenge;
//! 5. bad callbacks get a 4xx and change nothing;
//! 6. per login at most 5, per account at most 10 consecutive failed codes reach the provider;
//! 7. nothing answers 5xx, and nothing panics;
//! 8. password guesses are throttled per login name and per client address: once the model
//!    counts the limit of failures within the lockout, even the right password is refused with
//!    the wrong-password answer and sends no push; a browser that completed a login for that
//!    account before (its device cookie) counts against its own allowance instead, so others'
//!    guesses never lock it out;
//! 9. per phone, at most the hourly limit of SMS, and per subject at most the 10-minute limit of
//!    pushes are ever sent, in any window;
//! 10. a recovery code logs in only if it is one of the user's current set, unused; each logs
//!     in once, and a new set (made only by a verified session) voids the old one;
//! 11. the password alone logs in only on a browser holding a remembered-device cookie of that
//!     user, made at the user's current credential epoch and not expired; bumping the epoch
//!     ends every remembered device, and no push is sent for such a login;
//! 12. a user whose second factor is off is sent to enrolment by the password, never let in;
//!     enrolment turns it on only with a valid token from the phone, only while the user still
//!     has no second factor, at the credential epoch it began at, before the login's
//!     deadline (a stale enrolment never replaces a factor set up since); turning it off needs
//!     a verified session, the password and a current token, and forgets the user's
//!     remembered devices and recovery codes.
//!
//! `LIFECYCLE_CASES` sets the number of cases (default 300, enough for every CI run;
//! the long run below is the one to make before a release):
//! `LIFECYCLE_CASES=20000 cargo test --release -p e2e --test e2e lifecycle_model` for a long run.
//! Each provider runs that many.

#![allow(clippy::unwrap_used)]

mod apply;
mod factors;
mod model;
mod ops;
mod passkeys;
mod world;

use model::{Challenge, Device, Session, Throttle};
use ops::{Op, op};
use world::World;

use mock_authy::signature::{canonical_json, sign};
use mock_authy::{CallbackMethod, MockAuthy, SentCallback};
use proptest::prelude::*;
use serde_json::json;
use std::time::Duration;
use test_support::{API_KEY, App, Browser, PASSWORD, ProviderKind};
use tower_authy::store::ManualClock;

const T0: i64 = 1_760_000_000;
const SESSIONS: usize = 4;
const PER_LOGIN: usize = 5;
const PER_ACCOUNT: usize = 10;
const LOCKOUT: i64 = 900;
/// Small on purpose, so that random runs reach the throttle.
const PW_PER_ACCOUNT: u32 = 3;
const PW_PER_ADDRESS: u32 = 5;
const PW_LOCKOUT: i64 = 300;
const PUSHES_PER_10_MIN: usize = 5;
const SMS_PER_HOUR: usize = 10;
const REMEMBER_DAYS: i64 = 30;
const DEVICE_COOKIE: &str = "tower-authy-device=";
const KNOWN_COOKIE: &str = "tower-authy-known=";

/// The model of one throttled key: attempts counted and the newest one's time.
fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

fn cases() -> u32 {
    std::env::var("LIFECYCLE_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300)
}

fn run(kind: ProviderKind, ops: &[Op], bob_enrolled: bool) {
    runtime().block_on(async {
        let mut w = World::new(kind, bob_enrolled).await;
        for op in ops {
            w.apply(op).await;
            w.check_per_phone_limits();
        }
        // Every session's final word agrees with the model.
        for s in 0..SESSIONS {
            w.apply(&Op::Protected { s }).await;
            let st = w.status(s).await;
            if w.sessions[s].challenge.is_some() {
                w.check_status(s, &st);
            }
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn on_authy_no_interleaving_lets_anyone_in_without_a_real_second_factor(ops in prop::collection::vec(op(), 1..60), bob_enrolled in prop::bool::weighted(0.6)) {
        run(ProviderKind::Authy, &ops, bob_enrolled);
    }

    #[test]
    fn on_verify_no_interleaving_lets_anyone_in_without_a_real_second_factor(ops in prop::collection::vec(op(), 1..60), bob_enrolled in prop::bool::weighted(0.6)) {
        run(ProviderKind::Verify, &ops, bob_enrolled);
    }

    #[test]
    fn on_totp_no_interleaving_lets_anyone_in_without_a_real_second_factor(ops in prop::collection::vec(op(), 1..60), bob_enrolled in prop::bool::weighted(0.6)) {
        run(ProviderKind::Totp, &ops, bob_enrolled);
    }
}
