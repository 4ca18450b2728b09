//! Nothing secret reaches the logs: a whole login is traced at TRACE level and searched.

#![allow(clippy::unwrap_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use test_support::{PASSWORD, World};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    /// Captures this thread's traces, at TRACE level, until the guard drops.
    fn start() -> (Captured, tracing::subscriber::DefaultGuard) {
        let logs = Captured::default();
        let writer = logs.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        (logs, tracing::subscriber::set_default(subscriber))
    }

    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

#[tokio::test(flavor = "current_thread")]
async fn no_key_token_password_or_signature_in_the_logs() {
    let (logs, _guard) = Captured::start();

    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    b.post("/authy/token", &[("token", "0000000")]).await;
    // A transport error on verify: the URL (which carries the token) must not be logged.
    w.mock.inject_fault(
        mock_authy::Fault::new(
            mock_authy::Endpoint::Verify,
            mock_authy::FaultKind::DropConnection,
        )
        .times(1),
    );
    assert_eq!(
        b.post("/authy/token", &[("token", "7654321")]).await.status,
        503
    );
    let uuid = w.latest_push(authy_id).await;
    let delivery = w.mock.approve(&uuid).await.unwrap().unwrap();
    b.post("/authy/confirm", &[]).await;
    assert_eq!(b.get("/account").await.status, 200);

    let text = logs.text();
    assert!(
        text.contains("challenge_created")
            && text.contains("challenge_approved")
            && text.contains("token_rejected"),
        "{text}"
    );
    for secret in [
        w.mock.api_key(),
        PASSWORD,
        "0000000",
        &delivery.request.signature,
        b.cookie().as_deref().unwrap().split('=').nth(1).unwrap(),
    ] {
        assert!(!text.contains(secret), "{secret:?} appears in the logs");
    }
}

/// Making and using recovery codes is logged; the codes are not.
#[tokio::test(flavor = "current_thread")]
async fn recovery_codes_are_logged_as_events_never_as_text() {
    let (logs, _guard) = Captured::start();
    let w = World::configured(|b| {
        b.recovery_codes(tower_authy::recovery::MemoryRecoveryCodeStore::new())
    })
    .await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let token = w.mock.app_token(authy_id).unwrap();
    assert_eq!(
        b.post("/authy/token", &[("token", &token)]).await.status,
        303
    );
    let page = b.post("/authy/recovery-codes", &[]).await;
    let codes = page.recovery_codes();
    assert_eq!(codes.len(), 10);
    let mut other = w.browser();
    other.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        other
            .post("/authy/token", &[("token", &codes[3])])
            .await
            .status,
        303
    );

    let text = logs.text();
    assert!(
        text.contains("recovery_codes_generated") && text.contains("recovery_code_used"),
        "{text}"
    );
    for code in codes {
        assert!(
            !text.contains(code.as_str()) && !text.contains(&code.replace('-', "")),
            "{code} appears in the logs"
        );
    }
}

/// Turning the second factor on and off is in the audit trail; the codes are not.
#[tokio::test(flavor = "current_thread")]
async fn enrolment_is_logged_as_events() {
    let (logs, _guard) = Captured::start();
    let users = tower_authy::store::MemoryUserStore::new();
    users.insert("new@example.com", PASSWORD, None);
    let kept = users.clone();
    let w = test_support::World::start_with(test_support::Options {
        users: Some(std::sync::Arc::new(users.clone())),
        configure: Box::new(move |b| b.enrolment(kept)),
        ..test_support::Options::default()
    })
    .await;
    let mut b = w.browser();
    b.login("new@example.com", PASSWORD).await;
    let fields = [
        ("email", "new@example.com"),
        ("country_code", "1"),
        ("phone", "5551230099"),
    ];
    b.post("/authy/enrol", &fields).await;
    let authy_id = w.mock.users()[0].id;
    let on = w.mock.app_token(authy_id).unwrap();
    assert_eq!(
        b.post("/authy/enrol/confirm", &[("token", &on)])
            .await
            .status,
        303
    );
    w.advance(30);
    let off = w.mock.app_token(authy_id).unwrap();
    let fields = [("password", PASSWORD), ("token", off.as_str())];
    assert_eq!(b.post("/authy/disable", &fields).await.status, 303);

    let text = logs.text();
    for event in [
        "enrolment_started",
        "enrolment_registered",
        "second_factor_enabled",
        "second_factor_disabled",
    ] {
        assert!(text.contains(event), "{event} missing: {text}");
    }
    for secret in [on.as_str(), off.as_str(), PASSWORD, "5551230099"] {
        assert!(!text.contains(secret), "{secret:?} appears in the logs");
    }
}
