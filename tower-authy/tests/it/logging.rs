//! Nothing secret reaches the logs: a whole login is traced at TRACE level and searched.

#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Arc, Mutex, Once};
use test_support::{PASSWORD, World};
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::{Layer as _, filter};

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

thread_local! {
    /// Where this thread's traces go while a test captures them.
    static CAPTURING: RefCell<Option<Captured>> = const { RefCell::new(None) };
}

/// Writes to the capture of the thread the event happened on.
struct ThreadWriter;

impl Write for ThreadWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        CAPTURING.with(|c| {
            if let Some(logs) = c.borrow().as_ref() {
                logs.0.lock().unwrap().extend_from_slice(buf);
            }
        });
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Ends the capture when the test ends.
struct Capturing;

impl Drop for Capturing {
    fn drop(&mut self) {
        CAPTURING.with(|c| c.borrow_mut().take());
    }
}

impl Captured {
    /// Captures this thread's traces, at TRACE level, until the guard drops.
    ///
    /// One process-wide subscriber, enabled per event only on a capturing thread: a subscriber
    /// set per thread (`set_default`) loses events when other tests' threads register the same
    /// call sites at the same moment, and the events of other tests must not reach a capture.
    fn start() -> (Captured, Capturing) {
        static GLOBAL: Once = Once::new();
        GLOBAL.call_once(|| {
            let only_capturing =
                filter::dynamic_filter_fn(|_, _| CAPTURING.with(|c| c.borrow().is_some()));
            let layer = tracing_subscriber::fmt::layer()
                .with_writer(|| ThreadWriter)
                .with_ansi(false)
                .with_filter(only_capturing);
            let subscriber = tracing_subscriber::registry().with(layer);
            tracing::subscriber::set_global_default(subscriber).unwrap();
        });
        let logs = Captured::default();
        CAPTURING.with(|c| *c.borrow_mut() = Some(logs.clone()));
        (logs, Capturing)
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

/// Turning the second factor on, and off again where the policy allows (removing the last
/// factor), is in the audit trail; the codes are not.
#[tokio::test(flavor = "current_thread")]
async fn enrolment_is_logged_as_events() {
    let (logs, _guard) = Captured::start();
    let users = tower_authy::store::MemoryUserStore::new();
    users.insert("new@example.com", PASSWORD, []);
    let w = test_support::World::start_with(test_support::Options {
        users: Some(std::sync::Arc::new(users.clone())),
        factors: Some(std::sync::Arc::new(users.clone())),
        enrolment: true,
        configure: Box::new(|b| b.policy(tower_authy::guard::Policy::if_enrolled())),
        ..test_support::Options::default()
    })
    .await;
    let mut b = w.browser();
    b.login("new@example.com", PASSWORD).await;
    assert_eq!(
        b.get("/authy/enrol").await.status,
        200,
        "a password-only session enrols"
    );
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
    let password = tower_authy::secret::Password::new(PASSWORD);
    let id = tower_authy::UserStore::verify_password(&users, "new@example.com", &password);
    let id = id.await.unwrap().unwrap().id;
    let factor = tower_authy::FactorStore::factors(&users, &id)
        .await
        .unwrap()[0]
        .id
        .clone();
    let off = b
        .post("/authy/factors/remove", &[("factor", &factor)])
        .await;
    assert_eq!(
        off.location.as_deref(),
        Some("/authy/factors"),
        "{}",
        off.body
    );

    let text = logs.text();
    for event in [
        "enrolment_started",
        "enrolment_registered",
        "second_factor_enabled",
        "factor_removed",
    ] {
        assert!(text.contains(event), "{event} missing: {text}");
    }
    for secret in [on.as_str(), PASSWORD, "5551230099"] {
        assert!(!text.contains(secret), "{secret:?} appears in the logs");
    }
}
