//! Web hygiene: same-origin redirects only, CSRF tokens on every form, failed logins that all
//! look the same, and sessions that hold no password or code.

use test_support::{PASSWORD, World};

#[tokio::test]
async fn open_redirects_are_refused() {
    let w = World::start().await;
    for (i, target) in [
        "//evil.example/",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/%2F%2Fevil.example",
    ]
    .iter()
    .enumerate()
    {
        let email = format!("u{i}@example.com");
        let authy_id = w.user(&email, &format!("555123000{i}")).await;
        let mut b = w.browser();
        b.post(
            "/authy/login",
            &[
                ("login", &email),
                ("password", PASSWORD),
                ("return_to", target),
            ],
        )
        .await;
        let token = w.mock.app_token(authy_id).unwrap();
        w.advance(30); // a fresh app token for each user
        let done = b.post("/authy/token", &[("token", &token)]).await;
        assert_eq!(done.location.as_deref(), Some("/account"), "{target}");
    }
}

#[tokio::test]
async fn state_changing_forms_need_the_csrf_token() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.csrf_token().await;
    let r = b
        .post_without_csrf(
            "/authy/login",
            &[("login", "ada@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = b
        .post_without_csrf(
            "/authy/login",
            &[
                ("login", "ada@example.com"),
                ("password", PASSWORD),
                ("csrf_token", "guess"),
            ],
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(
        w.mock.approval_requests().is_empty(),
        "no push without a valid form"
    );

    b.login("ada@example.com", PASSWORD).await;
    let token = w.mock.app_token(authy_id).unwrap();
    for path in [
        "/authy/token",
        "/authy/sms",
        "/authy/call",
        "/authy/confirm",
    ] {
        assert_eq!(
            b.post_without_csrf(path, &[("token", &token)]).await.status,
            403,
            "{path}"
        );
    }
    assert_eq!(w.verify_calls(), 0);
    assert!(w.mock.outbox(authy_id).unwrap().is_empty());
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn failed_logins_look_the_same() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    w.users.insert("nofactor@example.com", PASSWORD, []);
    let mut bodies = Vec::new();
    for (login, password) in [
        ("ada@example.com", "wrong"),
        ("nobody@example.com", PASSWORD),
        ("nofactor@example.com", PASSWORD),
    ] {
        let mut b = w.browser();
        let csrf = b.csrf_token().await;
        let r = b
            .http
            .post(format!("{}/authy/login", b.base))
            .header("accept", "application/json")
            .form(&[
                ("login", login),
                ("password", password),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        bodies.push((r.status().as_u16(), r.text().await.unwrap()));
    }
    assert!(bodies.iter().all(|b| b == &bodies[0]), "{bodies:?}");
    assert_eq!(bodies[0].0, 401);
}

#[tokio::test]
async fn sessions_hold_no_password_or_token() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let token = w.mock.app_token(authy_id).unwrap();
    b.post("/authy/token", &[("token", &token)]).await;
    assert_eq!(b.get("/account").await.status, 200);
    let saved = w.sessions.saved.lock().unwrap().clone();
    assert!(!saved.is_empty());
    for record in saved {
        assert!(
            !record.contains(PASSWORD)
                && !record.contains(&token)
                && !record.contains(w.mock.api_key()),
            "{record}"
        );
    }
}

/// Every form route (each takes its form through one CSRF-checking extractor): a missing or
/// wrong token is refused with 403 before anything runs, for a verified session too; the
/// token may come in the `X-CSRF-Token` header instead of the form.
#[tokio::test]
async fn every_form_route_refuses_a_missing_or_wrong_token_and_takes_the_header() {
    let users = tower_authy::store::MemoryUserStore::new();
    let (codes, devices) = (
        tower_authy::recovery::MemoryRecoveryCodeStore::new(),
        tower_authy::remember::MemoryDeviceStore::new(),
    );
    let w = World::start_with(test_support::Options {
        users: Some(std::sync::Arc::new(users.clone())),
        factors: Some(std::sync::Arc::new(users.clone())),
        enrolment: true,
        configure: Box::new(move |b| {
            let key = tower_authy::remember::RememberKey::from_bytes([9; 32]);
            b.recovery_codes(codes)
                .remember_devices(Default::default(), key, devices)
        }),
        ..test_support::Options::default()
    })
    .await;
    let authy = tower_authy::provider::authy::AuthyClient::builder(
        tower_authy::secret::ApiKey::new(w.mock.api_key()),
    )
    .base_url(w.mock.base_url())
    .build()
    .unwrap();
    let subject = authy
        .register_user("ada@example.com", "5551230001", "1")
        .await
        .unwrap();
    users.insert(
        "ada@example.com",
        PASSWORD,
        [tower_authy::factors::Factor::of(&authy, subject, 0)],
    );
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let token = w.mock.app_token(subject).unwrap();
    assert_eq!(
        b.post("/authy/token", &[("token", &token)]).await.status,
        303
    );
    let forms = [
        "/authy/login",
        "/authy/logout",
        "/authy/token",
        "/authy/sms",
        "/authy/call",
        "/authy/confirm",
        "/authy/factor",
        "/authy/factors/add",
        "/authy/factors/rename",
        "/authy/factors/remove",
        "/authy/enrol",
        "/authy/enrol/sms",
        "/authy/enrol/confirm",
        "/authy/recovery-codes",
        "/authy/devices/forget",
        "/authy/reprove",
    ];
    for path in forms {
        for token in [None, Some("guess")] {
            let mut fields = vec![("factor", "legacy"), ("label", "x")];
            if let Some(t) = token {
                fields.push(("csrf_token", t));
            }
            let r = b.post_without_csrf(path, &fields).await;
            assert_eq!(r.status, 403, "{path} with {token:?}: {}", r.body);
        }
    }
    assert_eq!(
        b.get("/account").await.status,
        200,
        "nothing was done: still logged in"
    );
    // The header stands in for the field (API clients).
    let csrf = b.csrf_token().await;
    let r = b
        .http
        .post(format!("{}/authy/logout", b.base))
        .header("x-csrf-token", csrf)
        .header("content-type", "application/x-www-form-urlencoded")
        .body("")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    assert_eq!(b.get("/account").await.status, 303, "logged out");
}
