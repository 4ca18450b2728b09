//! Guessing codes: the lockout holds across logins, sessions and `X-Forwarded-For`, one valid
//! code counts once however many submit it at once, and malformed codes never reach the provider.

use test_support::{Browser, PASSWORD, World};

#[tokio::test]
async fn lockout_survives_a_fresh_login_new_session_and_forwarded_for() {
    let w = World::configured(|b| {
        b.attempt_limits(tower_authy::limits::AttemptLimits {
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
