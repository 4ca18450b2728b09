//! The second-factor flows end to end: a browser, an app on tower-authy, and a provider (mock
//! Authy, mock Verify v2, or self-hosted TOTP); each flow runs once per provider that can do it.

#![allow(clippy::unwrap_used)]

use test_support::{PASSWORD, ProviderKind, WAIT, World};

test_support::phone_providers!(
    push_approval_logs_in_and_rotates_the_session,
    push_denial_ends_the_login,
    pending_login_expires_on_the_server_whatever_the_provider_says,
    without_a_push_device_an_sms_code_works,
    voice_call_sends_a_code,
    sends_are_rate_limited_per_login,
    server_sent_events_push_the_outcome_the_moment_the_callback_lands,
    a_lost_callback_is_recovered_from_the_providers_record,
);
test_support::every_provider!(
    an_app_code_logs_in_without_the_push,
    logout_ends_the_session,
    events_and_status_need_a_pending_login,
    raising_the_credential_epoch_ends_every_session,
    the_csrf_token_rotates_with_the_session_id,
);

async fn push_approval_logs_in_and_rotates_the_session(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();

    let before = b.get("/account").await;
    assert_eq!(
        (before.status, before.location.as_deref()),
        (303, Some("/authy/login?return_to=%2Faccount"))
    );
    b.csrf_token().await;
    let anonymous_cookie = b.cookie();

    let login = b.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        (login.status, login.location.as_deref()),
        (303, Some("/authy/verify"))
    );
    let pending_cookie = b.cookie();
    assert_ne!(
        anonymous_cookie, pending_cookie,
        "session id rotates when the password is accepted"
    );

    let page = b.get("/authy/verify").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Waiting for your approval"));
    let push = w.pushes().pop().unwrap();
    assert_eq!(push.subject, subject);
    assert_eq!(push.ttl, 300);
    let code = push.details["Code"].as_str().unwrap();
    assert!(
        page.body.contains(code),
        "the page shows the matching code sent in the push"
    );
    assert_eq!(push.details["Login"], "ada@example.com");
    assert!(push.hidden["challenge"].is_string());

    // Force-browsing while the factor is pending is refused.
    assert_eq!(b.get("/account").await.status, 303);
    assert_eq!(b.status().await, "pending");

    w.approve(&push.id).await;
    assert_eq!(b.status().await, "approved");
    assert_eq!(
        b.get("/account").await.status,
        303,
        "approved is not yet logged in: the browser confirms"
    );

    let csrf_before = b.csrf_token().await;
    let confirm = b.post("/authy/confirm", &[]).await;
    assert_eq!(
        (confirm.status, confirm.location.as_deref()),
        (303, Some("/account"))
    );
    assert_ne!(
        b.cookie(),
        pending_cookie,
        "session id rotates when the second factor completes"
    );
    let account = b.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(
        account.body.starts_with("account of ada@example.com ("),
        "the handler gets the user from the store: {}",
        account.body
    );

    // The CSRF token rotates with the login: the old one no longer works.
    let stale = b
        .post_without_csrf("/authy/logout", &[("csrf_token", &csrf_before)])
        .await;
    assert_eq!(stale.status, 403);
    assert_ne!(b.csrf_token().await, csrf_before);

    // The same approval cannot be used twice.
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 401);
}

async fn push_denial_ends_the_login(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    assert_eq!(w.answer(&push, false).await, [Some(200)]);
    assert_eq!(b.status().await, "denied");
    let confirm = b.post("/authy/confirm", &[]).await;
    assert_eq!(confirm.status, 403);
    assert!(confirm.body.contains("denied"));
    let verify = b.get("/authy/verify").await;
    assert_eq!(verify.status, 403);
    assert!(
        verify.body.contains("Back to log in"),
        "the way back is offered"
    );
    // Denied cannot be overridden with a code either.
    let code = w.app_code(subject).await;
    assert_eq!(
        b.post("/authy/token", &[("token", &code)]).await.status,
        403
    );
    assert_eq!(b.get("/account").await.status, 303);
}

async fn pending_login_expires_on_the_server_whatever_the_provider_says(kind: ProviderKind) {
    let w = World::start_with(test_support::Options {
        configure: Box::new(|b| b.challenge_ttl(std::time::Duration::from_secs(60))),
        provider: kind,
        ..Default::default()
    })
    .await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    assert_eq!(w.pushes()[0].ttl, 60);

    // Only the app's clock moves: the provider still thinks the push is pending.
    w.clock.advance(61);
    assert_eq!(b.status().await, "expired");
    assert_eq!(
        w.answer(&push, true).await,
        [Some(409)],
        "a late approval is refused"
    );
    assert_eq!(b.status().await, "expired");
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 403);
    assert_eq!(b.get("/account").await.status, 303);
}

async fn an_app_code_logs_in_without_the_push(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.post(
        "/authy/login",
        &[
            ("login", "ada@example.com"),
            ("password", PASSWORD),
            ("return_to", "/account?tab=2"),
        ],
    )
    .await;
    let wrong = b.post("/authy/token", &[("token", "0000000")]).await;
    assert_eq!(wrong.status, 401);
    let code = w.app_code(subject).await;
    let done = b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/account?tab=2"))
    );
    assert_eq!(b.get("/account").await.status, 200);
    assert_eq!(w.code_checks(), 2);
    if kind == ProviderKind::Authy {
        let verify = w
            .mock
            .journal()
            .into_iter()
            .find(|e| e.endpoint == "verify")
            .unwrap();
        assert_eq!(verify.params["force"], "true", "verify always forces");
    }
}

async fn without_a_push_device_an_sms_code_works(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user_without_device("bob@example.com", "5551230002").await;
    let mut b = w.browser();
    assert_eq!(
        b.login("bob@example.com", PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/authy/verify")
    );
    let page = b.get("/authy/verify").await;
    assert!(
        !page.body.contains("Waiting for your approval"),
        "no push to wait for"
    );
    assert!(page.body.contains("Send me an SMS"));
    assert_eq!(b.get_json("/authy/status").await.json()["method"], "token");

    let sent = b.post("/authy/sms", &[]).await;
    assert_eq!(
        (sent.status, sent.location.as_deref()),
        (303, Some("/authy/verify?sent=sms"))
    );
    assert!(
        b.get("/authy/verify?sent=sms")
            .await
            .body
            .contains("We sent a code by SMS.")
    );
    let (channel, code) = w.sent_codes(subject).pop().unwrap();
    assert_eq!(channel, "sms");
    let done = b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(
        (done.status, done.location.as_deref()),
        (303, Some("/account"))
    );
    assert_eq!(b.get("/account").await.status, 200);
}

async fn voice_call_sends_a_code(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let called = b.post("/authy/call", &[]).await;
    assert_eq!(called.location.as_deref(), Some("/authy/verify?sent=call"));
    let sent = w.sent_codes(subject);
    assert_eq!(
        sent.len(),
        1,
        "forced, so it is not skipped for an app user"
    );
    assert_eq!(sent[0].0, "call");
}

async fn sends_are_rate_limited_per_login(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    for _ in 0..3 {
        assert_eq!(b.post("/authy/sms", &[]).await.status, 303);
    }
    let limited = b.post("/authy/call", &[]).await;
    assert_eq!(limited.status, 429);
    assert_eq!(
        w.sent_codes(subject).len(),
        3,
        "the refused send never reached the provider"
    );
}

async fn logout_ends_the_session(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let code = w.app_code(subject).await;
    b.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(b.get("/account").await.status, 200);
    assert_eq!(
        b.post_without_csrf("/authy/logout", &[]).await.status,
        403,
        "logout needs the CSRF token too"
    );
    let out = b.post("/authy/logout", &[]).await;
    assert_eq!((out.status, out.location.as_deref()), (303, Some("/")));
    assert_eq!(b.get("/account").await.status, 303);
}

async fn server_sent_events_push_the_outcome_the_moment_the_callback_lands(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;

    let mut events = b.open_events().await;
    assert_eq!(events.headers()["content-type"], "text/event-stream");
    let first = tokio::time::timeout(WAIT, events.chunk())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(String::from_utf8_lossy(&first).contains(r#""status":"pending""#));

    w.approve(&push).await;
    test_support::read_events_until(&mut events, r#""status":"approved""#).await;
    // Approved is final: the stream ends.
    let end = tokio::time::timeout(WAIT, async {
        loop {
            match events.chunk().await {
                Ok(Some(c)) if String::from_utf8_lossy(&c).starts_with(':') => continue,
                other => return other.map(|c| c.is_none()).unwrap_or(true),
            }
        }
    })
    .await
    .unwrap();
    assert!(end);
}

async fn events_and_status_need_a_pending_login(kind: ProviderKind) {
    let w = World::on(kind).await;
    let mut b = w.browser();
    assert_eq!(b.get_json("/authy/status").await.status, 401);
    assert_eq!(b.get("/authy/events").await.status, 401);
    assert_eq!(
        b.get("/authy/verify").await.location.as_deref(),
        Some("/authy/login")
    );
}

async fn a_lost_callback_is_recovered_from_the_providers_record(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    let mut events = b.open_events().await;

    // The callback never arrives: nothing subscribed at the provider's side.
    w.lose_callbacks();
    assert!(w.answer(&push, true).await.is_empty());
    test_support::read_events_until(&mut events, r#""status":"approved""#).await;
    assert!(w.read_a_push(), "it asked the provider");
    assert_eq!(
        b.post("/authy/confirm", &[]).await.location.as_deref(),
        Some("/account")
    );
}

/// The guard wraps any tower service, whatever its request and response bodies: here a plain
/// `service_fn` taking `Full<Bytes>` and answering `String`.
#[tokio::test]
async fn the_guard_wraps_any_service_and_body_type() {
    use http_body_util::Full;
    use tower::{ServiceBuilder, ServiceExt};
    let two_factor = offline_two_factor();
    let service = ServiceBuilder::new()
        .layer(two_factor.session_layer(tower_sessions::MemoryStore::default()))
        .layer(two_factor.layer())
        .service(tower::service_fn(
            |_: http::Request<Full<axum::body::Bytes>>| async {
                Ok::<_, std::convert::Infallible>(http::Response::new("secret".to_owned()))
            },
        ));
    let request = |accept: &str| {
        http::Request::get("/reports?year=2026")
            .header("accept", accept)
            .body(Full::default())
            .unwrap()
    };
    let page = service.clone().oneshot(request("text/html")).await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/authy/login?return_to=%2Freports%3Fyear%3D2026"
    );
    let api = service.oneshot(request("application/json")).await.unwrap();
    assert_eq!(api.status(), 401);
    let body = http_body_util::BodyExt::collect(api.into_body())
        .await
        .unwrap();
    assert!(!String::from_utf8_lossy(&body.to_bytes()).contains("secret"));
}

/// Inside `Router::nest`, the way back after the login keeps the nest's prefix.
#[tokio::test]
async fn the_guard_returns_to_the_full_path_under_a_nested_router() {
    use tower::ServiceExt;
    let two_factor = offline_two_factor();
    let reports = axum::Router::new()
        .route("/reports", axum::routing::get(|| async { "secret" }))
        .route_layer(two_factor.layer());
    let app = axum::Router::new()
        .nest("/team/{team}", reports)
        .layer(two_factor.session_layer(tower_sessions::MemoryStore::default()));
    let request = http::Request::get("/team/7/reports?year=2026")
        .body(axum::body::Body::empty())
        .unwrap();
    let page = app.oneshot(request).await.unwrap();
    assert_eq!(page.status(), 303);
    assert_eq!(
        page.headers()["location"],
        "/authy/login?return_to=%2Fteam%2F7%2Freports%3Fyear%3D2026"
    );
}

/// A browser that completed both factors (OneTouch) for a new user `email`.
async fn verified_browser(w: &World, email: &str) -> test_support::Browser {
    let authy_id = w.user(email, "5551230042").await;
    let mut b = w.browser();
    assert_eq!(b.login(email, PASSWORD).await.status, 303);
    let uuid = w.latest_push(authy_id).await;
    assert!(w.mock.approve(&uuid).await.unwrap().unwrap().delivered);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/account").await.status, 200);
    b
}

/// The guard loads the user on every request: one deleted since they logged in is out at once,
/// and stays out when an account with the same login comes back.
#[tokio::test]
async fn a_deleted_user_is_logged_out_at_the_next_request() {
    let w = World::start().await;
    let mut b = verified_browser(&w, "ada@example.com").await;
    assert!(w.users.remove("ada@example.com"));
    let page = b.get("/account").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/authy/login?return_to=%2Faccount"))
    );
    w.users.insert("ada@example.com", PASSWORD, [w.factor(1)]);
    assert_eq!(b.get("/account").await.status, 303, "the session was ended");
    let api = b.get_json("/account").await;
    assert_eq!(api.status, 401);
}

/// The user store down while a verified user browses: 503, nobody gets through.
#[tokio::test]
async fn the_guard_fails_closed_when_the_user_store_is_down() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    struct Switchable(tower_authy::store::MemoryUserStore, Arc<AtomicBool>);
    #[async_trait::async_trait]
    impl tower_authy::UserStore for Switchable {
        async fn verify_password(
            &self,
            login: &str,
            password: &tower_authy::secret::Password,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
            self.0.verify_password(login, password).await
        }
        async fn load(
            &self,
            id: &str,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
            if self.1.load(Ordering::SeqCst) {
                return Err(tower_authy::store::StoreError::unavailable(
                    "database is down",
                ));
            }
            self.0.load(id).await
        }
    }
    let users = tower_authy::store::MemoryUserStore::new();
    let down = Arc::new(AtomicBool::new(false));
    let w = World::start_with(test_support::Options {
        users: Some(Arc::new(Switchable(users.clone(), Arc::clone(&down)))),
        factors: Some(Arc::new(users.clone())),
        ..Default::default()
    })
    .await;
    let authy_id = w.user("ada@example.com", "5551230042").await;
    users.insert("ada@example.com", PASSWORD, [w.factor(authy_id)]);
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let uuid = w.latest_push(authy_id).await;
    assert!(w.mock.approve(&uuid).await.unwrap().unwrap().delivered);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/account").await.status, 200);

    down.store(true, Ordering::SeqCst);
    let page = b.get("/account").await;
    assert_eq!(
        (page.status, page.retry_after.as_deref()),
        (503, Some("30"))
    );
    assert!(!page.body.contains("account of"));
    down.store(false, Ordering::SeqCst);
    assert_eq!(
        b.get("/account").await.status,
        200,
        "back once the store is"
    );
}

/// tower-authy with defaults and an Authy that is never called.
fn offline_two_factor() -> tower_authy::TwoFactor {
    let authy =
        tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
            .build()
            .unwrap();
    tower_authy::TwoFactor::builder(
        authy,
        tower_authy::store::MemoryUserStore::new(),
        tower_authy::store::MemoryUserStore::new(),
    )
    .callback_url("https://app.example/authy/callback")
    .build()
    .unwrap()
}

/// "Log out everywhere": raising the user's credential epoch ends the sessions that proved
/// both factors before it, and a login whose password was accepted before it completes into
/// nothing. Failed before the fix: both sessions stayed in.
async fn raising_the_credential_epoch_ends_every_session(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut done = w.browser();
    done.login("ada@example.com", PASSWORD).await;
    let code = w.app_code(subject).await;
    assert_eq!(
        done.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
    assert_eq!(done.get("/account").await.status, 200);
    let mut halfway = w.browser();
    assert_eq!(halfway.login("ada@example.com", PASSWORD).await.status, 303);

    assert!(w.users.bump_credential_epoch("ada@example.com"));
    let page = done.get("/account").await;
    assert_eq!(
        (page.status, page.location.as_deref()),
        (303, Some("/authy/login?return_to=%2Faccount"))
    );
    w.advance(30);
    let code = w.app_code(subject).await;
    // The login begun before the raise ends at its next step, its code unchecked.
    let checks = w.verify_calls();
    let finished = halfway.post("/authy/token", &[("token", &code)]).await;
    assert_eq!(finished.status, 409, "{}", finished.body);
    assert!(finished.body.contains("Login ended"), "{}", finished.body);
    assert_eq!(
        w.verify_calls(),
        checks,
        "no code checked for an ended login"
    );
    assert_eq!(halfway.get("/account").await.status, 303);
    assert_eq!(
        done.get_json("/account").await.status,
        401,
        "ended for good"
    );

    // A login after the bump counts as usual.
    let mut fresh = w.browser();
    fresh.login("ada@example.com", PASSWORD).await;
    w.advance(30);
    let code = w.app_code(subject).await;
    assert_eq!(
        fresh.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
    assert_eq!(fresh.get("/account").await.status, 200);
}

/// With `Secure` cookies (the default) the session cookie carries the `__Host-` prefix, so no
/// subdomain can plant or overwrite it; the plain-http local demo keeps the plain name, which
/// browsers would otherwise refuse. Failed before the fix: the name had no prefix.
#[tokio::test]
async fn a_secure_session_cookie_is_a_host_cookie() {
    use tower::ServiceExt as _;
    let login = |tf: &tower_authy::TwoFactor| {
        let app: axum::Router = tf
            .router()
            .layer(tf.session_layer(tower_sessions::MemoryStore::default()));
        let request = http::Request::get("/authy/login")
            .header("accept", "application/json")
            .body(axum::body::Body::empty())
            .unwrap();
        app.oneshot(request)
    };
    let secure = login(&offline_two_factor()).await.unwrap();
    let cookie = secure.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(
        cookie.starts_with("__Host-tower_authy_session="),
        "{cookie}"
    );
    for part in ["Secure", "HttpOnly", "Path=/"] {
        assert!(cookie.contains(part), "{cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");

    let authy =
        tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
            .build()
            .unwrap();
    let local = tower_authy::TwoFactor::builder(
        authy,
        tower_authy::store::MemoryUserStore::new(),
        tower_authy::store::MemoryUserStore::new(),
    )
    .callback_url("http://127.0.0.1:3000/authy/callback")
    .with_insecure_http_for_local_demo()
    .build()
    .unwrap();
    let plain = login(&local).await.unwrap();
    let cookie = plain.headers()["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("tower_authy_session="), "{cookie}");
}

/// The CSRF token changes with the session id, at the password and again at completion: a
/// token read before either (by a script on the login page, say) is worth nothing after it.
/// API clients get the new token in the JSON answer. Failed before the fix: the token read on
/// the login form still worked on the waiting page.
async fn the_csrf_token_rotates_with_the_session_id(kind: ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    let before = b.csrf_token().await;
    let login = b
        .http
        .post(format!("{}/authy/login", w.base))
        .header("accept", "application/json")
        .form(&[
            ("login", "ada@example.com"),
            ("password", PASSWORD),
            ("csrf_token", before.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let answer: serde_json::Value = login.json().await.unwrap();
    let after = answer["csrf_token"].as_str().unwrap().to_owned();
    assert_ne!(after, before);
    let code = w.app_code(subject).await;
    for (token, want) in [(&before, 403), (&after, 303)] {
        let page = b
            .post_without_csrf("/authy/token", &[("token", &code), ("csrf_token", token)])
            .await;
        assert_eq!(page.status, want);
    }
    // Completion rotates it again.
    let page = b
        .post_without_csrf("/authy/logout", &[("csrf_token", after.as_str())])
        .await;
    assert_eq!(
        page.status, 403,
        "the waiting page's token ended with the login"
    );
    assert_eq!(b.get("/account").await.status, 200);
}
