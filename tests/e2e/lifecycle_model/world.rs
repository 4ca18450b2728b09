//! The real stack a case runs against (app, mock, browsers) beside the model's expectations,
//! and the invariants checked between steps.

use super::*;

pub(super) struct World {
    pub(super) kind: ProviderKind,
    /// Plays an authenticator app that scanned an enrolment key (its own store is unused).
    pub(super) phone_app: tower_authy::provider::totp::TotpProvider,
    pub(super) mock: MockAuthy,
    pub(super) app: App,
    pub(super) clock: ManualClock,
    pub(super) browsers: Vec<Browser>,
    pub(super) sessions: Vec<Session>,
    pub(super) subjects: [u64; 2],
    pub(super) emails: [&'static str; 2],
    pub(super) last_callback: Option<SentCallback>,
    /// Consecutive failed codes that reached Authy, and the time of the last one, per user.
    pub(super) failures: [(usize, i64); 2],
    /// The password throttle per user's login name, and for the one client address.
    pub(super) pw_accounts: [Throttle; 2],
    pub(super) pw_address: Throttle,
    /// The device cookie each session's browser keeps (the user it knows the browser for),
    /// and the throttle of each such cookie.
    pub(super) known: Vec<Option<(usize, String)>>,
    pub(super) pw_devices: std::collections::HashMap<String, Throttle>,
    /// Each user's current recovery codes, every code ever made for them, and those used.
    pub(super) codes: [Vec<String>; 2],
    pub(super) issued: [Vec<String>; 2],
    pub(super) used: std::collections::HashSet<String>,
    /// Each user's credential epoch, and the device cookie each session's browser keeps.
    pub(super) epochs: [u64; 2],
    pub(super) devices: Vec<Option<Device>>,
    /// Whether each user's second factor is on.
    pub(super) enrolled: [bool; 2],
    pub(super) phones: [&'static str; 2],
}

impl World {
    /// The app and mock on `kind`, with Bob's second factor on (`bob_enrolled`) or not yet
    /// set up.
    pub(super) async fn new(kind: ProviderKind, bob_enrolled: bool) -> World {
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
        let app = App::on(
            kind,
            mock.base_url(),
            Duration::from_secs(2),
            users,
            clock.clone(),
            Box::new(move |b| {
                b.clock(app_clock)
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
            // Bob again, holding no factor (the same id, registered with the provider).
            app.users.insert(emails[1], PASSWORD, []);
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
    pub(super) fn completed(&mut self, s: usize, c: &Challenge, now: i64) {
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
    pub(super) fn keep_known_cookie(&mut self, s: usize, user: usize) {
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
    pub(super) fn live(&self, s: usize) -> Option<usize> {
        let session = &self.sessions[s];
        session
            .verified
            .filter(|&user| session.verified_epoch == self.epochs[user])
    }

    /// Code checks that reached the provider so far.
    pub(super) fn verify_calls(&self) -> usize {
        self.app.code_checks()
    }

    pub(super) fn push_count(&self) -> usize {
        test_support::pushes(self.kind, &self.mock).len()
    }

    /// The code the user's app shows now.
    pub(super) async fn app_code(&self, user: usize) -> String {
        let now = self.clock_now();
        let totp = self.app.totp.as_ref();
        test_support::app_code(self.kind, &self.mock, totp, self.subjects[user], now).await
    }

    /// A callback or webhook for `push` to the app that must be refused: signed with the wrong
    /// key (`Forged`), stale or signed for another URL (`Stale`), or naming the other user
    /// (`WrongUser`).
    pub(super) async fn bad_callback(&self, op: &Op, push: &str, user: usize) -> u16 {
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

    pub(super) async fn post_callback(
        &self,
        body: &serde_json::Value,
        nonce: i64,
        key: &str,
    ) -> u16 {
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

    pub(super) async fn status(&mut self, s: usize) -> String {
        let page = self.browsers[s].get_json("/authy/status").await;
        assert!(page.status < 500, "status answered {}", page.status);
        page.json()["status"].as_str().unwrap_or("none").to_owned()
    }

    /// Invariants 3 and 4 on one status read.
    pub(super) fn check_status(&mut self, s: usize, status: &str) {
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
}

impl World {
    /// Mirrors the login's throttle check (account, then address); true when throttled.
    pub(super) fn pw_admit(&mut self, user: usize, now: i64) -> bool {
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
    pub(super) fn check_per_phone_limits(&self) {
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

    pub(super) fn clock_now(&self) -> i64 {
        tower_authy::store::Clock::now(&self.clock)
    }
}
