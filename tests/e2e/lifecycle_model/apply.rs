//! One step, run against the stack and checked against the model.

use super::*;

impl World {
    pub(super) async fn apply(&mut self, op: &Op) {
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
            Op::RemoveLast { s } => {
                // Each user holds at most one factor here, and the default policy requires
                // one: removing it is refused whoever asks, and changes nothing.
                let user = self.live(s);
                let listed = self.browsers[s].get_json("/authy/factors").await;
                assert!(listed.status < 500, "factors answered {}", listed.status);
                let id = match (listed.status, user) {
                    (200, Some(_)) => listed.json()["factors"][0]["id"]
                        .as_str()
                        .unwrap_or("none")
                        .to_owned(),
                    _ => "none".to_owned(),
                };
                let page = self.browsers[s]
                    .post("/authy/factors/remove", &[("factor", &id)])
                    .await;
                assert!(page.status < 500, "remove answered {}", page.status);
                assert_ne!(
                    page.location.as_deref(),
                    Some("/authy/factors"),
                    "the last factor was removed"
                );
                if let Some(user) = user.filter(|&u| self.enrolled[u]) {
                    assert_eq!(
                        page.status, 409,
                        "removing {user}'s last factor: {}",
                        page.body
                    );
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
                    let id = found.await.unwrap().unwrap().id;
                    let held = tower_authy::FactorStore::factors(&self.app.users, &id);
                    self.subjects[user] = held.await.unwrap()[0].subject;
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
}
