//! One test (or more) per line of SECURITY.md that applies to the library.

#![allow(clippy::unwrap_used)]

use mock_authy::signature::{canonical_json, canonical_query, sign};
use mock_authy::{CallbackMethod, Fault, FaultKind};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Duration;
use test_support::{Browser, Options, PASSWORD, World};
use tower_authy::StoreError;

/// Sends a callback signed with the right key for `body`, as Authy would, with a chosen nonce
/// and signing URL.
async fn send_callback(w: &World, body: &Value, nonce: i64, signed_url: &str) -> u16 {
    let nonce = nonce.to_string();
    let sig = sign(
        w.mock.api_key(),
        &nonce,
        "POST",
        signed_url,
        &canonical_json(body),
    );
    reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", sig)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

fn callback_body(uuid: &str, authy_id: u64, status: &str) -> Value {
    json!({"authy_id": authy_id, "uuid": uuid, "status": status, "callback_action": "approval_request_status",
           "approval_request": {"transaction": {"status": status, "uuid": uuid, "details": {}, "hidden_details": null}, "logos": null}})
}

#[tokio::test]
async fn forged_callback_is_rejected_and_changes_nothing() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    let forged = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header(
            "x-authy-signature",
            "uq/wB8AR1Acvn0wFcjm7mmBJyR11nuuMhMy6semsAO8=",
        )
        .header("x-authy-signature-nonce", test_support::T0.to_string())
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    // Signed with the wrong key.
    let nonce = test_support::T0.to_string();
    let wrong_key = sign(
        "not-the-key",
        &nonce,
        "POST",
        &w.callback_url,
        &canonical_json(&body),
    );
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", wrong_key)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // No signature headers at all.
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn signature_uses_the_configured_url_not_the_host_header() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    // What a proxy-confused app would rebuild from headers.
    let spoofed_url = "https://evil.example/authy/callback";
    let nonce = test_support::T0.to_string();
    let sig = sign(
        w.mock.api_key(),
        &nonce,
        "POST",
        spoofed_url,
        &canonical_json(&body),
    );
    let r = reqwest::Client::new()
        .post(&w.callback_url)
        .header("host", "evil.example")
        .header("x-forwarded-proto", "https")
        .header("x-forwarded-host", "evil.example")
        .header("content-type", "application/json")
        .header("x-authy-signature", sig)
        .header("x-authy-signature-nonce", nonce)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(b.status().await, "pending");
    // The same body signed over the configured URL is accepted.
    assert_eq!(
        send_callback(&w, &body, test_support::T0, &w.callback_url).await,
        200
    );
    assert_eq!(b.status().await, "approved");
}

#[tokio::test]
async fn stale_and_future_callbacks_are_rejected() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let body = callback_body(&uuid, authy_id, "approved");
    assert_eq!(
        send_callback(&w, &body, test_support::T0 - 301, &w.callback_url).await,
        401
    );
    assert_eq!(
        send_callback(&w, &body, test_support::T0 + 301, &w.callback_url).await,
        401
    );
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn replayed_callback_is_rejected_and_cannot_approve_a_later_login() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let delivery = w.mock.deny(&uuid).await.unwrap().unwrap();
    assert_eq!(b.status().await, "denied");

    // The attacker logs in again and replays the captured (signed) callback, edited to approve.
    let mut attacker = w.browser();
    attacker.login("ada@example.com", PASSWORD).await;
    let sent = delivery.request;
    let replay = |body: String| {
        reqwest::Client::new()
            .post(&sent.url)
            .header("content-type", "application/json")
            .header("x-authy-signature", &sent.signature)
            .header("x-authy-signature-nonce", &sent.nonce)
            .body(body)
            .send()
    };
    assert_eq!(
        replay(sent.body.clone()).await.unwrap().status(),
        409,
        "exact replay"
    );
    assert_eq!(
        replay(sent.body.replace("denied", "approved"))
            .await
            .unwrap()
            .status(),
        401,
        "edited replay"
    );
    assert_eq!(attacker.status().await, "pending");
    assert_eq!(b.status().await, "denied", "terminal states never change");

    // A fresh, validly signed callback for the old uuid cannot touch the new login either.
    let late = callback_body(&uuid, authy_id, "approved");
    assert_eq!(
        send_callback(&w, &late, test_support::T0 + 1, &w.callback_url).await,
        409
    );
    assert_eq!(attacker.status().await, "pending");
}

#[tokio::test]
async fn one_sessions_approval_cannot_complete_another_session_or_user() {
    let w = World::start().await;
    // The attacker knows Ada's password and logs in at the same time as Ada.
    let (mut ada, ada_id, ada_uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let mut attacker = w.browser();
    attacker.login("ada@example.com", PASSWORD).await;
    let attacker_uuid = w.latest_push(ada_id).await;
    assert_ne!(ada_uuid, attacker_uuid);
    let (mut bob, bob_id, bob_uuid) = w.pending_login("bob@example.com", "5551230002").await;

    // Ada approves her own push: only her session moves.
    w.mock.approve(&ada_uuid).await.unwrap();
    assert_eq!(ada.status().await, "approved");
    assert_eq!(attacker.status().await, "pending");
    assert_eq!(attacker.post("/authy/confirm", &[]).await.status, 409);
    assert_eq!(attacker.get("/account").await.status, 303);

    // A validly signed callback naming Bob's uuid with Ada's authy_id is refused.
    assert_eq!(
        send_callback(
            &w,
            &callback_body(&bob_uuid, ada_id, "approved"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        403
    );
    assert_eq!(bob.status().await, "pending");
    // Unknown uuids are refused.
    assert_eq!(
        send_callback(
            &w,
            &callback_body("no-such-uuid", bob_id, "approved"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        404
    );
    assert_eq!(ada.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(ada.get("/account").await.status, 200);
}

#[tokio::test]
async fn get_callbacks_are_verified_too() {
    let w = World::start_with(Options {
        callback_method: CallbackMethod::Get,
        ..Default::default()
    })
    .await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let query = format!(
        "authy_id={authy_id}&callback_action=approval_request_status&status=approved&uuid={uuid}"
    );
    let forged = reqwest::Client::new()
        .get(format!("{}?{query}", w.callback_url))
        .header(
            "x-authy-signature",
            sign(
                "wrong",
                "1",
                "GET",
                &w.callback_url,
                &canonical_query(&query),
            ),
        )
        .header("x-authy-signature-nonce", test_support::T0.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 401);
    assert_eq!(b.status().await, "pending");
    let d = w.mock.approve(&uuid).await.unwrap().unwrap();
    assert!(d.delivered, "{d:?}");
    assert_eq!(b.status().await, "approved");
}

#[tokio::test]
async fn oversized_and_malformed_callbacks_get_4xx() {
    let w = World::start().await;
    let (mut b, authy_id, uuid) = w.pending_login("ada@example.com", "5551230001").await;
    let mut big = callback_body(&uuid, authy_id, "approved");
    big["padding"] = json!("x".repeat(70 * 1024));
    assert_eq!(
        send_callback(&w, &big, test_support::T0, &w.callback_url).await,
        413
    );
    let mut wrong_action = callback_body(&uuid, authy_id, "approved");
    wrong_action["callback_action"] = json!("something_else");
    assert_eq!(
        send_callback(&w, &wrong_action, test_support::T0, &w.callback_url).await,
        400
    );
    assert_eq!(
        send_callback(
            &w,
            &callback_body(&uuid, authy_id, "maybe"),
            test_support::T0,
            &w.callback_url
        )
        .await,
        400
    );
    let not_json = reqwest::Client::new()
        .post(&w.callback_url)
        .header("content-type", "application/json")
        .header("x-authy-signature", "x")
        .header("x-authy-signature-nonce", "1")
        .body("{")
        .send()
        .await
        .unwrap();
    assert_eq!(not_json.status(), 400);
    assert_eq!(b.status().await, "pending");
}

#[tokio::test]
async fn lockout_survives_a_fresh_login_new_session_and_forwarded_for() {
    let w = World::configured(|b| {
        b.attempt_limits(tower_authy::AttemptLimits {
            per_challenge: 3,
            per_account: 4,
            lockout_secs: 900,
        })
    })
    .await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut outcomes = Vec::new();
    for round in 0..2 {
        // Each round: a new session, a fresh password login, another X-Forwarded-For.
        let mut b = Browser::forwarded_for(&w.base, &format!("203.0.113.{round}"));
        assert_eq!(
            b.login("ada@example.com", PASSWORD).await.status,
            303,
            "round {round}"
        );
        for _ in 0..3 {
            outcomes.push(b.post("/authy/token", &[("token", "0000000")]).await.status);
        }
    }
    // Three wrong codes use up the first login (3 per login); the second login's first wrong
    // code reaches the account limit (4) and locks it.
    assert_eq!(outcomes, [401, 401, 401, 403, 403, 403]);
    assert_eq!(
        w.verify_calls(),
        4,
        "Authy was asked exactly up to the account limit"
    );

    // Locked: even the right password gets the same answer as a wrong one.
    let mut fresh = w.browser();
    let refused = fresh.login("ada@example.com", PASSWORD).await;
    assert_eq!(refused.status, 401);
    let mut other = w.browser();
    let wrong_pw = other.login("ada@example.com", "wrong password").await;
    assert_eq!(wrong_pw.status, 401);
    assert!(
        refused.body.contains("Wrong email or password.")
            && wrong_pw.body.contains("Wrong email or password.")
    );

    // After the lockout, the real user gets in, and success clears the count.
    w.advance(901);
    let mut later = w.browser();
    assert_eq!(later.login("ada@example.com", PASSWORD).await.status, 303);
    let token = w.mock.app_token(authy_id).unwrap();
    assert_eq!(
        later
            .post("/authy/token", &[("token", &token)])
            .await
            .location
            .as_deref(),
        Some("/account")
    );
}

#[tokio::test]
async fn a_hundred_parallel_submissions_of_one_valid_token_succeed_once() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    b.csrf_token().await;
    let token = w.mock.app_token(authy_id).unwrap();
    let tasks: Vec<_> = (0..100)
        .map(|_| {
            let mut b = b.clone();
            let token = token.clone();
            tokio::spawn(async move { b.post("/authy/token", &[("token", &token)]).await })
        })
        .collect();
    let mut successes = 0;
    for t in tasks {
        let page = t.await.unwrap();
        if page.status == 303 && page.location.as_deref() == Some("/account") {
            successes += 1;
        } else {
            // 401 wrong/reused code, 409 already completed, 429 attempts used up, 403 the
            // session id had already rotated under the winner, so the old cookie is dead.
            assert!(
                [401, 403, 409, 429].contains(&page.status),
                "unexpected {}",
                page.status
            );
        }
    }
    assert_eq!(successes, 1);
    assert!(
        w.verify_calls() <= 5,
        "at most the per-login attempt limit reached Authy"
    );
}

test_support::every_provider!(one_code_in_twenty_parallel_logins_logs_in_once);

/// The code is single use at the provider too (Authy's reuse check, Verify's TOTP challenge, the
/// TOTP store's compare-and-set): twenty sessions racing with one code, one gets in.
async fn one_code_in_twenty_parallel_logins_logs_in_once(kind: test_support::ProviderKind) {
    let w = World::on(kind).await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut browsers = Vec::new();
    for _ in 0..20 {
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
        b.csrf_token().await;
        browsers.push(b);
    }
    let code = w.app_code(subject).await;
    let tasks: Vec<_> = browsers
        .into_iter()
        .map(|mut b| {
            let code = code.clone();
            tokio::spawn(async move { b.post("/authy/token", &[("token", &code)]).await.status })
        })
        .collect();
    let mut successes = 0;
    for t in tasks {
        match t.await.unwrap() {
            303 => successes += 1,
            // Reused code, or the account locked by the failures.
            status => assert!([401, 403].contains(&status), "unexpected {status}"),
        }
    }
    assert_eq!(successes, 1, "one code, one login");
}

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
async fn malformed_tokens_never_reach_authy() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    for bad in [
        "12345",
        "1234567890123",
        "12a456",
        "../sms",
        "%2E%2E%2Fsms",
        "١٢٣٤٥٦",
        "123456\u{0}",
        "１２３４５６",
        "",
    ] {
        let r = b.post("/authy/token", &[("token", bad)]).await;
        assert_eq!(r.status, 422, "{bad:?}");
    }
    assert_eq!(w.verify_calls(), 0);
    assert_eq!(
        b.status().await,
        "pending",
        "malformed input changes nothing"
    );
}

#[tokio::test]
async fn failed_logins_look_the_same() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    w.users.insert("nofactor@example.com", PASSWORD, None);
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
async fn upstream_failures_fail_closed_and_nothing_is_retried() {
    let faults = [
        FaultKind::Status {
            status: 500,
            error_code: "60000".into(),
            message: "boom".into(),
        },
        FaultKind::Status {
            status: 503,
            error_code: "60000".into(),
            message: "down".into(),
        },
        FaultKind::Status {
            status: 429,
            error_code: "60003".into(),
            message: "DoS protection".into(),
        },
        FaultKind::MalformedJson,
        FaultKind::TruncatedBody,
        FaultKind::DropConnection,
        FaultKind::Latency { ms: 1_500 },
    ];
    let w = World::start_with(Options {
        client_timeout: Duration::from_millis(500),
        // Two logins per fault: more than the default push limit allows in ten minutes.
        configure: Box::new(|b| {
            b.send_limits(tower_authy::SendLimits {
                pushes_per_10_minutes: 100,
                per_login: 3,
                per_hour: 10,
            })
        }),
        ..Default::default()
    })
    .await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    for fault in faults {
        // The push fails: nobody gets in, the person sees a clear 503.
        w.mock.inject_fault(
            Fault::new(mock_authy::Endpoint::ApprovalRequestCreate, fault.clone()).times(1),
        );
        let before = w.mock.journal().len();
        let mut b = w.browser();
        let r = b.login("ada@example.com", PASSWORD).await;
        assert_eq!(r.status, 503, "{fault:?}");
        assert_eq!(r.retry_after.as_deref(), Some("30"));
        assert!(r.body.contains("nobody can sign in"));
        assert_eq!(b.get("/account").await.status, 303);
        // A slow answer is journaled when the mock finishes it; a retry would have been sent
        // (and journaled) right after the client's timeout, before that.
        let count = |m: &mock_authy::MockAuthy| {
            m.journal()[before..]
                .iter()
                .filter(|e| e.endpoint == "approval_request_create")
                .count()
        };
        let pushes = w
            .mock
            .wait_for(test_support::WAIT, |m| Some(count(m)).filter(|&n| n > 0))
            .await;
        assert_eq!(pushes, Some(1), "a push is never retried ({fault:?})");

        // A token check fails: still nobody gets in, and no retry.
        w.mock.clear_faults();
        let mut b = w.browser();
        b.login("ada@example.com", PASSWORD).await;
        w.mock
            .inject_fault(Fault::new(mock_authy::Endpoint::Verify, fault.clone()).times(1));
        let calls = w.verify_calls();
        let token = w.mock.app_token(authy_id).unwrap();
        let r = b.post("/authy/token", &[("token", &token)]).await;
        assert_eq!(r.status, 503, "{fault:?}");
        let verifies = w
            .mock
            .wait_for(test_support::WAIT, |m| {
                Some(
                    m.journal()
                        .iter()
                        .filter(|e| e.endpoint == "verify")
                        .count(),
                )
                .filter(|&n| n > calls)
            })
            .await;
        assert_eq!(
            verifies,
            Some(calls + 1),
            "verify is never retried ({fault:?})"
        );
        assert_eq!(b.get("/account").await.status, 303);
        w.mock.clear_faults();
        w.advance(30);
    }
}

#[tokio::test]
async fn a_user_store_outage_fails_closed() {
    struct Down;
    #[async_trait::async_trait]
    impl tower_authy::UserStore for Down {
        async fn verify_password(
            &self,
            _: &str,
            _: &tower_authy::Password,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::StoreError> {
            Err(tower_authy::StoreError::unavailable("database is down"))
        }
        async fn load(
            &self,
            _: &str,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::StoreError> {
            Err(tower_authy::StoreError::unavailable("database is down"))
        }
    }
    let w = World::start_with(Options {
        users: Some(Arc::new(Down)),
        ..Default::default()
    })
    .await;
    let mut b = w.browser();
    let r = b.login("ada@example.com", PASSWORD).await;
    assert_eq!((r.status, r.retry_after.as_deref()), (503, Some("30")));
    assert!(
        r.content_type.starts_with("text/html"),
        "{}",
        r.content_type
    );
    assert!(
        r.body.contains("Sign-in is unavailable"),
        "a clear page: {}",
        r.body
    );
    // An API client gets the same refusal as problem+json.
    let csrf = b.csrf_token().await;
    let r = b
        .http
        .post(format!("{}/authy/login", b.base))
        .header("accept", "application/json")
        .form(&[
            ("login", "ada@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &csrf),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    assert_eq!(r.headers()["content-type"], "application/problem+json");
    let problem: serde_json::Value = r.json().await.unwrap();
    assert_eq!(problem["status"], 503);
    assert_eq!(b.get("/account").await.status, 303);
}

#[tokio::test]
async fn api_clients_get_problem_json() {
    let w = World::start().await;
    let mut b = w.browser();
    let r = b.get_json("/account").await;
    assert_eq!(r.status, 401);
    assert_eq!(r.content_type, "application/problem+json");
    assert_eq!(r.json()["status"], 401);
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

#[tokio::test]
async fn pushes_are_rate_limited_per_account() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    for _ in 0..6 {
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    }
    let pushes = w
        .mock
        .approval_requests()
        .iter()
        .filter(|a| a.authy_id == authy_id)
        .count();
    assert_eq!(
        pushes, 5,
        "the sixth login in ten minutes gets a token form, not a push"
    );
    w.advance(601);
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    assert_eq!(w.mock.approval_requests().len(), 6);
}

/// SECURITY.md, reliability: a restart never turns a pending login into an approved one.
#[tokio::test]
async fn a_restart_that_loses_the_challenges_fails_closed() {
    let before = World::start().await;
    let (mut b, authy_id, uuid) = before.pending_login("ada@example.com", "5551230001").await;
    // The app restarts: its in-memory challenges are gone, its sessions are kept.
    let after = World::start_with(Options {
        sessions: Some(before.sessions.clone()),
        ..Default::default()
    })
    .await;
    b.base = after.base.clone();
    assert_eq!(b.get_json("/authy/status").await.status, 401);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 401);
    // Even a valid, signed approval of the old push changes nothing.
    let body = callback_body(&uuid, authy_id, "approved");
    let code = send_callback(
        &after,
        &body,
        tower_authy::Clock::now(&after.clock),
        &after.callback_url,
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(b.get("/account").await.status, 303);
}

/// A phone can answer before the login step has stored its challenge (the push goes out first):
/// the callback waits briefly for it instead of answering 404, which Authy would not retry.
#[tokio::test]
async fn a_callback_that_overtakes_its_challenge_is_still_accepted() {
    use tower_authy::ChallengeStore as _;
    let store = tower_authy::MemoryChallengeStore::new();
    let missed = Arc::new(tokio::sync::Notify::new());
    let app_store = Watched {
        inner: store.clone(),
        missed: Arc::clone(&missed),
    };
    let w = World::configured(move |b| b.challenge_store(app_store)).await;
    let body = callback_body("early-uuid", 77, "approved");
    let callback = send_callback(&w, &body, test_support::T0, &w.callback_url);
    let store_it_late = async {
        // Only once the callback has looked for its challenge and not found it.
        missed.notified().await;
        let challenge = tower_authy::Challenge {
            id: "early".into(),
            user_id: "u1".into(),
            authy_id: 77,
            provider: String::new(),
            factor_id: String::new(),
            approval_uuid: Some("early-uuid".into()),
            match_code: "123".into(),
            state: tower_authy::ChallengeState::Pending,
            created_at: test_support::T0,
            expires_at: test_support::T0 + 300,
        };
        store.create(challenge).await.unwrap();
    };
    let (status, ()) = tokio::join!(callback, store_it_late);
    assert_eq!(status, 200);
    let settled = store.get("early").await.unwrap().unwrap();
    assert_eq!(settled.state, tower_authy::ChallengeState::Approved);
}

/// A memory store that says when a lookup by approval uuid found nothing.
struct Watched {
    inner: tower_authy::MemoryChallengeStore,
    missed: Arc<tokio::sync::Notify>,
}

#[async_trait::async_trait]
impl tower_authy::ChallengeStore for Watched {
    async fn create(&self, c: tower_authy::Challenge) -> Result<(), StoreError> {
        self.inner.create(c).await
    }
    async fn get(&self, id: &str) -> Result<Option<tower_authy::Challenge>, StoreError> {
        self.inner.get(id).await
    }
    async fn find_by_approval(
        &self,
        uuid: &str,
    ) -> Result<Option<tower_authy::Challenge>, StoreError> {
        let found = self.inner.find_by_approval(uuid).await?;
        if found.is_none() {
            self.missed.notify_one();
        }
        Ok(found)
    }
    async fn transition(
        &self,
        id: &str,
        from: tower_authy::ChallengeState,
        to: tower_authy::ChallengeState,
    ) -> Result<bool, StoreError> {
        self.inner.transition(id, from, to).await
    }
    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &tower_authy::AttemptLimits,
        now: i64,
    ) -> Result<tower_authy::AttemptDecision, StoreError> {
        self.inner.begin_attempt(id, user_id, limits, now).await
    }
    async fn account_locked(
        &self,
        user_id: &str,
        limits: &tower_authy::AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.account_locked(user_id, limits, now).await
    }
    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.inner.clear_failures(user_id).await
    }
    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.take_quota(key, max, window, now).await
    }
    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.consume_nonce(key, expires_at, now).await
    }
    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        self.inner.take_attempt(key, max, lockout, now).await
    }
    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        self.inner.refund_attempt(key).await
    }
}
