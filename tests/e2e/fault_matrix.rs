//! Every fault the mock can inject, on every user-facing step that calls Authy: the step fails
//! closed (503 with Retry-After, nobody logged in), and the journal shows that no non-idempotent
//! call was retried.

#![allow(clippy::unwrap_used)]

use e2e::{App, Browser, MockProcess, PASSWORD};
use serde_json::{Value, json};
use std::time::Duration;

fn faults() -> Vec<(&'static str, Value)> {
    vec![
        (
            "latency past the timeout",
            json!({"kind": "latency", "ms": 1500}),
        ),
        (
            "500",
            json!({"kind": "status", "status": 500, "error_code": "60000", "message": "Internal error"}),
        ),
        (
            "503",
            json!({"kind": "status", "status": 503, "error_code": "60000", "message": "Unavailable"}),
        ),
        (
            "429 60003",
            json!({"kind": "status", "status": 429, "error_code": "60003", "message": "DoS protection"}),
        ),
        ("malformed JSON", json!({"kind": "malformed_json"})),
        ("truncated body", json!({"kind": "truncated_body"})),
        ("dropped connection", json!({"kind": "drop_connection"})),
    ]
}

/// The steps, each named by the Authy endpoint it calls.
#[derive(Clone, Copy, Debug)]
enum Step {
    Login,
    Token,
    Sms,
    Call,
}

impl Step {
    fn endpoint(self) -> &'static str {
        match self {
            Step::Login => "approval_request_create",
            Step::Token => "verify",
            Step::Sms => "sms",
            Step::Call => "call",
        }
    }
}

#[tokio::test]
async fn every_fault_on_every_step_fails_closed_without_retries() {
    let mock = MockProcess::spawn().await;
    // Each (fault, step) pair logs in once or twice; lift the per-account send limits.
    let app = App::start(
        &mock.base,
        Duration::from_millis(500),
        Box::new(|b| {
            b.send_limits(tower_authy::SendLimits {
                pushes_per_10_minutes: 100,
                per_login: 100,
                per_hour: 100,
            })
        }),
    )
    .await;
    mock.set_callback(&app.callback_url).await;
    let id = app.user("ada@example.com", "5551230001").await;
    let mut checked = 0;
    for (name, fault) in faults() {
        for step in [Step::Login, Step::Token, Step::Sms, Step::Call] {
            let mut b: Browser = app.browser();
            if !matches!(step, Step::Login) {
                assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
            }
            let mut f = fault.clone();
            f["endpoint"] = json!(step.endpoint());
            f["times"] = json!(1);
            mock.add_fault(f).await;
            let before = mock.calls(step.endpoint()).await;
            let page = match step {
                Step::Login => b.login("ada@example.com", PASSWORD).await,
                Step::Token => {
                    let token = mock.app_token(id).await;
                    b.post("/authy/token", &[("token", &token)]).await
                }
                Step::Sms => b.post("/authy/sms", &[]).await,
                Step::Call => b.post("/authy/call", &[]).await,
            };
            assert_eq!(page.status, 503, "{name} on {step:?}: {}", page.body);
            assert_eq!(
                page.retry_after.as_deref(),
                Some("30"),
                "{name} on {step:?}"
            );
            assert_eq!(
                b.get("/account").await.status,
                303,
                "{name} on {step:?}: nobody gets in"
            );
            // A slow answer is journaled when the mock finishes it; a retry would be journaled first.
            let after = mock.calls_after(step.endpoint(), before).await;
            assert_eq!(
                after,
                before + 1,
                "{name} on {step:?}: called exactly once, never retried"
            );
            mock.clear_faults().await;
            checked += 1;
        }
    }
    assert_eq!(checked, 28);
}
