//! Enrolment: a user without a second factor turns it on (phone, QR code, proving token) and
//! off again (password and token); bad input changes nothing.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use test_support::{Options, PASSWORD, World};
use tower_authy::{MemoryUserStore, UserStore};

async fn world() -> (World, MemoryUserStore, String) {
    let users = MemoryUserStore::new();
    let id = users.insert("new@example.com", PASSWORD, None);
    let kept = users.clone();
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        configure: Box::new(move |b| b.enrolment(kept)),
        ..Options::default()
    })
    .await;
    (w, users, id)
}

async fn authy_id_of(users: &MemoryUserStore, id: &str) -> Option<u64> {
    users.load(id).await.unwrap().unwrap().authy_id
}

#[tokio::test]
async fn a_user_without_a_second_factor_turns_it_on_and_off() {
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

    // Bad input: a clear 422, nothing registered anywhere.
    for (email, cc, phone) in [
        ("new@example.com", "1", "12"),
        ("new@example.com", "12345", "5551230099"),
        ("not an email", "1", "5551230099"),
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

    let fields = [
        ("email", "new@example.com"),
        ("country_code", "+1"),
        ("phone", "(555) 123-0099"),
    ];
    let page = b.post("/authy/enrol", &fields).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("data-testid=\"qr-code\"") && page.body.contains("<svg"));
    let authy_id = w.mock.users()[0].id;
    assert_eq!(
        authy_id_of(&users, &id).await,
        None,
        "not on before a token proves the phone"
    );

    let wrong = b
        .post("/authy/enrol/confirm", &[("token", "0000000")])
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(authy_id_of(&users, &id).await, None);
    let token = w.mock.app_token(authy_id).unwrap();
    let done = b.post("/authy/enrol/confirm", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    assert_eq!(
        b.get("/account").await.status,
        200,
        "enrolling proved both factors"
    );
    assert_eq!(authy_id_of(&users, &id).await, Some(authy_id));

    // Off again: the password and a current code, both right.
    w.advance(30);
    let token = w.mock.app_token(authy_id).unwrap();
    let refused = b
        .post(
            "/authy/disable",
            &[("password", "wrong"), ("token", &token)],
        )
        .await;
    assert_eq!(refused.status, 401);
    assert_eq!(authy_id_of(&users, &id).await, Some(authy_id));
    let before = b.cookie();
    let off = b
        .post(
            "/authy/disable",
            &[("password", PASSWORD), ("token", &token)],
        )
        .await;
    assert_eq!(off.location.as_deref(), Some("/account"), "{}", off.body);
    assert_ne!(b.cookie(), before, "the session id rotates");
    assert_eq!(authy_id_of(&users, &id).await, None);

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
    let id = users.insert("new@example.com", PASSWORD, None);
    let codes = tower_authy::MemoryRecoveryCodeStore::new();
    let (kept_users, kept_codes) = (users.clone(), codes.clone());
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        configure: Box::new(move |b| b.enrolment(kept_users).recovery_codes(kept_codes)),
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
        done.body.contains("href=\"/account\""),
        "then on to where the user was going"
    );
    assert_eq!(
        tower_authy::RecoveryCodeStore::remaining(&codes, &id)
            .await
            .unwrap(),
        10
    );
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test]
async fn without_enrolment_such_a_user_is_refused_like_a_wrong_password() {
    let w = World::start().await;
    w.users.insert("new@example.com", PASSWORD, None);
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
