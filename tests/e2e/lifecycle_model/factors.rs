//! The factor model under random interleavings: one user, Ada, holds an Authy push factor and
//! adds, chooses and removes self-hosted authenticator apps beside it from three browsers, while
//! the clock moves. After every step these invariants are checked:
//!
//! 1. a login offers first the factor the model expects (the last used, then push before app,
//!    then the oldest): a push is sent exactly when that factor is the push;
//! 2. "try another way" moves the login to the chosen factor, keeps its deadline, and only to a
//!    factor the user holds other than the current one;
//! 3. a browser reaches the protected route only after proving the factor its login is on,
//!    before the deadline, at the user's current credential epoch;
//! 4. a factor is added only from a verified session whose second factor was proved within ten
//!    minutes, and the store then holds it; proving the new factor at its enrolment does not
//!    make the session fresh again;
//! 5. a factor is removed only from a verified session whose second factor was proved within
//!    ten minutes, never the last one; a removal raises the epoch, which ends every other
//!    session and every login begun before it, and this session goes on;
//! 6. the store always holds exactly the model's factors, at least one until an administrator's
//!    reset, and nothing answers 5xx;
//! 7. a route behind `fresh(5 minutes)` lets a verified session through only within five
//!    minutes of its last proof, and sends it to prove again otherwise;
//! 8. an administrator's reset removes every factor and raises the epoch once per factor (every
//!    session and waiting login ends); the next login enrols a first factor, which proves it.

use proptest::prelude::*;
use std::sync::Arc;
use std::time::Duration;
use test_support::{Browser, Options, PASSWORD, T0, World};
use tower_authy::factors::{Factor, FactorKind};
use tower_authy::limits::{LoginThrottle, SendLimits};
use tower_authy::provider::totp::{MemoryTotpSecretStore, TotpKey, TotpProvider};
use tower_authy::store::{ManualClock, MemoryUserStore};
use tower_authy::{FactorStore, UserStore};

const SESSIONS: usize = 3;
const TTL: i64 = 300;
const FRESH: i64 = 600;
/// `/security`'s freshness (the test app's `layer().fresh(..)`).
const SECURITY_FRESH: i64 = 300;
const EMAIL: &str = "ada@example.com";

#[derive(Debug, Clone)]
pub(super) enum Op {
    /// A new browser in slot `s` logs in with the password.
    Login {
        s: usize,
    },
    /// "Try another way": a waiting login (the `s`-th) moves to the user's `which`-th factor.
    Switch {
        s: usize,
        which: usize,
    },
    /// A waiting login (the `s`-th) is proved with the factor it is on.
    Prove {
        s: usize,
    },
    /// Session `s` adds an authenticator app.
    AddApp {
        s: usize,
    },
    /// Session `s` removes the user's `which`-th factor.
    Remove {
        s: usize,
        which: usize,
    },
    /// Session `s` asks for the protected route.
    Protected {
        s: usize,
    },
    /// Session `s` asks for the route that needs a fresh second factor.
    Security {
        s: usize,
    },
    /// An administrator resets Ada's second factors.
    AdminReset,
    Advance {
        secs: i64,
    },
}

pub(super) fn op() -> impl Strategy<Value = Op> {
    let s = 0..SESSIONS;
    prop_oneof![
        3 => s.clone().prop_map(|s| Op::Login { s }),
        3 => (s.clone(), 0..4usize).prop_map(|(s, which)| Op::Switch { s, which }),
        4 => s.clone().prop_map(|s| Op::Prove { s }),
        2 => s.clone().prop_map(|s| Op::AddApp { s }),
        2 => (s.clone(), 0..4usize).prop_map(|(s, which)| Op::Remove { s, which }),
        2 => s.clone().prop_map(|s| Op::Protected { s }),
        2 => s.prop_map(|s| Op::Security { s }),
        1 => Just(Op::AdminReset),
        2 => (1i64..=240).prop_map(|secs| Op::Advance { secs }),
    ]
}

/// A factor as the model knows it.
#[derive(Debug, Clone)]
struct Known {
    id: String,
    kind: FactorKind,
    subject: u64,
    created_at: i64,
    last_used_at: Option<i64>,
}

/// A login waiting for its second factor.
#[derive(Debug, Clone)]
struct Pending {
    factor: String,
    deadline: i64,
    /// The credential epoch when the password was accepted.
    epoch: u64,
    /// The push it sent, when on the push factor.
    push: Option<String>,
}

#[derive(Default)]
struct Slot {
    browser: Option<Browser>,
    pending: Option<Pending>,
    /// Verified at this epoch.
    verified: Option<u64>,
    proved_at: Option<i64>,
}

struct Model {
    w: World,
    users: MemoryUserStore,
    ada: String,
    totp: TotpProvider,
    totp_clock: ManualClock,
    factors: Vec<Known>,
    epoch: u64,
    slots: Vec<Slot>,
    /// Time steps each TOTP subject has had a code accepted in (a step is accepted once).
    used_steps: std::collections::HashSet<(u64, i64)>,
    apps_added: usize,
}

impl Model {
    async fn new() -> Model {
        let users = MemoryUserStore::new();
        let totp_clock = ManualClock::new(T0);
        let totp =
            TotpProvider::builder(TotpKey::from_bytes([4; 32]), MemoryTotpSecretStore::new())
                .clock(totp_clock.clone())
                .build()
                .unwrap();
        let kept_totp = totp.clone();
        let w = World::start_with(Options {
            users: Some(Arc::new(users.clone())),
            factors: Some(Arc::new(users.clone())),
            enrolment: true,
            configure: Box::new(move |b| {
                b.provider(kept_totp)
                    .challenge_ttl(Duration::from_secs(TTL as u64))
                    // Only right passwords and codes here: nothing should be throttled.
                    .login_throttle(LoginThrottle {
                        per_account: 100,
                        per_address: 10_000,
                        ..LoginThrottle::default()
                    })
                    .send_limits(SendLimits {
                        pushes_per_10_minutes: 100,
                        per_login: 100,
                        per_hour: 100,
                    })
            }),
            ..Options::default()
        })
        .await;
        // Registered with Authy, then held as a stored push factor.
        let subject = w.user("ada-registration@example.com", "5551230001").await;
        let ada = users.insert(EMAIL, PASSWORD, []);
        let push = Factor {
            id: "push".into(),
            kind: FactorKind::Push,
            provider: "authy".into(),
            subject,
            label: "Phone".into(),
            phone: None,
            created_at: T0,
            last_used_at: None,
        };
        assert!(users.add(&ada, push, &[]).await.unwrap());
        Model {
            w,
            users,
            ada,
            totp,
            totp_clock,
            factors: vec![Known {
                id: "push".into(),
                kind: FactorKind::Push,
                subject,
                created_at: T0,
                last_used_at: None,
            }],
            epoch: 0,
            slots: (0..SESSIONS).map(|_| Slot::default()).collect(),
            used_steps: std::collections::HashSet::new(),
            apps_added: 0,
        }
    }

    fn now(&self) -> i64 {
        tower_authy::store::Clock::now(&self.w.clock)
    }

    fn advance(&mut self, secs: i64) {
        self.w.advance(secs);
        self.totp_clock.advance(secs);
    }

    /// The factor a login offers first (invariant 1).
    fn first(&self) -> Known {
        let rank = |k: FactorKind| u8::from(k != FactorKind::Push);
        let mut all = self.factors.clone();
        all.sort_by(|a, b| {
            b.last_used_at
                .cmp(&a.last_used_at)
                .then(rank(a.kind).cmp(&rank(b.kind)))
                .then(a.created_at.cmp(&b.created_at))
        });
        all.remove(0)
    }

    fn factor(&self, id: &str) -> Option<&Known> {
        self.factors.iter().find(|f| f.id == id)
    }

    fn pushes_to(&self, subject: u64) -> Vec<String> {
        self.w
            .pushes()
            .into_iter()
            .filter(|p| p.subject == subject)
            .map(|p| p.id)
            .collect()
    }

    /// Starts the login on `factor` in slot `s` (after a login or a switch), checking that a
    /// push went out exactly when the factor is the push.
    fn on_factor(&mut self, s: usize, factor: &Known, deadline: i64, epoch: u64, before: usize) {
        let push_subject = self.factors.iter().find(|f| f.kind == FactorKind::Push);
        let sent = push_subject
            .map(|f| self.pushes_to(f.subject))
            .unwrap_or_default();
        let push = if factor.kind == FactorKind::Push {
            assert_eq!(sent.len(), before + 1, "a login on the push sends one push");
            sent.last().cloned()
        } else {
            assert_eq!(sent.len(), before, "a login on an app sends no push");
            None
        };
        self.slots[s].pending = Some(Pending {
            factor: factor.id.clone(),
            deadline,
            epoch,
            push,
        });
    }

    fn push_count(&self) -> usize {
        self.factors
            .iter()
            .find(|f| f.kind == FactorKind::Push)
            .map_or(0, |f| self.pushes_to(f.subject).len())
    }

    fn browser(&mut self, s: usize) -> &mut Browser {
        self.slots[s]
            .browser
            .as_mut()
            .expect("a browser in the slot")
    }

    /// The `k`-th (cyclically) of the slots whose login waits for its second factor: steps
    /// that act on a waiting login land on one whenever there is one.
    fn waiting(&self, k: usize) -> Option<usize> {
        let waiting: Vec<usize> = (0..SESSIONS)
            .filter(|&s| self.slots[s].pending.is_some())
            .collect();
        (!waiting.is_empty()).then(|| waiting[k % waiting.len()])
    }

    fn verified(&self, s: usize) -> bool {
        self.slots[s].verified == Some(self.epoch)
    }

    async fn apply(&mut self, op: &Op) {
        let now = self.now();
        match *op {
            Op::Login { s } if self.factors.is_empty() => {
                // After a reset: the login enrols a first factor, an app, which proves it.
                // Enrolments share AddApp's bound (the enrolment code quota).
                if self.apps_added >= 4 {
                    return;
                }
                self.apps_added += 1;
                let mut b = self.w.browser();
                let page = b.login(EMAIL, PASSWORD).await;
                assert_eq!(
                    page.location.as_deref(),
                    Some("/authy/enrol"),
                    "{}",
                    page.body
                );
                let page = b
                    .post("/authy/enrol", &[("provider", "totp"), ("email", EMAIL)])
                    .await;
                assert_eq!(page.status, 200, "{}", page.body);
                let key = manual_key(&page.body);
                let code = self.totp.authenticator_code(&key, now).unwrap();
                let done = b
                    .post("/authy/enrol/confirm", &[("token", code.as_str())])
                    .await;
                assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
                let stored = self.users.factors(&self.ada).await.unwrap();
                assert_eq!(stored.len(), 1);
                self.used_steps.insert((stored[0].subject, now / 30));
                self.factors.push(Known {
                    id: stored[0].id.clone(),
                    kind: FactorKind::App,
                    subject: stored[0].subject,
                    created_at: stored[0].created_at,
                    last_used_at: stored[0].last_used_at,
                });
                self.slots[s] = Slot {
                    browser: Some(b),
                    pending: None,
                    verified: Some(self.epoch),
                    proved_at: Some(now),
                };
            }
            Op::Login { s } => {
                let before = self.push_count();
                let mut b = self.w.browser();
                let page = b.login(EMAIL, PASSWORD).await;
                assert_eq!(page.status, 303, "{}", page.body);
                assert_eq!(page.location.as_deref(), Some("/authy/verify"));
                self.slots[s] = Slot {
                    browser: Some(b),
                    ..Slot::default()
                };
                let first = self.first();
                self.on_factor(s, &first, now + TTL, self.epoch, before);
            }
            Op::Switch { s, which } => {
                let Some(s) = self.waiting(s) else { return };
                let Some(p) = self.slots[s].pending.clone() else {
                    return;
                };
                // Near the deadline the outcome hangs on a second: not this model's question.
                if (now - p.deadline).abs() <= 1 {
                    return;
                }
                if self.factors.is_empty() {
                    return;
                }
                let target = self.factors[which % self.factors.len()].clone();
                let before = self.push_count();
                let page = self
                    .browser(s)
                    .post("/authy/factor", &[("factor", target.id.as_str())])
                    .await;
                assert!(page.status < 500, "{}", page.body);
                if now >= p.deadline || p.epoch != self.epoch {
                    // An ended login moves nowhere, and can never let anyone in.
                    self.slots[s].pending = None;
                    let page = self.browser(s).get("/account").await;
                    assert_eq!(page.status, 303, "an ended login let someone in");
                } else if target.id == p.factor || self.factor(&p.factor).is_none() {
                    // The current factor, or one removed meanwhile, is no other way.
                    if target.id == p.factor {
                        assert_eq!(page.status, 404, "{}", page.body);
                    }
                    assert_eq!(self.push_count(), before);
                } else {
                    assert_eq!(
                        page.location.as_deref(),
                        Some("/authy/verify"),
                        "{}",
                        page.body
                    );
                    self.on_factor(s, &target, p.deadline, p.epoch, before);
                }
            }
            Op::Prove { s } => {
                let Some(s) = self.waiting(s) else { return };
                let Some(mut p) = self.slots[s].pending.clone() else {
                    return;
                };
                let Some(factor) = self.factor(&p.factor).cloned() else {
                    // Its factor is gone (and the epoch with it): the login cannot end well.
                    self.slots[s].pending = None;
                    let page = self.browser(s).get("/account").await;
                    assert_ne!(
                        page.status, 200,
                        "a login on a removed factor let someone in"
                    );
                    return;
                };
                let mut now = now;
                if factor.kind == FactorKind::App
                    && self.used_steps.contains(&(factor.subject, now / 30))
                {
                    self.advance(30);
                    now += 30;
                }
                if (now - p.deadline).abs() <= 1 {
                    return;
                }
                let in_time = now < p.deadline && p.epoch == self.epoch;
                let page = match factor.kind {
                    FactorKind::App => {
                        let code = self.totp.code_at(factor.subject, now).await.unwrap();
                        let page = self
                            .browser(s)
                            .post("/authy/token", &[("token", code.as_str())])
                            .await;
                        // Checked, hence spent, even for a login that cannot end well (begun
                        // before an epoch raise): never assume a step is still unused.
                        self.used_steps.insert((factor.subject, now / 30));
                        page
                    }
                    _ => {
                        let push = p.push.take().expect("a login on the push sent one");
                        let answers = self.w.answer(&push, true).await;
                        if in_time {
                            assert_eq!(answers, [Some(200)], "the app took the approval");
                        }
                        self.browser(s).post("/authy/confirm", &[]).await
                    }
                };
                assert!(page.status < 500, "{}", page.body);
                self.slots[s].pending = None;
                if in_time {
                    assert_eq!(page.location.as_deref(), Some("/account"), "{}", page.body);
                    let slot = &mut self.slots[s];
                    slot.verified = Some(self.epoch);
                    slot.proved_at = Some(now);
                    let f = self.factors.iter_mut().find(|f| f.id == factor.id).unwrap();
                    f.last_used_at = Some(now);
                } else {
                    // Whatever the answer, the session is not in.
                    let page = self.browser(s).get("/account").await;
                    assert_eq!(page.status, 303, "a late or stale login let someone in");
                }
            }
            Op::AddApp { s } => {
                // Four apps at most: enrolment's code quota (five tries a user per login
                // window, right codes included) is the brute-force suite's subject, not this.
                if self.slots[s].browser.is_none() || self.apps_added >= 4 {
                    return;
                }
                let proved = self.slots[s].proved_at;
                if proved.is_some_and(|at| (now - at - FRESH).abs() <= 1) {
                    return;
                }
                let stored_before = self.users.factors(&self.ada).await.unwrap().len();
                let add = self.browser(s).post("/authy/factors/add", &[]).await;
                if !self.verified(s) {
                    assert_eq!(add.status, 303);
                    assert_ne!(
                        add.location.as_deref(),
                        Some("/authy/enrol"),
                        "only a verified session adds"
                    );
                    let stored = self.users.factors(&self.ada).await.unwrap().len();
                    assert_eq!(stored, stored_before);
                    return;
                }
                if proved.is_none_or(|at| now - at >= FRESH) {
                    assert_eq!(
                        add.status, 403,
                        "adding needs a fresh second factor: {}",
                        add.body
                    );
                    return;
                }
                assert_eq!(
                    add.location.as_deref(),
                    Some("/authy/enrol"),
                    "{}",
                    add.body
                );
                let page = self
                    .browser(s)
                    .post("/authy/enrol", &[("provider", "totp"), ("email", EMAIL)])
                    .await;
                assert_eq!(page.status, 200, "{}", page.body);
                let key = manual_key(&page.body);
                let code = self.totp.authenticator_code(&key, now).unwrap();
                self.apps_added += 1;
                let label = format!("App {}", self.apps_added);
                let done = self
                    .browser(s)
                    .post(
                        "/authy/enrol/confirm",
                        &[("token", code.as_str()), ("label", label.as_str())],
                    )
                    .await;
                assert_eq!(
                    done.location.as_deref(),
                    Some("/authy/factors"),
                    "{}",
                    done.body
                );
                let stored = self.users.factors(&self.ada).await.unwrap();
                let new = stored
                    .iter()
                    .find(|f| self.factor(&f.id).is_none())
                    .expect("the store holds the new factor");
                assert_eq!(
                    (new.kind, new.label.as_str()),
                    (FactorKind::App, label.as_str())
                );
                self.used_steps.insert((new.subject, now / 30));
                self.factors.push(Known {
                    id: new.id.clone(),
                    kind: FactorKind::App,
                    subject: new.subject,
                    created_at: new.created_at,
                    last_used_at: new.last_used_at,
                });
            }
            Op::Remove { s, which } => {
                if self.slots[s].browser.is_none() {
                    return;
                }
                if self.factors.is_empty() {
                    return;
                }
                let target = self.factors[which % self.factors.len()].id.clone();
                let proved = self.slots[s].proved_at;
                if proved.is_some_and(|at| (now - at - FRESH).abs() <= 1) {
                    return;
                }
                let page = self
                    .browser(s)
                    .post("/authy/factors/remove", &[("factor", target.as_str())])
                    .await;
                let fresh = proved.is_some_and(|at| now - at < FRESH);
                if !self.verified(s) {
                    assert_eq!(page.status, 303, "{}", page.body);
                    assert_ne!(page.location.as_deref(), Some("/authy/factors"));
                } else if self.factors.len() < 2 {
                    assert_eq!(page.status, 409, "the last factor stays: {}", page.body);
                } else if !fresh {
                    assert_eq!(page.status, 403, "{}", page.body);
                } else {
                    assert_eq!(
                        page.location.as_deref(),
                        Some("/authy/factors"),
                        "{}",
                        page.body
                    );
                    self.factors.retain(|f| f.id != target);
                    self.epoch += 1;
                    let slot = &mut self.slots[s];
                    slot.verified = Some(self.epoch);
                    slot.proved_at = Some(now);
                }
            }
            Op::Protected { s } => {
                if self.slots[s].browser.is_none() {
                    return;
                }
                let page = self.browser(s).get("/account").await;
                let expected = if self.verified(s) { 200 } else { 303 };
                assert_eq!(page.status, expected, "{}", page.body);
            }
            Op::Security { s } => {
                if self.slots[s].browser.is_none() {
                    return;
                }
                let proved = self.slots[s].proved_at;
                if proved.is_some_and(|at| (now - at - SECURITY_FRESH).abs() <= 1) {
                    return;
                }
                let page = self.browser(s).get("/security").await;
                let fresh = proved.is_some_and(|at| now - at < SECURITY_FRESH);
                if !self.verified(s) {
                    assert_eq!(
                        page.location.as_deref(),
                        Some("/authy/login?return_to=%2Fsecurity"),
                        "{}",
                        page.body
                    );
                } else if fresh {
                    assert_eq!(page.status, 200, "{}", page.body);
                } else {
                    assert_eq!(
                        page.location.as_deref(),
                        Some("/authy/reprove?return_to=%2Fsecurity"),
                        "a stale proof proves again: {}",
                        page.body
                    );
                }
            }
            Op::AdminReset => {
                let stores = tower_authy::factors::Stores {
                    factors: &self.users,
                    recovery: None,
                    devices: None,
                    audit: None,
                };
                let done = tower_authy::factors::reset_second_factor(&stores, &self.ada)
                    .await
                    .unwrap();
                assert_eq!(done.factors_removed, self.factors.len());
                self.epoch += self.factors.len() as u64;
                self.factors.clear();
            }
            Op::Advance { secs } => self.advance(secs),
        }
        // Invariant 6: the store holds exactly the model's factors, never none.
        let mut stored: Vec<String> = self
            .users
            .factors(&self.ada)
            .await
            .unwrap()
            .into_iter()
            .map(|f| f.id)
            .collect();
        let mut known: Vec<String> = self.factors.iter().map(|f| f.id.clone()).collect();
        stored.sort();
        known.sort();
        assert_eq!(stored, known);
        let epoch = self
            .users
            .load(&self.ada)
            .await
            .unwrap()
            .unwrap()
            .credential_epoch;
        assert_eq!(epoch, self.epoch, "one epoch raise per removal");
    }
}

/// The key an enrolment page shows for typing into an app.
fn manual_key(body: &str) -> String {
    body.split("data-testid=\"manual-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the key")
        .to_owned()
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
    fn with_several_factors_each_login_is_on_the_chosen_one_and_the_last_is_never_removed(ops in prop::collection::vec(op(), 1..50)) {
        run(&ops);
    }
}
