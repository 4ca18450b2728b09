//! The factor model: a user holds several second factors of different providers (an Authy
//! push and a self-hosted authenticator app), adds them through enrolment, logs in with either
//! ("try another way"), renames and removes them; an Authy id from before is adopted.

use std::sync::Arc;
use test_support::{Options, PASSWORD, T0, World};
use tower_authy::audit::EventKind;
use tower_authy::{
    FactorStore, provider::totp::MemoryTotpSecretStore, provider::totp::TotpKey,
    provider::totp::TotpProvider, store::ManualClock, store::MemoryUserStore,
};

/// An app on Authy with a self-hosted TOTP provider beside it and the factor model on `users`.
async fn two_ways(users: &MemoryUserStore) -> (World, TotpProvider, ManualClock) {
    let clock = ManualClock::new(T0);
    let totp = TotpProvider::builder(TotpKey::from_bytes([9; 32]), MemoryTotpSecretStore::new())
        .clock(clock.clone())
        .build()
        .unwrap();
    let kept_totp = totp.clone();
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        factors: Some(Arc::new(users.clone())),
        enrolment: true,
        configure: Box::new(move |b| b.provider(kept_totp)),
        ..Options::default()
    })
    .await;
    (w, totp, clock)
}

/// Moves the app's, the mock's and the TOTP provider's clocks on together.
fn advance(w: &World, totp_clock: &ManualClock, secs: i64) {
    w.advance(secs);
    totp_clock.advance(secs);
}

/// The key an enrolment page shows for an authenticator app.
fn manual_key(page: &str) -> String {
    page.split("data-testid=\"manual-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the page shows the key")
        .to_owned()
}

/// The value of `attr` on the element holding `text` (the factor list and the "try another
/// way" buttons name factors by id).
fn factor_id(page: &str, label: &str) -> String {
    let at = page.find(label).expect("the label is on the page");
    let before = &page[..at];
    let start = before.rfind("data-factor=\"").expect("a factor item") + 13;
    before[start..].split('"').next().unwrap().to_owned()
}

#[tokio::test]
async fn a_user_holds_a_push_and_an_app_logs_in_with_either_and_removes_one() {
    let users = MemoryUserStore::new();
    let ada = users.insert("ada@example.com", PASSWORD, []);
    let (w, totp, totp_clock) = two_ways(&users).await;

    // No factor yet: the first login enrols, and the page offers both ways.
    let mut b = w.browser();
    let login = b.login("ada@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    let page = b.get("/authy/enrol").await;
    for way in ["value=\"authy\"", "value=\"totp\""] {
        assert!(page.body.contains(way), "{way}: {}", page.body);
    }
    let fields = [
        ("provider", "authy"),
        ("email", "ada@example.com"),
        ("country_code", "1"),
        ("phone", "5551230001"),
    ];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    let subject = w.mock.users().last().unwrap().id;
    let token = w.mock.app_token(subject).unwrap();
    let done = b
        .post(
            "/authy/enrol/confirm",
            &[("token", &token), ("label", "Ada's phone")],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(users.factors(&ada).await.unwrap().len(), 1);

    // A second way: an authenticator app, added from the factors page.
    let list = b.get("/authy/factors").await;
    assert!(list.body.contains("Ada&#39;s phone") || list.body.contains("Ada's phone"));
    assert!(!list.body.contains(">Remove<"), "the only factor cannot go");
    let add = b.post("/authy/factors/add", &[]).await;
    assert_eq!(add.location.as_deref(), Some("/authy/enrol"));
    let page = b
        .post(
            "/authy/enrol",
            &[("provider", "totp"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let key = manual_key(&page.body);
    let code = totp.authenticator_code(&key, T0).unwrap();
    let done = b
        .post(
            "/authy/enrol/confirm",
            &[("token", &code), ("label", "Work app")],
        )
        .await;
    assert_eq!(
        done.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        done.body
    );
    let list = b.get("/authy/factors").await;
    assert!(list.body.contains("Work app") && list.body.contains(">Remove<"));
    let app_id = factor_id(&list.body, "Work app");
    let push_id = factor_id(&list.body, "Ada");

    // Logging in offers the push first, and the app as another way; the push logs in.
    advance(&w, &totp_clock, 30);
    let mut other = w.browser();
    assert_eq!(other.login("ada@example.com", PASSWORD).await.status, 303);
    let verify = other.get("/authy/verify").await;
    assert!(verify.body.contains("Try another way") && verify.body.contains("Work app"));
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(other.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(other.get("/account").await.status, 200);

    // Another login switches to the app: the push it leaves no longer counts.
    advance(&w, &totp_clock, 30);
    let mut c = w.browser();
    c.login("ada@example.com", PASSWORD).await;
    let left_behind = w.latest_push(subject).await;
    let switched = c
        .post("/authy/factor", &[("factor", app_id.as_str())])
        .await;
    assert_eq!(switched.location.as_deref(), Some("/authy/verify"));
    let page = c.get("/authy/verify").await;
    assert!(
        !page.body.contains("Waiting for your approval"),
        "no push for an app"
    );
    assert_eq!(
        w.answer(&left_behind, true).await,
        [Some(409)],
        "the app refuses it"
    );
    assert_eq!(c.get("/account").await.status, 303, "the old push is void");
    let forged = c
        .post("/authy/factor", &[("factor", "someone-elses")])
        .await;
    assert_eq!(forged.status, 404);
    let code = totp
        .code_at(users_subject(&users, &ada, "totp").await, T0 + 60)
        .await
        .unwrap();
    let done = c.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);

    // Renamed, then the push removed (proved just now): the other session ends, this one
    // goes on, and the last factor cannot be removed.
    let renamed = c
        .post(
            "/authy/factors/rename",
            &[("factor", push_id.as_str()), ("label", "Old phone")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let gone = c
        .post("/authy/factors/remove", &[("factor", push_id.as_str())])
        .await;
    assert_eq!(
        gone.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        gone.body
    );
    assert_eq!(
        other.get("/account").await.status,
        303,
        "other sessions end"
    );
    assert_eq!(c.get("/account").await.status, 200, "this one goes on");
    let last = c
        .post("/authy/factors/remove", &[("factor", app_id.as_str())])
        .await;
    assert_eq!(last.status, 409);
    let left = users.factors(&ada).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].label, "Work app");

    // From now on the app alone: no push, nothing else offered.
    let mut d = w.browser();
    d.login("ada@example.com", PASSWORD).await;
    let page = d.get("/authy/verify").await;
    assert!(
        !page.body.contains("Waiting for your approval") && !page.body.contains("Try another way")
    );

    // The audit saw each factor added once, the removal once (with its epoch raise), and
    // never the refused removal of the last one.
    let kinds: Vec<EventKind> = w.audit.events().into_iter().map(|e| e.kind).collect();
    let added: Vec<&EventKind> = kinds
        .iter()
        .filter(|k| matches!(k, EventKind::FactorAdded { .. }))
        .collect();
    assert_eq!(
        added,
        [
            &EventKind::FactorAdded {
                factor_id: push_id.clone(),
                kind: tower_authy::factors::FactorKind::Push
            },
            &EventKind::FactorAdded {
                factor_id: app_id.clone(),
                kind: tower_authy::factors::FactorKind::App
            }
        ]
    );
    let removed = EventKind::FactorRemoved { factor_id: push_id };
    assert_eq!(kinds.iter().filter(|k| **k == removed).count(), 1);
    let bumps = kinds.iter().filter(|k| **k == EventKind::EpochBumped);
    assert_eq!(bumps.count(), 1);
}

/// An authenticator-app factor (id `app1`) as an application would have stored it.
fn stored_app() -> tower_authy::factors::Factor {
    tower_authy::factors::Factor {
        id: "app1".into(),
        kind: tower_authy::factors::FactorKind::App,
        provider: "totp".into(),
        subject: 77,
        label: "App".into(),
        phone: None,
        created_at: T0,
        last_used_at: None,
    }
}

/// The subject of the user's factor of `provider`.
async fn users_subject(users: &MemoryUserStore, id: &str, provider: &str) -> u64 {
    users
        .factors(id)
        .await
        .unwrap()
        .into_iter()
        .find(|f| f.provider == provider)
        .unwrap()
        .subject
}

/// Removing needs the second factor proved recently in this session: an hour later it is
/// refused (403) and nothing changes.
#[tokio::test]
async fn removing_a_factor_needs_a_fresh_second_factor() {
    let users = MemoryUserStore::new();
    let (w, _, _) = two_ways(&users).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let ada = users.insert(
        "ada@example.com",
        PASSWORD,
        [w.factor(subject), stored_app()],
    );
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    w.advance(3600);
    let refused = b.post("/authy/factors/remove", &[("factor", "app1")]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(users.factors(&ada).await.unwrap().len(), 2);
}

/// Migration from one Authy id per user: an application whose users' rows carry an Authy id
/// adopts each into its factor store (`factors::adopt`, idempotent), and such a user logs in
/// with it as before, sees it on the factors page, and adds an app beside it; the next login
/// offers both.
#[tokio::test]
async fn an_authy_id_from_before_the_factor_model_is_adopted_and_keeps_logging_in() {
    let users = MemoryUserStore::new();
    let (w, totp, totp_clock) = two_ways(&users).await;
    let authy = tower_authy::provider::authy::AuthyClient::builder(
        tower_authy::secret::ApiKey::new(w.mock.api_key()),
    )
    .base_url(w.mock.base_url())
    .build()
    .unwrap();
    // The row as an older version kept it: a user, and their Authy id in a column beside.
    let authy_id = w.user("ada-registration@example.com", "5551230001").await;
    let ada = users.insert("ada@example.com", PASSWORD, []);
    // The one-time migration, run twice (every start until the column is dropped).
    assert!(
        tower_authy::factors::adopt(&users, &ada, &authy, authy_id, T0)
            .await
            .unwrap()
    );
    assert!(
        !tower_authy::factors::adopt(&users, &ada, &authy, authy_id, T0)
            .await
            .unwrap()
    );
    let held = users.factors(&ada).await.unwrap();
    assert_eq!(held.len(), 1, "adopted once");
    assert_eq!(
        (held[0].provider.as_str(), held[0].kind, held[0].subject),
        ("authy", tower_authy::factors::FactorKind::Push, authy_id)
    );
    let adopted = held[0].id.clone();

    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let push = w.latest_push(authy_id).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    let list = b.get("/authy/factors").await;
    assert!(
        list.body.contains(&format!("data-factor=\"{adopted}\"")),
        "{}",
        list.body
    );
    // A minute later, an app beside it.
    advance(&w, &totp_clock, 60);
    assert_eq!(
        b.post("/authy/factors/add", &[]).await.location.as_deref(),
        Some("/authy/enrol")
    );
    let page = b
        .post(
            "/authy/enrol",
            &[("provider", "totp"), ("email", "ada@example.com")],
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.body);
    let code = totp
        .authenticator_code(&manual_key(&page.body), T0 + 60)
        .unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        done.body
    );
    assert_eq!(users.factors(&ada).await.unwrap().len(), 2);

    // The app was used last (at its enrolment): offered first, the Authy push as another way.
    let mut next = w.browser();
    next.login("ada@example.com", PASSWORD).await;
    let page = next.get("/authy/verify").await;
    assert!(
        page.body.contains("Try another way")
            && page.body.contains(&format!("value=\"{adopted}\"")),
        "{}",
        page.body
    );
    let switched = next.post("/authy/factor", &[("factor", &adopted)]).await;
    assert_eq!(switched.location.as_deref(), Some("/authy/verify"));
    let push = w.latest_push(authy_id).await;
    w.approve(&push).await;
    assert_eq!(next.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(next.get("/account").await.status, 200);
}

/// An administrator's reset for a user who lost every factor: their factors go, their recovery codes stop working, and their sessions end; the next login
/// enrols again.
#[tokio::test]
async fn an_administrators_reset_removes_every_factor_and_ends_the_sessions() {
    use tower_authy::factors::{Stores, reset_second_factor};
    use tower_authy::{recovery::RecoveryCodeHash, recovery::RecoveryCodeStore};
    let users = MemoryUserStore::new();
    let (w, _, _) = two_ways(&users).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let ada = users.insert(
        "ada@example.com",
        PASSWORD,
        [w.factor(subject), stored_app()],
    );
    let codes = tower_authy::recovery::MemoryRecoveryCodeStore::new();
    let code = RecoveryCodeHash::from_bytes([3; 32]);
    codes.replace(&ada, vec![code]).await.unwrap();
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/account").await.status, 200);

    let stores = Stores {
        factors: &users,
        recovery: Some(&codes),
        devices: None,
        audit: Some(&w.audit),
    };
    w.audit.take_names();
    let done = reset_second_factor(&stores, &ada).await.unwrap();
    assert_eq!(w.audit.take_names(), ["admin_reset", "epoch_bumped"]);
    assert_eq!(done.factors_removed, 2);
    assert!(users.factors(&ada).await.unwrap().is_empty());
    assert!(
        !codes.redeem(&ada, &code).await.unwrap(),
        "recovery codes void"
    );
    assert_eq!(b.get("/account").await.status, 303, "the session ended");
    let again = w.browser().login("ada@example.com", PASSWORD).await;
    assert_eq!(again.location.as_deref(), Some("/authy/enrol"));
}

/// Ada, registered with Authy and holding that phone as a stored push factor (id `push1`, no
/// legacy Authy id): her user id and the push's subject.
async fn ada_with_a_stored_push(w: &World, users: &MemoryUserStore) -> (String, u64) {
    let subject = w.user("ada-registration@example.com", "5551230001").await;
    let ada = users.insert("ada@example.com", PASSWORD, []);
    let push = tower_authy::factors::Factor {
        id: "push1".into(),
        kind: tower_authy::factors::FactorKind::Push,
        provider: "authy".into(),
        subject,
        label: "Phone".into(),
        phone: None,
        created_at: T0,
        last_used_at: None,
    };
    assert!(users.add(&ada, push, &[]).await.unwrap());
    (ada, subject)
}

/// Adding a factor is as sensitive as removing one: it needs the second factor proved in this
/// session within ten minutes, and proving the new factor at its enrolment does not count as
/// proving the user again (else a stolen session could add its own app, then remove the
/// owner's factors with it).
#[tokio::test]
async fn adding_a_factor_needs_a_fresh_second_factor_and_does_not_refresh_it() {
    let users = MemoryUserStore::new();
    let (w, totp, totp_clock) = two_ways(&users).await;
    let (ada, subject) = ada_with_a_stored_push(&w, &users).await;
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);

    // An hour on, the session is still logged in but no longer fresh: no adding.
    advance(&w, &totp_clock, 3600);
    let refused = b.post("/authy/factors/add", &[]).await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_ne!(
        b.get("/authy/enrol").await.status,
        200,
        "no enrolment began"
    );

    // Proved again: an app is added 500 s later...
    let mut c = w.browser();
    c.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(c.post("/authy/confirm", &[]).await.status, 303);
    advance(&w, &totp_clock, 500);
    let add = c.post("/authy/factors/add", &[]).await;
    assert_eq!(
        add.location.as_deref(),
        Some("/authy/enrol"),
        "{}",
        add.body
    );
    let page = c
        .post(
            "/authy/enrol",
            &[("provider", "totp"), ("email", "ada@example.com")],
        )
        .await;
    let now = T0 + 3600 + 500;
    let code = totp
        .authenticator_code(&manual_key(&page.body), now)
        .unwrap();
    let done = c.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(
        done.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        done.body
    );

    // ...but 200 s after that the push was proved 700 s ago: removing it is refused.
    advance(&w, &totp_clock, 200);
    let refused = c
        .post("/authy/factors/remove", &[("factor", "push1")])
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    assert_eq!(users.factors(&ada).await.unwrap().len(), 2);
}

/// A login whose password was accepted before a factor was removed (which raises the
/// credential epoch) ends at its next step: its approved push does not complete it, and the
/// factor's use is not recorded.
#[tokio::test]
async fn a_login_begun_before_a_factor_was_removed_ends_at_its_next_step() {
    let users = MemoryUserStore::new();
    let (w, _, _) = two_ways(&users).await;
    let (ada, subject) = ada_with_a_stored_push(&w, &users).await;
    assert!(
        users
            .add(&ada, stored_app(), &["push1".into()])
            .await
            .unwrap()
    );

    // A logs in with the push (app and push were never used: the push is offered first).
    let mut a = w.browser();
    a.login("ada@example.com", PASSWORD).await;
    let first = w.latest_push(subject).await;
    w.approve(&first).await;
    assert_eq!(a.post("/authy/confirm", &[]).await.status, 303);
    let used = users.factors(&ada).await.unwrap()[0].last_used_at;

    // B's password is accepted; then A removes the app, raising the epoch.
    w.advance(60);
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let second = w.latest_push(subject).await;
    assert_ne!(first, second);
    let gone = a.post("/authy/factors/remove", &[("factor", "app1")]).await;
    assert_eq!(
        gone.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        gone.body
    );

    // B's push is approved, but B's login is over: no way in, and no use recorded.
    w.answer(&second, true).await;
    let done = b.post("/authy/confirm", &[]).await;
    assert_ne!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert!(done.status >= 400, "{}", done.body);
    assert_eq!(b.get("/account").await.status, 303);
    let push = users.factors(&ada).await.unwrap();
    assert_eq!(
        push[0].last_used_at, used,
        "the ended login recorded no use"
    );
}

/// A factor of a provider no longer configured is never offered, but it is still the user's:
/// removing another factor (a compare-and-set on the user's factors) succeeds all the same.
/// Failed before the fix: the write expected only the offered factors, and answered 409
/// "changed meanwhile" for ever.
#[tokio::test]
async fn a_factor_of_a_retired_provider_does_not_block_removing_another() {
    let users = MemoryUserStore::new();
    let (w, _, _) = two_ways(&users).await;
    let (ada, subject) = ada_with_a_stored_push(&w, &users).await;
    let retired = tower_authy::factors::Factor {
        id: "old1".into(),
        provider: "retired".into(),
        ..stored_app()
    };
    let held: Vec<String> = vec!["push1".into()];
    assert!(users.add(&ada, stored_app(), &held).await.unwrap());
    let held: Vec<String> = vec!["push1".into(), "app1".into()];
    assert!(users.add(&ada, retired, &held).await.unwrap());
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    let list = b.get("/authy/factors").await;
    assert!(!list.body.contains("old1"), "never offered: {}", list.body);
    let removed = b.post("/authy/factors/remove", &[("factor", "app1")]).await;
    assert_eq!(
        removed.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        removed.body
    );
    let left: Vec<String> = users
        .factors(&ada)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(left, ["push1", "old1"]);
}
