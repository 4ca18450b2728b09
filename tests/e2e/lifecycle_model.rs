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
#[derive(Debug, Default, Clone, Copy)]
struct Throttle {
    count: u32,
    last: i64,
}

impl Throttle {
    /// Mirrors `ChallengeStore::take_attempt`.
    fn take(&mut self, max: u32, now: i64) -> bool {
        if now - self.last >= PW_LOCKOUT {
            self.count = 0;
        }
        if self.count >= max {
            return false;
        }
        self.count += 1;
        self.last = now;
        true
    }

    fn refund(&mut self) {
        self.count = self.count.saturating_sub(1);
    }
}

#[derive(Debug, Clone)]
enum Op {
    Login {
        s: usize,
        user: usize,
        right_password: bool,
        remember: bool,
    },
    MakeCodes {
        s: usize,
    },
    RecoveryCode {
        s: usize,
        pick: usize,
    },
    BumpEpoch {
        user: usize,
    },
    Disable {
        s: usize,
    },
    Enrol {
        s: usize,
        valid_token: bool,
    },
    Approve {
        s: usize,
    },
    Deny {
        s: usize,
    },
    Forged {
        s: usize,
    },
    Stale {
        s: usize,
    },
    WrongUser {
        s: usize,
    },
    Replay,
    Status {
        s: usize,
    },
    Confirm {
        s: usize,
    },
    Token {
        s: usize,
        correct: bool,
    },
    Sms {
        s: usize,
    },
    Protected {
        s: usize,
    },
    Logout {
        s: usize,
    },
    Advance {
        secs: u32,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    prop_oneof![
        4 => (s.clone(), 0..2usize, prop::bool::weighted(0.7), prop::bool::weighted(0.6)).prop_map(|(s, user, right_password, remember)| Op::Login { s, user, right_password, remember }),
        3 => s.clone().prop_map(|s| Op::MakeCodes { s }),
        3 => (s.clone(), 0..64usize).prop_map(|(s, pick)| Op::RecoveryCode { s, pick }),
        1 => (0..2usize).prop_map(|user| Op::BumpEpoch { user }),
        1 => s.clone().prop_map(|s| Op::Disable { s }),
        2 => (s.clone(), prop::bool::weighted(0.7)).prop_map(|(s, valid_token)| Op::Enrol { s, valid_token }),
        2 => s.clone().prop_map(|s| Op::Approve { s }),
        1 => s.clone().prop_map(|s| Op::Deny { s }),
        1 => s.clone().prop_map(|s| Op::Forged { s }),
        1 => s.clone().prop_map(|s| Op::Stale { s }),
        1 => s.clone().prop_map(|s| Op::WrongUser { s }),
        1 => Just(Op::Replay),
        2 => s.clone().prop_map(|s| Op::Status { s }),
        2 => s.clone().prop_map(|s| Op::Confirm { s }),
        3 => (s.clone(), prop::bool::weighted(0.3)).prop_map(|(s, correct)| Op::Token { s, correct }),
        1 => s.clone().prop_map(|s| Op::Sms { s }),
        2 => s.clone().prop_map(|s| Op::Protected { s }),
        1 => s.clone().prop_map(|s| Op::Logout { s }),
        1 => prop_oneof![Just(10u32), Just(31), Just(301), Just(901)].prop_map(|secs| Op::Advance { secs }),
    ]
}

/// What the model knows about one session's current login.
#[derive(Debug, Default, Clone)]
struct Challenge {
    user: usize,
    uuid: Option<String>,
    /// A valid, fresh callback approving this challenge was sent.
    legit_approval: bool,
    /// A final state the app reported for it.
    final_seen: Option<String>,
    codes_reaching_authy: usize,
    /// "Remember this device" was ticked, at this credential epoch.
    remember: Option<u64>,
    /// The user's credential epoch when the password was accepted.
    epoch: u64,
}

/// A remembered-device cookie a session's browser holds, as the model knows it.
#[derive(Debug, Clone)]
struct Device {
    cookie: String,
    user: usize,
    epoch: u64,
    expires: i64,
}

#[derive(Debug, Default, Clone)]
struct Session {
    challenge: Option<Challenge>,
    /// Who completed both factors here, and at which credential epoch.
    verified: Option<usize>,
    verified_epoch: u64,
    /// The password was accepted for this user, who has no second factor: enrolling, since
    /// this credential epoch, until this deadline.
    enrolling: Option<usize>,
    enrol_epoch: u64,
    enrol_deadline: i64,
}

struct World {
    kind: ProviderKind,
    /// Plays an authenticator app that scanned an enrolment key (its own store is unused).
    phone_app: tower_authy::provider::totp::TotpProvider,
    mock: MockAuthy,
    app: App,
    clock: ManualClock,
    browsers: Vec<Browser>,
    sessions: Vec<Session>,
    subjects: [u64; 2],
    emails: [&'static str; 2],
    last_callback: Option<SentCallback>,
    /// Consecutive failed codes that reached Authy, and the time of the last one, per user.
    failures: [(usize, i64); 2],
    /// The password throttle per user's login name, and for the one client address.
    pw_accounts: [Throttle; 2],
    pw_address: Throttle,
    /// The device cookie each session's browser keeps (the user it knows the browser for),
    /// and the throttle of each such cookie.
    known: Vec<Option<(usize, String)>>,
    pw_devices: std::collections::HashMap<String, Throttle>,
    /// When each user's /disable form was used, for its own allowance.
    disable_uses: [Vec<i64>; 2],
    /// Each user's current recovery codes, every code ever made for them, and those used.
    codes: [Vec<String>; 2],
    issued: [Vec<String>; 2],
    used: std::collections::HashSet<String>,
    /// Each user's credential epoch, and the device cookie each session's browser keeps.
    epochs: [u64; 2],
    devices: Vec<Option<Device>>,
    /// Whether each user's second factor is on.
    enrolled: [bool; 2],
    phones: [&'static str; 2],
}

impl World {
    /// The app and mock on `kind`, with Bob's second factor on (`bob_enrolled`) or not yet
    /// set up.
    async fn new(kind: ProviderKind, bob_enrolled: bool) -> World {
        let mock = MockAuthy::builder()
            .seed(9)
            .api_key(API_KEY)
            .frozen_clock(T0)
            .start()
            .await
            .unwrap();
        let clock = ManualClock::new(T0);
        let app_clock = clock.clone();
        let users = tower_authy::store::MemoryUserStore::new();
        let enrol_into = users.clone();
        let app = App::on(
            kind,
            mock.base_url(),
            Duration::from_secs(2),
            users,
            clock.clone(),
            Box::new(move |b| {
                b.clock(app_clock)
                    .enrolment(enrol_into)
                    .challenge_ttl(Duration::from_secs(300))
                    .attempt_limits(tower_authy::limits::AttemptLimits {
                        per_challenge: PER_LOGIN as u32,
                        per_account: PER_ACCOUNT as u32,
                        lockout_secs: LOCKOUT,
                    })
                    .send_limits(tower_authy::limits::SendLimits {
                        pushes_per_10_minutes: PUSHES_PER_10_MIN as u32,
                        per_login: 3,
                        per_hour: SMS_PER_HOUR as u32,
                    })
                    .login_throttle(tower_authy::limits::LoginThrottle {
                        per_account: PW_PER_ACCOUNT,
                        per_address: PW_PER_ADDRESS,
                        lockout: Duration::from_secs(PW_LOCKOUT as u64),
                        ..tower_authy::limits::LoginThrottle::default()
                    })
                    .recovery_codes(tower_authy::recovery::MemoryRecoveryCodeStore::new())
                    // Enough per user that the model never sees one dropped for the cap.
                    .remember_devices(
                        tower_authy::remember::RememberDevice {
                            days: REMEMBER_DAYS as u32,
                            per_user: 100,
                        },
                        tower_authy::remember::RememberKey::random(),
                        tower_authy::remember::MemoryDeviceStore::new(),
                    )
            }),
        )
        .await;
        mock.set_callback(Some((app.callback_url.clone(), CallbackMethod::Post)));
        let emails = ["ada@example.com", "bob@example.com"];
        let phones = ["5551230001", "5551230002"];
        let subjects = [
            app.user(emails[0], phones[0]).await,
            app.user(emails[1], phones[1]).await,
        ];
        if !bob_enrolled {
            let password = tower_authy::secret::Password::new(PASSWORD);
            let bob = tower_authy::UserStore::verify_password(&app.users, emails[1], &password);
            let bob = bob.await.unwrap().unwrap().id;
            let off = tower_authy::enrolment::AuthyIdStore::set_second_factor(
                &app.users,
                &bob,
                Some(subjects[1]),
                None,
            );
            assert!(off.await.unwrap());
        }
        let browsers = (0..SESSIONS).map(|_| app.browser()).collect();
        let phone_app = tower_authy::provider::totp::TotpProvider::builder(
            tower_authy::provider::totp::TotpKey::from_bytes([1; 32]),
            tower_authy::provider::totp::MemoryTotpSecretStore::new(),
        )
        .build()
        .unwrap();
        World {
            kind,
            phone_app,
            mock,
            app,
            clock,
            browsers,
            sessions: vec![Session::default(); SESSIONS],
            subjects,
            emails,
            last_callback: None,
            failures: [(0, 0); 2],
            pw_accounts: [Throttle::default(); 2],
            pw_address: Throttle::default(),
            known: vec![None; SESSIONS],
            pw_devices: std::collections::HashMap::new(),
            disable_uses: [Vec::new(), Vec::new()],
            codes: [Vec::new(), Vec::new()],
            issued: [Vec::new(), Vec::new()],
            used: std::collections::HashSet::new(),
            epochs: [0; 2],
            devices: vec![None; SESSIONS],
            enrolled: [true, bob_enrolled],
            phones,
        }
    }

    /// A session's login completed with both factors: invariant 11's bookkeeping. With the box
    /// ticked, the browser now holds a new device cookie.
    fn completed(&mut self, s: usize, c: &Challenge, now: i64) {
        self.sessions[s].verified = Some(c.user);
        self.sessions[s].verified_epoch = c.epoch;
        self.keep_known_cookie(s, c.user);
        let Some(epoch) = c.remember else { return };
        let cookies = self.browsers[s].cookie().unwrap_or_default();
        let cookie = cookies
            .split("; ")
            .find(|p| p.starts_with(DEVICE_COOKIE))
            .expect("a remembered login sets the device cookie")
            .to_owned();
        self.devices[s] = Some(Device {
            cookie,
            user: c.user,
            epoch,
            expires: now + REMEMBER_DAYS * 86_400,
        });
    }

    /// A completed login gives the browser a new device cookie for the user (invariant 8).
    fn keep_known_cookie(&mut self, s: usize, user: usize) {
        let cookies = self.browsers[s].cookie().unwrap_or_default();
        let cookie = cookies
            .split("; ")
            .find(|p| p.starts_with(KNOWN_COOKIE))
            .expect("a completed login sets the device cookie")
            .to_owned();
        self.known[s] = Some((user, cookie));
    }

    /// The user a session is logged in as, invariant 2: verified, at the user's current
    /// credential epoch.
    fn live(&self, s: usize) -> Option<usize> {
        let session = &self.sessions[s];
        session
            .verified
            .filter(|&user| session.verified_epoch == self.epochs[user])
    }

    /// Code checks that reached the provider so far.
    fn verify_calls(&self) -> usize {
        self.app.code_checks()
    }

    fn push_count(&self) -> usize {
        test_support::pushes(self.kind, &self.mock).len()
    }

    /// The code the user's app shows now.
    async fn app_code(&self, user: usize) -> String {
        let now = self.clock_now();
        let totp = self.app.totp.as_ref();
        test_support::app_code(self.kind, &self.mock, totp, self.subjects[user], now).await
    }

    /// A callback or webhook for `push` to the app that must be refused: signed with the wrong
    /// key (`Forged`), stale or signed for another URL (`Stale`), or naming the other user
    /// (`WrongUser`).
    async fn bad_callback(&self, op: &Op, push: &str, user: usize) -> u16 {
        let now = self.clock_now();
        if self.kind == ProviderKind::Authy {
            let body = |subject: u64| json!({"authy_id": subject, "uuid": push, "status": "approved", "callback_action": "approval_request_status"});
            return match op {
                Op::Forged { .. } => {
                    self.post_callback(&body(self.subjects[user]), now, "not-the-key")
                        .await
                }
                Op::Stale { .. } => {
                    self.post_callback(&body(self.subjects[user]), now - 1_000, self.mock.api_key())
                        .await
                }
                _ => {
                    self.post_callback(&body(self.subjects[1 - user]), now, self.mock.api_key())
                        .await
                }
            };
        }
        let (token, url, subject) = match op {
            Op::Forged { .. } => (
                "not-the-token",
                self.app.callback_url.clone(),
                self.subjects[user],
            ),
            Op::Stale { .. } => (
                self.mock.twilio_auth_token(),
                self.app.callback_url.replace("127.0.0.1", "localhost"),
                self.subjects[user],
            ),
            _ => (
                self.mock.twilio_auth_token(),
                self.app.callback_url.clone(),
                self.subjects[1 - user],
            ),
        };
        let delivery = format!("model-{now}-{push}");
        let params = test_support::verify_answer(&delivery, push, subject, true);
        test_support::post_verify_webhook(&self.app.callback_url, &params, token, &url).await
    }

    async fn post_callback(&self, body: &serde_json::Value, nonce: i64, key: &str) -> u16 {
        let nonce = nonce.to_string();
        let sig = sign(
            key,
            &nonce,
            "POST",
            &self.app.callback_url,
            &canonical_json(body),
        );
        let r = reqwest::Client::new()
            .post(&self.app.callback_url)
            .header("content-type", "application/json")
            .header("x-authy-signature", sig)
            .header("x-authy-signature-nonce", nonce)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        r.status().as_u16()
    }

    async fn status(&mut self, s: usize) -> String {
        let page = self.browsers[s].get_json("/authy/status").await;
        assert!(page.status < 500, "status answered {}", page.status);
        page.json()["status"].as_str().unwrap_or("none").to_owned()
    }

    /// Invariants 3 and 4 on one status read.
    fn check_status(&mut self, s: usize, status: &str) {
        let Some(c) = self.sessions[s].challenge.as_mut() else {
            assert_eq!(status, "none", "a session without a login has no status");
            return;
        };
        if status == "approved" {
            assert!(c.legit_approval, "approved without a valid callback");
        }
        if let Some(seen) = &c.final_seen {
            assert_eq!(status, seen, "a final state changed");
        }
        if ["denied", "expired", "locked"].contains(&status) {
            c.final_seen = Some(status.to_owned());
        }
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Login {
                s,
                user,
                right_password,
                remember,
            } => {
                let pushes = self.push_count();
                self.browsers[s] = self.app.browser();
                // The browser keeps its remembered-device cookie across logins.
                if let Some(d) = &self.devices[s] {
                    self.browsers[s].set_cookie(&d.cookie);
                }
                let known = self.known[s].clone().filter(|(u, _)| *u == user);
                if let Some((_, cookie)) = &self.known[s] {
                    self.browsers[s].set_cookie(cookie);
                }
                let pw = if right_password {
                    PASSWORD
                } else {
                    "wrong password"
                };
                let now = self.clock_now();
                let throttled = match &known {
                    // Invariant 8: the user's own browser counts on its own.
                    Some((_, cookie)) => {
                        let t = self.pw_devices.entry(cookie.clone()).or_default();
                        let admitted = t.take(PW_PER_ACCOUNT, now);
                        if admitted && right_password {
                            t.refund();
                        }
                        !admitted
                    }
                    None => {
                        let throttled = self.pw_admit(user, now);
                        if !throttled && right_password {
                            self.pw_accounts[user].refund();
                            self.pw_address.refund();
                        }
                        throttled
                    }
                };
                let mut fields = vec![("login", self.emails[user]), ("password", pw)];
                if remember {
                    fields.push(("remember", "1"));
                }
                let page = self.browsers[s].post("/authy/login", &fields).await;
                assert!(page.status < 500, "login answered {}", page.status);
                if throttled {
                    assert_eq!(page.status, 401, "a throttled login was let through");
                    assert!(page.body.contains("Wrong email or password."));
                    assert_eq!(self.push_count(), pushes, "a throttled login sent a push");
                }
                self.sessions[s] = Session::default();
                // Invariant 12: the password of a user without a second factor leads to
                // enrolment, and only there.
                let to_enrol = page.location.as_deref() == Some("/authy/enrol");
                assert_eq!(
                    to_enrol,
                    page.status == 303 && !self.enrolled[user],
                    "{user} enrolled {}: went to {:?}",
                    self.enrolled[user],
                    page.location
                );
                if to_enrol {
                    self.sessions[s].enrolling = Some(user);
                    self.sessions[s].enrol_epoch = self.epochs[user];
                    self.sessions[s].enrol_deadline = now + 300;
                } else if page.location.as_deref() == Some("/account") {
                    // Invariant 11: the password alone, on a remembered device.
                    assert!(right_password, "a wrong password was accepted");
                    let d = self.devices[s]
                        .as_ref()
                        .expect("no device cookie, yet no second factor");
                    assert_eq!(d.user, user, "another user's remembered device let them in");
                    assert_eq!(
                        d.epoch, self.epochs[user],
                        "a device from an old epoch let them in"
                    );
                    assert!(now < d.expires, "an expired device let them in");
                    assert_eq!(self.push_count(), pushes, "a push for a remembered device");
                    self.sessions[s].verified = Some(user);
                    self.sessions[s].verified_epoch = self.epochs[user];
                    self.keep_known_cookie(s, user);
                } else if page.status == 303 {
                    assert!(right_password, "a wrong password was accepted");
                    let uuid = test_support::pushes(self.kind, &self.mock)
                        .get(pushes)
                        .map(|a| a.id.clone());
                    self.sessions[s].challenge = Some(Challenge {
                        user,
                        uuid,
                        remember: remember.then_some(self.epochs[user]),
                        epoch: self.epochs[user],
                        ..Challenge::default()
                    });
                }
            }
            Op::Approve { s } | Op::Deny { s } => {
                let Some(uuid) = self.sessions[s]
                    .challenge
                    .as_ref()
                    .and_then(|c| c.uuid.clone())
                else {
                    return;
                };
                let approve = matches!(op, Op::Approve { .. });
                // The real phone answering: a valid, fresh, signed callback.
                if approve {
                    self.sessions[s].challenge.as_mut().unwrap().legit_approval = true;
                }
                let decided = test_support::answer(self.kind, &self.mock, &uuid, approve).await;
                if let Some(d) = decided.into_iter().last() {
                    assert!(
                        d.last_status().is_some_and(|c| c < 500),
                        "callback answered {:?}",
                        d.last_status()
                    );
                    self.last_callback = Some(d.request);
                }
            }
            Op::Forged { s } | Op::Stale { s } | Op::WrongUser { s } => {
                let Some(c) = self.sessions[s].challenge.clone() else {
                    return;
                };
                let Some(uuid) = c.uuid else { return };
                let before = self.status(s).await;
                let code = self.bad_callback(op, &uuid, c.user).await;
                assert!((400..500).contains(&code), "{op:?} answered {code}");
                let after = self.status(s).await;
                // The only change allowed is the deadline passing.
                assert!(
                    after == before || after == "expired",
                    "{op:?} changed {before} to {after}"
                );
            }
            Op::Replay => {
                let Some(sent) = self.last_callback.clone() else {
                    return;
                };
                let request = reqwest::Client::new().post(&sent.url);
                let request = if self.kind == ProviderKind::Authy {
                    request
                        .header("content-type", "application/json")
                        .header("x-authy-signature", &sent.signature)
                        .header("x-authy-signature-nonce", &sent.nonce)
                } else {
                    request
                        .header("content-type", "application/x-www-form-urlencoded")
                        .header("x-twilio-signature", &sent.signature)
                };
                let r = request.body(sent.body).send().await.unwrap();
                assert!(
                    r.status().is_client_error(),
                    "a replay answered {}",
                    r.status()
                );
            }
            Op::Status { s } => {
                let st = self.status(s).await;
                self.check_status(s, &st);
            }
            Op::Confirm { s } => {
                let page = self.browsers[s].post("/authy/confirm", &[]).await;
                assert!(page.status < 500);
                if page.status == 303 {
                    let c = self.sessions[s].challenge.take().unwrap();
                    assert!(c.legit_approval, "confirmed without a valid approval");
                    let now = self.clock_now();
                    self.completed(s, &c, now);
                }
            }
            Op::Token { s, correct } => {
                let user = self.sessions[s].challenge.as_ref().map_or(0, |c| c.user);
                let token = if correct {
                    self.app_code(user).await
                } else {
                    "000000".to_owned()
                };
                let before = self.verify_calls();
                let page = self.browsers[s]
                    .post("/authy/token", &[("token", &token)])
                    .await;
                assert!(page.status < 500, "token answered {}", page.status);
                let reached = self.verify_calls() - before;
                assert!(reached <= 1, "a code was verified twice");
                let now = self.clock_now();
                if let Some(c) = self.sessions[s].challenge.as_mut() {
                    c.codes_reaching_authy += reached;
                    assert!(
                        c.codes_reaching_authy <= PER_LOGIN,
                        "more than {PER_LOGIN} codes for one login"
                    );
                }
                if page.status == 303 {
                    assert!(correct, "a wrong code logged in");
                    let c = self.sessions[s].challenge.take().unwrap();
                    self.completed(s, &c, now);
                    self.failures[c.user] = (0, now);
                } else if reached == 1 {
                    let f = &mut self.failures[user];
                    if now - f.1 >= LOCKOUT {
                        f.0 = 0;
                    }
                    *f = (f.0 + 1, now);
                    assert!(
                        f.0 <= PER_ACCOUNT,
                        "{} consecutive failures reached Authy",
                        f.0
                    );
                }
            }
            Op::MakeCodes { s } => {
                let page = self.browsers[s].post("/authy/recovery-codes", &[]).await;
                assert!(page.status < 500, "recovery codes answered {}", page.status);
                match self.live(s) {
                    Some(user) if page.status == 200 => {
                        let codes = page.recovery_codes();
                        assert_eq!(codes.len(), 10);
                        self.issued[user].extend(codes.iter().cloned());
                        self.codes[user] = codes;
                    }
                    Some(_) => panic!("a verified session could not make codes: {}", page.status),
                    None => assert_ne!(page.status, 200, "an unverified session made codes"),
                }
            }
            Op::RecoveryCode { s, pick } => {
                let Some(user) = self.sessions[s].challenge.as_ref().map(|c| c.user) else {
                    return;
                };
                // Any code ever made for either user, or one never made.
                let mut candidates: Vec<String> = self.issued.iter().flatten().cloned().collect();
                candidates.push("AAAA-AAAA-AAAA-AAAA".to_owned());
                let code = candidates[pick % candidates.len()].clone();
                let before = self.verify_calls();
                let page = self.browsers[s]
                    .post("/authy/token", &[("token", &code)])
                    .await;
                assert!(page.status < 500, "recovery code answered {}", page.status);
                assert_eq!(
                    self.verify_calls(),
                    before,
                    "a recovery code went to the provider"
                );
                if page.status == 303 {
                    // Invariant 10.
                    assert!(
                        self.codes[user].contains(&code),
                        "a code not in the user's set logged in"
                    );
                    assert!(self.used.insert(code), "a recovery code logged in twice");
                    let c = self.sessions[s].challenge.take().unwrap();
                    let now = self.clock_now();
                    self.completed(s, &c, now);
                    self.failures[c.user] = (0, now);
                }
            }
            Op::Disable { s } => {
                let user = self.live(s).unwrap_or(0);
                let token = self.app_code(user).await;
                // The password at /disable counts in the login throttle (invariant 8), once
                // the form's own allowance (per login's attempts, per 5 minutes) lets it through.
                let now = self.clock_now();
                let mut throttled = false;
                if self.live(s).is_some() && self.enrolled[user] {
                    let uses = &mut self.disable_uses[user];
                    uses.retain(|&t| now - t < 300);
                    if uses.len() < PER_LOGIN {
                        uses.push(now);
                        throttled = self.pw_admit(user, now);
                        if !throttled {
                            self.pw_accounts[user].refund();
                            self.pw_address.refund();
                        }
                    }
                }
                let page = self.browsers[s]
                    .post(
                        "/authy/disable",
                        &[("password", PASSWORD), ("token", &token)],
                    )
                    .await;
                assert!(page.status < 500, "disable answered {}", page.status);
                // Turned off: back to the account page (a refusal sends an unverified session to
                // the login instead).
                if page.location.as_deref() == Some("/account") {
                    assert!(
                        self.live(s).is_some(),
                        "an unverified session turned it off"
                    );
                    assert!(!throttled, "a throttled password turned it off");
                    self.enrolled[user] = false;
                    self.codes[user].clear();
                    for d in &mut self.devices {
                        if d.as_ref().is_some_and(|d| d.user == user) {
                            *d = None;
                        }
                    }
                }
            }
            Op::Enrol { s, valid_token } => {
                let Some(user) = self.sessions[s].enrolling else {
                    return;
                };
                let fields = [
                    ("email", self.emails[user]),
                    ("country_code", "1"),
                    ("phone", self.phones[user]),
                ];
                let page = self.browsers[s].post("/authy/enrol", &fields).await;
                assert!(page.status < 500, "enrol answered {}", page.status);
                if page.status != 200 {
                    return;
                }
                let session = &self.sessions[s];
                assert!(
                    !self.enrolled[user]
                        && session.enrol_epoch == self.epochs[user]
                        && self.clock_now() < session.enrol_deadline,
                    "a stale enrolment registered a phone"
                );
                let token = match (valid_token, self.kind) {
                    (false, _) => "0000000".to_owned(),
                    (true, ProviderKind::Authy) => {
                        self.mock.app_token(self.subjects[user]).unwrap()
                    }
                    // An authenticator app that was given the key the page shows.
                    (true, _) => {
                        let key = page
                            .body
                            .split("data-testid=\"manual-key\">")
                            .nth(1)
                            .and_then(|rest| rest.split('<').next())
                            .expect("the enrolment page shows the key");
                        self.phone_app
                            .authenticator_code(key, self.clock_now())
                            .unwrap()
                    }
                };
                let page = self.browsers[s]
                    .post("/authy/enrol/confirm", &[("token", &token)])
                    .await;
                assert!(page.status < 500, "enrol confirm answered {}", page.status);
                // With recovery codes on, success shows the first set.
                if page.status == 200 && page.body.contains("<code>") {
                    assert!(valid_token, "enrolment switched on without a valid token");
                    let session = &self.sessions[s];
                    assert!(!self.enrolled[user], "a stale enrolment replaced a factor");
                    assert_eq!(
                        session.enrol_epoch, self.epochs[user],
                        "an enrolment from an old epoch switched it on"
                    );
                    assert!(
                        self.clock_now() < session.enrol_deadline,
                        "an expired enrolment switched it on"
                    );
                    let codes = page.recovery_codes();
                    self.issued[user].extend(codes.iter().cloned());
                    self.codes[user] = codes;
                    self.enrolled[user] = true;
                    // Verify and TOTP make a new subject at each enrolment.
                    let password = tower_authy::secret::Password::new(PASSWORD);
                    let found = tower_authy::UserStore::verify_password(
                        &self.app.users,
                        self.emails[user],
                        &password,
                    );
                    self.subjects[user] = found.await.unwrap().unwrap().authy_id.unwrap();
                    self.sessions[s] = Session {
                        verified: Some(user),
                        verified_epoch: self.epochs[user],
                        ..Session::default()
                    };
                    self.keep_known_cookie(s, user);
                }
            }
            Op::BumpEpoch { user } => {
                assert!(self.app.users.bump_credential_epoch(self.emails[user]));
                self.epochs[user] += 1;
            }
            Op::Sms { s } => {
                let page = self.browsers[s].post("/authy/sms", &[]).await;
                assert!(page.status < 500);
            }
            Op::Protected { s } => {
                let page = self.browsers[s].get("/account").await;
                match self.live(s) {
                    Some(_) => assert_eq!(page.status, 200, "a verified session was refused"),
                    None => assert_eq!(page.status, 303, "an unverified session got in"),
                }
            }
            Op::Logout { s } => {
                let page = self.browsers[s].post("/authy/logout", &[]).await;
                assert!(page.status < 500);
                if page.status == 303 {
                    self.sessions[s] = Session::default();
                }
            }
            Op::Advance { secs } => {
                self.clock.advance(i64::from(secs));
                self.mock
                    .advance_clock(Duration::from_secs(u64::from(secs)));
            }
        }
    }

    /// Mirrors the login's throttle check (account, then address); true when throttled.
    fn pw_admit(&mut self, user: usize, now: i64) -> bool {
        if !self.pw_accounts[user].take(PW_PER_ACCOUNT, now) {
            return true;
        }
        if !self.pw_address.take(PW_PER_ADDRESS, now) {
            self.pw_accounts[user].refund();
            return true;
        }
        false
    }

    /// Invariant 9: sends never exceed their limits in any window, SMS per phone and pushes
    /// per subject.
    fn check_per_phone_limits(&self) {
        for (user, &subject) in self.subjects.iter().enumerate() {
            let phone = format!("+1{}", self.phones[user]);
            let sms: Vec<i64> = test_support::sent_codes(self.kind, &self.mock, subject, &phone)
                .into_iter()
                .filter(|(channel, _, _)| channel == "sms")
                .map(|(_, _, at)| at)
                .collect();
            for &t in &sms {
                let in_hour = sms.iter().filter(|&&u| u >= t && u < t + 3600).count();
                assert!(
                    in_hour <= SMS_PER_HOUR,
                    "{in_hour} SMS to one phone in an hour"
                );
            }
        }
        let pushes = test_support::pushes(self.kind, &self.mock);
        for p in &pushes {
            let in_window = pushes
                .iter()
                .filter(|q| {
                    q.subject == p.subject
                        && q.created_at >= p.created_at
                        && q.created_at < p.created_at + 600
                })
                .count();
            assert!(
                in_window <= PUSHES_PER_10_MIN,
                "{in_window} pushes to one phone in 10 minutes"
            );
        }
    }

    fn clock_now(&self) -> i64 {
        tower_authy::store::Clock::now(&self.clock)
    }
}

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
