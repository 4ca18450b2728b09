//! Failing closed: a provider that fails, a user store or challenge store that is down, and
//! a restart that loses the challenges never let anyone in, and nothing non-idempotent is retried.

use crate::support::{callback_body, send_callback};
use mock_authy::{Fault, FaultKind};
use std::sync::Arc;
use std::time::Duration;
use test_support::{Options, PASSWORD, World};

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
            b.send_limits(tower_authy::limits::SendLimits {
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
            _: &tower_authy::secret::Password,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
            Err(tower_authy::store::StoreError::unavailable(
                "database is down",
            ))
        }
        async fn load(
            &self,
            _: &str,
        ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
            Err(tower_authy::store::StoreError::unavailable(
                "database is down",
            ))
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
        tower_authy::store::Clock::now(&after.clock),
        &after.callback_url,
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(b.get("/account").await.status, 303);
}
