//! The passkey model under random interleavings: Ada holds an authenticator app and a passkey
//! (a software authenticator whose counter goes up with every signature). Three browsers log in
//! with the password, ask for the passkey's options (again and again), have the authenticator
//! sign answers for any options they were given (the latest or older ones), post any signed
//! answer (once, again, late, out of the order they were signed in), post garbage or an answer
//! a phishing page obtained, sign in with the passkey alone, while the clock moves. After every
//! step these invariants are checked:
//!
//! 1. an answer logs in exactly when it answers the latest options of its browser's pending
//!    login, that login's ceremony was not taken by an earlier post, the login is before its
//!    deadline, the answer was signed for this site, and its counter is above every counter
//!    accepted before (a counter that went backwards is a possible clone);
//! 2. a post that parses takes the ceremony whatever its fate (a replay, a stale answer and a
//!    phished one all end it), one that does not parse is a 422 and changes nothing;
//! 3. the protected route answers 200 exactly to the browsers the model logged in;
//! 4. sign-in with the passkey alone logs in exactly when its counter is above every counter
//!    accepted before;
//! 5. nothing answers 5xx.

use proptest::prelude::*;
use serde_json::Value;
use test_support::{Browser, PASSWORD, Server, T0, app_router};
use tower_authy::provider::totp::{MemoryTotpSecretStore, TotpKey, TotpProvider};
use tower_authy::provider::webauthn::{
    CreationChallengeResponse, MemoryPasskeyStore, Passkeys, RelyingParty, RequestChallengeResponse,
};
use tower_authy::store::{ManualClock, MemoryChallengeStore, MemoryUserStore};
use tower_authy::{SecondFactorProvider, TwoFactor};
use url::Url;
use webauthn_authenticator_rs::WebauthnAuthenticator;
use webauthn_authenticator_rs::softpasskey::SoftPasskey;

const SESSIONS: usize = 3;
const TTL: i64 = 300;
const EMAIL: &str = "ada@example.com";
const ORIGIN: &str = "http://localhost:3000";

#[derive(Debug, Clone)]
pub(super) enum Op {
    /// A new browser in slot `s` logs in with the password.
    Login {
        s: usize,
    },
    /// Browser `s` asks for its login's passkey options.
    Options {
        s: usize,
    },
    /// The authenticator signs an answer to the `back`-th newest options browser `s` was
    /// given (0: the latest), for this site or (`phished`) for a phishing page's origin.
    Sign {
        s: usize,
        back: usize,
        phished: bool,
    },
    /// The `which`-th signed answer (modulo their number) is posted by the browser it was
    /// signed for, if that browser is still in its slot.
    Post {
        which: usize,
    },
    /// Browser `s` posts a credential that is not one.
    Garbage {
        s: usize,
    },
    /// A new browser in slot `s` signs in with the passkey alone.
    SignIn {
        s: usize,
    },
    /// Browser `s` asks for the protected route.
    Protected {
        s: usize,
    },
    Advance {
        secs: i64,
    },
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    prop_oneof![
        2 => s.clone().prop_map(|s| Op::Login { s }),
        3 => s.clone().prop_map(|s| Op::Options { s }),
        4 => (s.clone(), prop_oneof![3 => Just(0usize), 1 => 1..3usize], prop::bool::weighted(0.1))
            .prop_map(|(s, back, phished)| Op::Sign { s, back, phished }),
        6 => (0..8usize).prop_map(|which| Op::Post { which }),
        1 => s.clone().prop_map(|s| Op::Garbage { s }),
        1 => s.clone().prop_map(|s| Op::SignIn { s }),
        1 => s.prop_map(|s| Op::Protected { s }),
        1 => (1i64..=150).prop_map(|secs| Op::Advance { secs }),
    ]
}

/// A signed answer, for the browser it was signed for.
struct Answer {
    browser: u64,
    /// Which of that browser's options it answers (its ceremony generation).
    generation: usize,
    counter: u32,
    phished: bool,
    json: String,
}

#[derive(Default)]
struct Slot {
    browser: Option<Browser>,
    /// Which browser this is (answers name it).
    id: u64,
    /// The pending login's deadline.
    pending: Option<i64>,
    /// Every options the login was given, oldest first.
    options: Vec<RequestChallengeResponse>,
    /// The generation of the ceremony waiting on the server (not yet taken).
    ceremony: Option<usize>,
    verified: bool,
}

struct Model {
    base: String,
    clock: ManualClock,
    key: SoftPasskey,
    /// The authenticator's signatures so far (its counter).
    signed: u32,
    /// The highest counter the server accepted.
    accepted: u32,
    credential_id: String,
    user_handle: Value,
    slots: Vec<Slot>,
    answers: Vec<Answer>,
    browsers: u64,
}

fn origin() -> Url {
    Url::parse(ORIGIN).unwrap()
}

impl Model {
    async fn new() -> Model {
        let clock = ManualClock::new(T0);
        let secrets = MemoryTotpSecretStore::new();
        let totp = TotpProvider::builder(TotpKey::from_bytes([9; 32]), secrets)
            .clock(clock.clone())
            .build()
            .unwrap();
        let users = MemoryUserStore::new();
        let subject = totp.register(EMAIL, "", "").await.unwrap();
        let now = T0;
        let code = totp.code_at(subject, now).await.unwrap();
        users.insert(
            EMAIL,
            PASSWORD,
            [tower_authy::factors::Factor::of(&totp, subject, 0)],
        );
        let rp = RelyingParty {
            id: "localhost".into(),
            name: "Model".into(),
            origins: vec![ORIGIN.into()],
        };
        let limits = tower_authy::limits::AttemptLimits {
            per_challenge: 100,
            per_account: 100,
            ..tower_authy::limits::AttemptLimits::default()
        };
        let two_factor = TwoFactor::builder(totp, users.clone(), users)
            .clock(clock.clone())
            .challenge_store(MemoryChallengeStore::new())
            .challenge_ttl(std::time::Duration::from_secs(TTL as u64))
            .attempt_limits(limits)
            .default_return_to("/account")
            .with_insecure_http_for_local_demo()
            .passkeys(Passkeys::new(&rp).unwrap(), MemoryPasskeyStore::new())
            .passkey_sign_in()
            .build()
            .unwrap();
        let server = Server::bind().await;
        let base = server.serve(app_router(
            &two_factor,
            tower_sessions::MemoryStore::default(),
        ));
        // Ada logs in with her app and adds the passkey.
        let mut b = Browser::new(&base);
        assert_eq!(b.login(EMAIL, PASSWORD).await.status, 303);
        assert_eq!(
            b.post("/authy/token", &[("token", &code)]).await.status,
            303
        );
        assert_eq!(b.post("/authy/factors/add", &[]).await.status, 303);
        let options = b.post("/authy/passkey/register/options", &[]).await.json();
        let user_handle = options["publicKey"]["user"]["id"].clone();
        let options: CreationChallengeResponse = serde_json::from_value(options).unwrap();
        let mut key = SoftPasskey::new(true);
        let answer = key.do_registration(origin(), options).unwrap();
        let credential_id = answer.id.clone();
        let answer = serde_json::to_string(&answer).unwrap();
        let page = b
            .post("/authy/passkey/register", &[("credential", &answer)])
            .await;
        assert_eq!(page.status, 303, "{}", page.body);
        Model {
            base,
            clock,
            key,
            signed: 0,
            accepted: 0,
            credential_id,
            user_handle,
            slots: (0..SESSIONS).map(|_| Slot::default()).collect(),
            answers: Vec::new(),
            browsers: 0,
        }
    }

    fn now(&self) -> i64 {
        use tower_authy::store::Clock;
        self.clock.now()
    }

    /// A new browser in slot `s`.
    fn fresh(&mut self, s: usize) -> &mut Browser {
        self.browsers += 1;
        self.slots[s] = Slot {
            browser: Some(Browser::new(&self.base)),
            id: self.browsers,
            ..Slot::default()
        };
        self.slots[s].browser.as_mut().unwrap()
    }

    /// Whether slot `s`'s login is pending and before its deadline.
    fn live(&self, s: usize) -> bool {
        self.slots[s].pending.is_some_and(|d| self.now() < d)
    }

    async fn apply(&mut self, op: &Op) {
        match *op {
            Op::Login { s } => {
                let page = self.fresh(s).login(EMAIL, PASSWORD).await;
                assert_eq!(page.status, 303, "{}", page.body);
                self.slots[s].pending = Some(self.now() + TTL);
            }
            Op::Options { s } => {
                let live = self.live(s);
                let Some(b) = self.slots[s].browser.as_mut() else {
                    return;
                };
                let page = b.post("/authy/passkey/options", &[]).await;
                if live {
                    assert_eq!(page.status, 200, "{}", page.body);
                    let slot = &mut self.slots[s];
                    slot.options.push(serde_json::from_str(&page.body).unwrap());
                    // The new options replace the waiting ceremony.
                    slot.ceremony = Some(slot.options.len() - 1);
                } else {
                    assert!(
                        matches!(page.status, 401 | 403),
                        "{}: {}",
                        page.status,
                        page.body
                    );
                }
            }
            Op::Sign { s, back, phished } => {
                let slot = &self.slots[s];
                let Some(generation) = slot.options.len().checked_sub(1 + back) else {
                    return;
                };
                let mut options = slot.options[generation].clone();
                let at = if phished {
                    options.public_key.rp_id = "evil.example".into();
                    Url::parse("https://evil.example").unwrap()
                } else {
                    origin()
                };
                let answer = self.key.do_authentication(at, options).unwrap();
                self.signed += 1;
                self.answers.push(Answer {
                    browser: slot.id,
                    generation,
                    counter: self.signed,
                    phished,
                    json: serde_json::to_string(&answer).unwrap(),
                });
            }
            Op::Post { which } => {
                if self.answers.is_empty() {
                    return;
                }
                let a = &self.answers[which % self.answers.len()];
                let Some(s) = self
                    .slots
                    .iter()
                    .position(|slot| slot.id == a.browser && slot.browser.is_some())
                else {
                    return;
                };
                let (generation, counter, phished, json) =
                    (a.generation, a.counter, a.phished, a.json.clone());
                let live = self.live(s);
                let slot = &self.slots[s];
                let expected = if !live || slot.verified {
                    None
                } else {
                    let fits = slot.ceremony == Some(generation) && !phished;
                    Some(fits && counter > self.accepted)
                };
                let b = self.slots[s].browser.as_mut().unwrap();
                let page = b.post("/authy/passkey", &[("credential", &json)]).await;
                assert!(page.status < 500, "{}: {}", page.status, page.body);
                match expected {
                    None => assert!(
                        matches!(page.status, 401 | 403),
                        "no pending login: {}: {}",
                        page.status,
                        page.body
                    ),
                    Some(true) => {
                        assert_eq!(page.status, 303, "{}", page.body);
                        self.accepted = counter;
                        let slot = &mut self.slots[s];
                        slot.verified = true;
                        slot.pending = None;
                        slot.ceremony = None;
                    }
                    Some(false) => {
                        let taken = self.slots[s].ceremony.take().is_none();
                        let want = if taken { 409 } else { 401 };
                        assert_eq!(page.status, want, "{}", page.body);
                    }
                }
            }
            Op::Garbage { s } => {
                let waiting = self.live(s) && !self.slots[s].verified;
                let Some(b) = self.slots[s].browser.as_mut() else {
                    return;
                };
                let page = b
                    .post("/authy/passkey", &[("credential", "{\"id\": 3}")])
                    .await;
                // Refused before anything is counted or taken: the ceremony waits on.
                if waiting {
                    assert_eq!(page.status, 422, "{}", page.body);
                } else {
                    assert!(matches!(page.status, 401 | 403), "{}", page.status);
                }
            }
            Op::SignIn { s } => {
                let (id, handle) = (self.credential_id.clone(), self.user_handle.clone());
                let b = self.fresh(s);
                let _ = b.get("/authy/login").await;
                let page = b.post("/authy/passkey/sign-in/options", &[]).await;
                assert_eq!(page.status, 200, "{}", page.body);
                let mut options: RequestChallengeResponse =
                    serde_json::from_str(&page.body).unwrap();
                options.public_key.allow_credentials =
                    serde_json::from_value(serde_json::json!([{"type": "public-key", "id": id}]))
                        .unwrap();
                let answer = self.key.do_authentication(origin(), options).unwrap();
                self.signed += 1;
                let mut json = serde_json::to_value(&answer).unwrap();
                // The software authenticator keeps no user handle; a passkey returns its own.
                json["response"]["userHandle"] = handle;
                let b = self.slots[s].browser.as_mut().unwrap();
                let page = b
                    .post(
                        "/authy/passkey/sign-in",
                        &[("credential", &json.to_string())],
                    )
                    .await;
                // Signed last, its counter is above every one accepted before.
                assert_eq!(page.status, 303, "{}", page.body);
                self.accepted = self.signed;
                self.slots[s].verified = true;
            }
            Op::Protected { s } => {
                let verified = self.slots[s].verified;
                let Some(b) = self.slots[s].browser.as_mut() else {
                    return;
                };
                let page = b.get("/account").await;
                assert_eq!(
                    page.status,
                    if verified { 200 } else { 303 },
                    "{}",
                    page.body
                );
            }
            Op::Advance { secs } => self.clock.advance(secs),
        }
    }
}

fn run(ops: &[Op]) {
    super::runtime().block_on(async {
        let mut m = Model::new().await;
        for op in ops {
            m.apply(op).await;
        }
        for s in 0..SESSIONS {
            m.apply(&Op::Protected { s }).await;
        }
    });
}

proptest! {
    #![proptest_config(ProptestConfig { cases: super::cases(), max_shrink_iters: 200, ..ProptestConfig::default() })]

    #[test]
    fn a_passkey_answer_logs_in_once_only_for_its_latest_ceremony_and_never_backwards(ops in prop::collection::vec(op(), 1..60)) {
        run(&ops);
    }
}
