//! Enrolment: a user without a second factor turns it on (phone, QR code, proving token) and
//! cannot remove the last one while it is required; bad input changes nothing.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use test_support::{Options, PASSWORD, World};
use tower_authy::{FactorStore, store::MemoryUserStore};

async fn world() -> (World, MemoryUserStore, String) {
    let (w, users) = enrolment_on(|b| b).await;
    let id = users.insert("new@example.com", PASSWORD, []);
    (w, users, id)
}

/// An app on Authy with enrolment into its own user store, built with `configure` on top.
async fn enrolment_on(
    configure: impl FnOnce(tower_authy::TwoFactorBuilder) -> tower_authy::TwoFactorBuilder
    + Send
    + 'static,
) -> (World, MemoryUserStore) {
    let users = MemoryUserStore::new();
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        factors: Some(Arc::new(users.clone())),
        enrolment: true,
        configure: Box::new(configure),
        ..Options::default()
    })
    .await;
    (w, users)
}

/// A new account without a second factor, logged in and registering `phone` at enrolment.
async fn registering(
    w: &World,
    users: &MemoryUserStore,
    email: &str,
    phone: &str,
) -> test_support::Browser {
    users.insert(email, PASSWORD, []);
    let mut b = w.browser();
    b.login(email, PASSWORD).await;
    let fields = [("email", email), ("country_code", "1"), ("phone", phone)];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    b
}

/// The subject of the user's one factor, if they hold one.
async fn subject_of(users: &MemoryUserStore, id: &str) -> Option<u64> {
    let held = users.factors(id).await.unwrap();
    assert!(held.len() <= 1, "one factor at most here: {held:?}");
    held.first().map(|f| f.subject)
}

#[tokio::test]
async fn a_user_without_a_second_factor_turns_it_on_and_keeps_the_last_one() {
    let (w, users, id) = world().await;
    let mut b = w.browser();
    b.csrf_token().await;
    let anonymous = b.cookie();
    let login = b.login("new@example.com", PASSWORD).await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    assert_ne!(
        b.cookie(),
        anonymous,
        "enrolment starts on a fresh session id"
    );
    assert_eq!(
        b.get("/account").await.status,
        303,
        "enrolling is not logged in"
    );
    let page = b.get("/authy/enrol").await;
    assert!(
        page.body.contains("Turn on the second step"),
        "{}",
        page.body
    );
    // The country code field suggests calling codes by country.
    assert!(
        page.body.contains(r#"list="calling-codes""#)
            && page
                .body
                .contains(r#"<option value="44">United Kingdom</option>"#),
        "{}",
        page.body
    );
    // The address the user just logged in with is not asked for again.
    assert!(
        page.body
            .contains("data-testid=\"enrol-email\">For <strong>new@example.com</strong>")
            && !page.body.contains("name=\"email\""),
        "{}",
        page.body
    );

    // Bad input: a clear 422, nothing registered anywhere.
    for (email, cc, phone) in [
        ("new@example.com", "1", "12"),
        ("new@example.com", "12345", "5551230099"),
    ] {
        let fields = [("email", email), ("country_code", cc), ("phone", phone)];
        assert_eq!(
            b.post("/authy/enrol", &fields).await.status,
            422,
            "{fields:?}"
        );
    }
    let forged = b
        .post_without_csrf(
            "/authy/enrol",
            &[
                ("email", "new@example.com"),
                ("country_code", "1"),
                ("phone", "5551230099"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(w.mock.users().is_empty());

    // The login's address is registered, whatever a form says.
    let fields = [
        ("email", "someone-else@example.com"),
        ("country_code", "+1"),
        ("phone", "(555) 123-0099"),
    ];
    let page = b.post("/authy/enrol", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(w.mock.users()[0].emails, ["new@example.com"]);
    assert!(page.body.contains("data-testid=\"qr-code\"") && page.body.contains("<svg"));
    let authy_id = w.mock.users()[0].id;
    assert_eq!(
        subject_of(&users, &id).await,
        None,
        "not on before a token proves the phone"
    );

    let wrong = b
        .post("/authy/enrol/confirm", &[("token", "0000000")])
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(subject_of(&users, &id).await, None);
    let token = w.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(
        b.get("/account").await.status,
        200,
        "enrolling proved both factors"
    );
    assert_eq!(subject_of(&users, &id).await, Some(authy_id));

    // The one factor cannot be removed while a second factor is required.
    let factor = users.factors(&id).await.unwrap()[0].id.clone();
    let refused = b
        .post("/authy/factors/remove", &[("factor", &factor)])
        .await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert_eq!(subject_of(&users, &id).await, Some(authy_id));

    // An administrator's reset removes it; the session ends with the raised epoch.
    let stores = tower_authy::factors::Stores {
        factors: &users,
        recovery: None,
        devices: None,
        audit: None,
    };
    let reset = tower_authy::factors::reset_second_factor(&stores, &id).await;
    assert_eq!(reset.unwrap().factors_removed, 1);
    assert_eq!(subject_of(&users, &id).await, None);
    assert_eq!(b.get("/account").await.status, 303, "the session ended");

    // Logging in again starts a new enrolment rather than letting the password through.
    b.post("/authy/logout", &[]).await;
    let again = b.login("new@example.com", PASSWORD).await;
    assert_eq!(again.location.as_deref(), Some("/authy/enrol"));
}

#[tokio::test]
async fn an_enrolled_user_logs_in_with_the_second_factor() {
    let (w, _, _) = world().await;
    let mut b = w.browser();
    b.login("new@example.com", PASSWORD).await;
    let fields = [
        ("email", "new@example.com"),
        ("country_code", "1"),
        ("phone", "5551230099"),
    ];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    let sms = b.post("/authy/enrol/sms", &[]).await;
    assert_eq!(sms.location.as_deref(), Some("/authy/enrol?sent=sms"));
    let authy_id = w.mock.users()[0].id;
    let code = w.mock.outbox(authy_id).unwrap().pop().unwrap().token;
    let done = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"));
    b.post("/authy/logout", &[]).await;
    let next = b.login("new@example.com", PASSWORD).await;
    assert_eq!(
        next.location.as_deref(),
        Some("/authy/verify"),
        "now the phone is needed"
    );
}

#[tokio::test]
async fn enrolment_hands_out_the_first_recovery_codes() {
    let users = MemoryUserStore::new();
    let id = users.insert("new@example.com", PASSWORD, []);
    let codes = tower_authy::recovery::MemoryRecoveryCodeStore::new();
    let kept_codes = codes.clone();
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        factors: Some(Arc::new(users.clone())),
        enrolment: true,
        configure: Box::new(move |b| b.recovery_codes(kept_codes)),
        ..Options::default()
    })
    .await;
    let mut b = w.browser();
    b.login("new@example.com", PASSWORD).await;
    let fields = [
        ("email", "new@example.com"),
        ("country_code", "1"),
        ("phone", "5551230099"),
    ];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    let token = w.mock.app_token(w.mock.users()[0].id).unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &token)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.body.matches("<code>").count(), 10);
    assert!(
        !done.body.contains("no longer work"),
        "a first set voids nothing: {}",
        done.body
    );
    assert!(
        done.body.contains("href=\"/account\""),
        "then on to where the user was going"
    );
    assert_eq!(
        tower_authy::recovery::RecoveryCodeStore::remaining(&codes, &id)
            .await
            .unwrap(),
        10
    );
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test]
async fn without_enrolment_such_a_user_is_refused_like_a_wrong_password() {
    let w = World::start().await;
    w.users.insert("new@example.com", PASSWORD, []);
    let mut b = w.browser();
    let page = b.login("new@example.com", PASSWORD).await;
    assert_eq!(page.status, 401);
    assert!(page.body.contains("Wrong email or password."));
    assert_eq!(b.get("/authy/enrol").await.status, 404);
}

#[tokio::test]
async fn phones_tried_at_enrolment_are_limited() {
    let (w, _, _) = world().await;
    let mut b = w.browser();
    b.login("new@example.com", PASSWORD).await;
    for i in 0..10 {
        let phone = format!("55512300{i:02}");
        let fields = [
            ("email", "new@example.com"),
            ("country_code", "1"),
            ("phone", phone.as_str()),
        ];
        assert_eq!(b.post("/authy/enrol", &fields).await.status, 200);
    }
    let fields = [
        ("email", "new@example.com"),
        ("country_code", "1"),
        ("phone", "5551230099"),
    ];
    assert_eq!(b.post("/authy/enrol", &fields).await.status, 429);
    assert_eq!(
        w.mock.users().len(),
        10,
        "the refused try registered nothing"
    );
}

/// A world on `provider` with enrolment and recovery codes on, and Ada, who signed up without
/// a second factor.
async fn enrolling_world(
    provider: test_support::ProviderKind,
) -> (
    World,
    MemoryUserStore,
    tower_authy::recovery::MemoryRecoveryCodeStore,
    String,
) {
    let users = MemoryUserStore::new();
    let id = users.insert("ada@example.com", PASSWORD, []);
    let codes = tower_authy::recovery::MemoryRecoveryCodeStore::new();
    let kept_codes = codes.clone();
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        factors: Some(Arc::new(users.clone())),
        enrolment: true,
        provider,
        configure: Box::new(move |b| b.recovery_codes(kept_codes)),
        ..Options::default()
    })
    .await;
    (w, users, codes, id)
}

/// Registers `phone` on the enrolment form; the code the newly set-up app shows (an
/// authenticator app given the key the page shows).
async fn register_phone(w: &World, b: &mut test_support::Browser, phone: &str) -> String {
    let fields = [
        ("email", "ada@example.com"),
        ("country_code", "1"),
        ("phone", phone),
    ];
    let page = b.post("/authy/enrol", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    app_code_for(w, &page.body)
}

/// The code an authenticator app shows now for the key on an enrolment page.
fn app_code_for(w: &World, page: &str) -> String {
    let key = page
        .split("data-testid=\"manual-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .expect("the enrolment page shows the key");
    let app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([1; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();
    app.authenticator_code(key, tower_authy::store::Clock::now(&w.clock))
        .unwrap()
}

/// The outside review's attack, step by step: somebody who knows the password opens an
/// enrolment and keeps it; the user enrols their own phone; the old enrolment must then fail
/// at every step, write nothing, and never reach a protected route. Failed on the code before
/// the fix: the old session registered its phone, confirmed it, got fresh recovery codes and
/// replaced the user's factor.
async fn a_stale_enrolment_cannot_replace_a_factor_set_up_since(
    provider: test_support::ProviderKind,
) {
    let (w, users, codes, id) = enrolling_world(provider).await;
    // Two attackers' sessions: one registers its phone before the user enrols, one after.
    let mut early = w.browser();
    let mut late = w.browser();
    for b in [&mut early, &mut late] {
        let page = b.login("ada@example.com", PASSWORD).await;
        assert_eq!(page.location.as_deref(), Some("/authy/enrol"));
    }
    let early_code = register_phone(&w, &mut early, "5559990001").await;

    // The user enrols their own phone and keeps the recovery codes.
    let mut ada = w.browser();
    ada.login("ada@example.com", PASSWORD).await;
    let code = register_phone(&w, &mut ada, "5551230001").await;
    let done = ada.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    let ada_codes = done.recovery_codes();
    assert_eq!(ada_codes.len(), 10);
    let factor = subject_of(&users, &id).await;
    assert!(factor.is_some());
    let registered = w.mock.users().len();

    // The stale enrolments: refused with a clear page at register and at confirm.
    let fields = [
        ("email", "ada@example.com"),
        ("country_code", "1"),
        ("phone", "5559990002"),
    ];
    let page = late.post("/authy/enrol", &fields).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.body.contains("Log in again"), "{}", page.body);
    assert_eq!(w.mock.users().len(), registered, "nothing registered");
    let page = early
        .post("/authy/enrol/confirm", &[("token", &early_code)])
        .await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert!(page.recovery_codes().is_empty(), "no recovery codes shown");
    // Ended: the next try is back to the login, never on.
    let again = early
        .post("/authy/enrol/confirm", &[("token", &early_code)])
        .await;
    assert_eq!(again.location.as_deref(), Some("/authy/login"));

    for b in [&mut early, &mut late] {
        assert_eq!(b.get("/account").await.status, 303, "no way in");
    }
    assert_eq!(
        subject_of(&users, &id).await,
        factor,
        "the factor is the user's"
    );
    let left = tower_authy::recovery::RecoveryCodeStore::remaining(&codes, &id).await;
    assert_eq!(left.unwrap(), 10, "the user's recovery codes are untouched");
    assert_eq!(
        ada.get("/account").await.status,
        200,
        "the user is still in"
    );
}

/// An enrolment lasts as long as a login may: past the deadline it is refused.
async fn an_enrolment_expires_with_the_login(provider: test_support::ProviderKind) {
    let (w, users, _, id) = enrolling_world(provider).await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let code = register_phone(&w, &mut b, "5551230001").await;
    w.advance(301);
    let page = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(page.body.contains("took too long"), "{}", page.body);
    assert_eq!(subject_of(&users, &id).await, None);
}

/// Raising the credential epoch (a new password, "log out everywhere") ends an enrolment;
/// so does a new login in the same session.
async fn an_enrolment_ends_with_the_epoch_or_a_new_login(provider: test_support::ProviderKind) {
    let (w, users, _, id) = enrolling_world(provider).await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let code = register_phone(&w, &mut b, "5551230001").await;
    assert!(users.bump_credential_epoch("ada@example.com"));
    let page = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(page.status, 409, "{}", page.body);
    assert_eq!(subject_of(&users, &id).await, None);

    // A new login in the same session (as a user with a factor) drops the enrolment.
    let subject = w.user("bob@example.com", "5551230002").await;
    users.insert("bob@example.com", PASSWORD, [w.factor(subject)]);
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let code = register_phone(&w, &mut b, "5551230003").await;
    let bob = b.login("bob@example.com", PASSWORD).await;
    assert_eq!(bob.location.as_deref(), Some("/authy/verify"));
    let page = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(page.location.as_deref(), Some("/authy/login"));
    assert_eq!(subject_of(&users, &id).await, None);
}

test_support::every_provider!(
    a_stale_enrolment_cannot_replace_a_factor_set_up_since,
    an_enrolment_expires_with_the_login,
    an_enrolment_ends_with_the_epoch_or_a_new_login,
);

/// Registering somebody else's phone at enrolment gets their Authy id; the guesses made
/// against it count against that factor, whatever the number of accounts. Failed before the
/// fix: each throwaway account had its own five guesses (here 20 reached Authy, not 10).
#[tokio::test]
async fn code_guesses_count_against_the_factor_across_accounts() {
    let (w, users) = enrolment_on(|b| b).await;
    let victim = w.user("victim@example.com", "5551230042").await;
    users.insert("victim@example.com", PASSWORD, [w.factor(victim)]);
    let mut refused = 0;
    for i in 0..4 {
        let email = format!("throwaway{i}@example.com");
        let mut b = registering(&w, &users, &email, "5551230042").await;
        for _ in 0..5 {
            let page = b
                .post("/authy/enrol/confirm", &[("token", "0000000")])
                .await;
            assert!([401, 429].contains(&page.status), "{}", page.status);
            refused += usize::from(page.status == 429);
        }
    }
    assert_eq!(w.mock.users().len(), 1, "one phone, one Authy id");
    assert_eq!(
        w.verify_calls(),
        10,
        "the factor's limit, not 4 accounts × 5"
    );
    assert_eq!(refused, 10);
    // The owner's own login is not locked: the push still works.
    let mut owner = w.browser();
    assert_eq!(
        owner
            .login("victim@example.com", PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/authy/verify")
    );
    let push = w.latest_push(victim).await;
    w.approve(&push).await;
    assert_eq!(owner.post("/authy/confirm", &[]).await.status, 303);
}

/// Sends at enrolment count per phone number too: throwaway accounts that all register one
/// victim's number send it no more codes than one account may. Failed before the fix: each
/// account had its own hourly allowance.
#[tokio::test]
async fn enrolment_sends_count_per_phone_across_accounts() {
    let (w, users) = enrolment_on(|b| {
        b.send_limits(tower_authy::limits::SendLimits {
            per_hour: 3,
            ..tower_authy::limits::SendLimits::default()
        })
    })
    .await;
    let mut sent = 0;
    for i in 0..3 {
        let email = format!("throwaway{i}@example.com");
        let mut b = registering(&w, &users, &email, "5551230042").await;
        for _ in 0..3 {
            let page = b.post("/authy/enrol/sms", &[]).await;
            assert!([303, 429].contains(&page.status), "{}", page.status);
            sent += usize::from(page.status == 303);
        }
    }
    let victim = w.mock.users()[0].id;
    assert_eq!(
        w.mock.outbox(victim).unwrap().len(),
        3,
        "the phone's hourly limit"
    );
    assert_eq!(sent, 3);
}

/// On Verify a phone from the enrolment form becomes a channel for login codes only once a
/// code sent to it is proved: a user who confirmed with the authenticator app is never sent
/// codes at that number, one who confirmed with an SMS code is. Failed before the fix: the
/// number was taken on trust, and the app user's login sent it an SMS.
#[tokio::test]
async fn on_verify_a_phone_is_a_login_channel_only_once_proved() {
    let (w, users, _, ada) = enrolling_world(test_support::ProviderKind::Verify).await;
    let to = |phone: &str| {
        w.mock
            .verify_codes()
            .into_iter()
            .filter(|c| c.to == phone)
            .count()
    };

    // Ada proves the authenticator app, never the number she typed.
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let code = register_phone(&w, &mut b, "5559990001").await;
    let done = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(subject_of(&users, &ada).await.is_some());
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let sms = b.post("/authy/sms", &[]).await;
    assert_eq!(sms.status, 409, "{}", sms.body);
    assert!(
        sms.body.contains("Use the code from your app"),
        "{}",
        sms.body
    );
    assert_eq!(to("+15559990001"), 0, "nothing sent to the unproved number");

    // Bob proves his number with a code sent to it: from then on it is his channel.
    let mut b = registering(&w, &users, "bob@example.com", "5551230002").await;
    assert_eq!(b.post("/authy/enrol/sms", &[]).await.status, 303);
    let code = w.mock.verify_codes().pop().unwrap();
    assert_eq!(code.to, "+15551230002");
    let done = b
        .post("/authy/enrol/confirm", &[("token", &code.code)])
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let mut b = w.browser();
    b.login("bob@example.com", PASSWORD).await;
    assert_eq!(b.post("/authy/sms", &[]).await.status, 303);
    assert_eq!(to("+15551230002"), 2);
    let code = w.mock.verify_codes().pop().unwrap();
    let done = b.post("/authy/token", &[("token", &code.code)]).await;
    assert_eq!(done.status, 303, "{}", done.body);
    assert_eq!(b.get("/account").await.status, 200);
}
