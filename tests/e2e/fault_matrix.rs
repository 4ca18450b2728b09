//! Every fault the mock can inject, on every user-facing step that calls the provider (Authy or
//! Verify): the step fails closed (503 with Retry-After, nobody logged in), and the journal shows
//! that no non-idempotent call was retried. (The self-hosted TOTP provider calls no service; its
//! store's outage is in `tower-authy/tests/it/totp.rs`.)

#![allow(clippy::unwrap_used)]

use mock_authy::{CallbackMethod, Endpoint, Fault, FaultKind};
use std::time::Duration;
use test_support::{App, Browser, MockProcess, PASSWORD, ProviderKind};

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
    /// The endpoint that sends, creates or checks (never retried) in this step.
    fn endpoint(self, kind: ProviderKind) -> Endpoint {
        match (kind, self) {
            (ProviderKind::Verify, Step::Login | Step::Token) => Endpoint::VerifyChallengeCreate,
            (ProviderKind::Verify, Step::Sms | Step::Call) => Endpoint::VerifyVerificationCreate,
            (_, Step::Login) => Endpoint::ApprovalRequestCreate,
            (_, Step::Token) => Endpoint::Verify,
            (_, Step::Sms) => Endpoint::Sms,
            (_, Step::Call) => Endpoint::Call,
        }
    }
}

/// The code the user's app shows now.
async fn app_code(mock: &MockProcess, kind: ProviderKind, subject: u64) -> String {
    match kind {
        ProviderKind::Verify => {
            let entity = format!("ta-{subject:016x}");
            mock.verify_totp_code_of(&entity).await.unwrap()
        }
        _ => mock.app_token(subject).await.unwrap().token,
    }
}

test_support::phone_providers!(every_fault_on_every_step_fails_closed_without_retries);

async fn every_fault_on_every_step_fails_closed_without_retries(kind: ProviderKind) {
    let mock = MockProcess::spawn().await;
    // Each (fault, step) pair logs in once or twice; lift the per-account send limits.
    let app = App::on(
        kind,
        &mock.base,
        Duration::from_millis(500),
        tower_authy::store::MemoryUserStore::new(),
        tower_authy::store::SystemClock,
        Box::new(|b| {
            b.send_limits(tower_authy::limits::SendLimits {
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
    // A first good code, outside the matrix: the app's code works.
    let mut first = app.browser();
    assert_eq!(first.login("ada@example.com", PASSWORD).await.status, 303);
    let code = app_code(&mock, kind, id).await;
    assert_eq!(
        first.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
    let mut checked = 0;
    for (name, fault) in faults() {
        for step in [Step::Login, Step::Token, Step::Sms, Step::Call] {
            let mut b: Browser = app.browser();
            if !matches!(step, Step::Login) {
                assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
            }
            let endpoint = step.endpoint(kind);
            let f = Fault::new(endpoint, fault.clone()).times(1);
            mock.add_fault(&f).await.unwrap();
            let before = mock.calls(endpoint).await.unwrap();
            let page = match step {
                Step::Login => b.login("ada@example.com", PASSWORD).await,
                Step::Token => {
                    let token = app_code(&mock, kind, id).await;
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
            let after = mock.calls_after(endpoint, before).await;
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
