//! Every fault the mock can inject, on every user-facing step that calls Authy: the step fails
//! closed (503 with Retry-After, nobody logged in), and the journal shows that no non-idempotent
//! call was retried.

#![allow(clippy::unwrap_used)]

use mock_authy::{CallbackMethod, Endpoint, Fault, FaultKind};
use std::time::Duration;
use test_support::{App, Browser, MockProcess, PASSWORD};

fn status(status: u16, error_code: &str, message: &str) -> FaultKind {
    FaultKind::Status {
        status,
        error_code: error_code.to_owned(),
        message: message.to_owned(),
    }
}

fn faults() -> Vec<(&'static str, FaultKind)> {
    vec![
        ("latency past the timeout", FaultKind::Latency { ms: 1500 }),
        ("500", status(500, "60000", "Internal error")),
        ("503", status(503, "60000", "Unavailable")),
        ("429 60003", status(429, "60003", "DoS protection")),
        ("malformed JSON", FaultKind::MalformedJson),
        ("truncated body", FaultKind::TruncatedBody),
        ("dropped connection", FaultKind::DropConnection),
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
    fn endpoint(self) -> Endpoint {
        match self {
            Step::Login => Endpoint::ApprovalRequestCreate,
            Step::Token => Endpoint::Verify,
            Step::Sms => Endpoint::Sms,
            Step::Call => Endpoint::Call,
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
    mock.set_callback(Some((&app.callback_url, CallbackMethod::Post)))
        .await
        .unwrap();
    let id = app.user("ada@example.com", "5551230001").await;
    let mut checked = 0;
    for (name, fault) in faults() {
        for step in [Step::Login, Step::Token, Step::Sms, Step::Call] {
            let mut b: Browser = app.browser();
            if !matches!(step, Step::Login) {
                assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
            }
            let f = Fault::new(step.endpoint(), fault.clone()).times(1);
            mock.add_fault(&f).await.unwrap();
            let before = mock.calls(step.endpoint()).await.unwrap();
            let page = match step {
                Step::Login => b.login("ada@example.com", PASSWORD).await,
                Step::Token => {
                    let token = mock.app_token(id).await.unwrap().token;
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
            mock.clear_faults().await.unwrap();
            checked += 1;
        }
    }
    assert_eq!(checked, 28);
}
