//! The flows over real HTTP against the mock-authy binary, as a user's CI would run them.

#![allow(clippy::unwrap_used)]

use mock_authy::{ApprovalStatus, CallbackMethod, OneTouchBehaviour};
use std::time::Duration;
use test_support::{App, Configure, MockProcess, PASSWORD, WAIT};

async fn setup() -> (MockProcess, App) {
    setup_with(Box::new(|b| b)).await
}

async fn setup_with(configure: Configure) -> (MockProcess, App) {
    let mock = MockProcess::spawn().await;
    let app = App::start(&mock.base, Duration::from_secs(2), configure).await;
    mock.set_callback(Some((&app.callback_url, CallbackMethod::Post)))
        .await
        .unwrap();
    (mock, app)
}

async fn newest_uuid(mock: &MockProcess) -> String {
    mock.newest_uuid().await.expect("a push was sent")
}

#[tokio::test]
async fn onetouch_approve() {
    let (mock, app) = setup().await;
    app.user("ada@example.com", "5551230001").await;
    let mut b = app.browser();
    assert_eq!(
        b.login("ada@example.com", PASSWORD)
            .await
            .location
            .as_deref(),
        Some("/authy/verify")
    );
    let decided = mock.approve(&newest_uuid(&mock).await).await.unwrap();
    assert!(decided.callback.unwrap().delivered);
    assert_eq!(b.status().await, "approved");
    assert_eq!(
        b.post("/authy/confirm", &[]).await.location.as_deref(),
        Some("/account")
    );
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test]
async fn onetouch_deny() {
    let (mock, app) = setup().await;
    app.user("ada@example.com", "5551230001").await;
    let mut b = app.browser();
    b.login("ada@example.com", PASSWORD).await;
    mock.deny(&newest_uuid(&mock).await).await.unwrap();
    assert_eq!(b.status().await, "denied");
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 403);
    assert_eq!(b.get("/account").await.status, 303);
}

#[tokio::test]
async fn onetouch_expire() {
    let clock = tower_authy::store::ManualClock::new(tower_authy::store::Clock::now(
        &tower_authy::store::SystemClock,
    ));
    let app_clock = clock.clone();
    let (mock, app) = setup_with(Box::new(move |b| {
        b.clock(app_clock).challenge_ttl(Duration::from_secs(60))
    }))
    .await;
    app.user("ada@example.com", "5551230001").await;
    let mut b = app.browser();
    b.login("ada@example.com", PASSWORD).await;
    let uuid = newest_uuid(&mock).await;
    assert_eq!(
        mock.approval_requests()
            .await
            .unwrap()
            .last()
            .unwrap()
            .seconds_to_expire,
        60
    );
    // Authy expires it (no callback is sent for expiry) and the app's deadline passes.
    mock.advance_clock(Duration::from_secs(61)).await.unwrap();
    clock.advance(61);
    let status = mock
        .approval_requests()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.uuid == uuid)
        .unwrap()
        .status;
    assert_eq!(status, ApprovalStatus::Expired, "Authy's side expired too");
    assert_eq!(b.status().await, "expired");
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 403);
}

#[tokio::test]
async fn app_token() {
    let (mock, app) = setup().await;
    let id = app.user("ada@example.com", "5551230001").await;
    let mut b = app.browser();
    b.login("ada@example.com", PASSWORD).await;
    let token = mock.app_token(id).await.unwrap().token;
    assert_eq!(
        b.post("/authy/token", &[("token", &token)])
            .await
            .location
            .as_deref(),
        Some("/account")
    );
    assert_eq!(b.get("/account").await.status, 200);
}

#[tokio::test]
async fn sms_for_a_user_without_the_app() {
    let (mock, app) = setup().await;
    let id = app.user("bob@example.com", "5551230002").await;
    mock.set_onetouch(id, OneTouchBehaviour::NoDevice)
        .await
        .unwrap();
    let mut b = app.browser();
    b.login("bob@example.com", PASSWORD).await;
    assert_eq!(b.get_json("/authy/status").await.json()["method"], "token");
    assert_eq!(b.post("/authy/sms", &[]).await.status, 303);
    let code = mock.outbox(id).await.unwrap().pop().unwrap().token;
    assert_eq!(
        b.post("/authy/token", &[("token", &code)])
            .await
            .location
            .as_deref(),
        Some("/account")
    );
}

#[tokio::test]
async fn auto_approving_phone() {
    let (mock, app) = setup().await;
    let id = app.user("ada@example.com", "5551230001").await;
    mock.set_onetouch(id, OneTouchBehaviour::AutoApprove { after_ms: 0 })
        .await
        .unwrap();
    let mut b = app.browser();
    b.login("ada@example.com", PASSWORD).await;
    let deadline = tokio::time::Instant::now() + WAIT;
    while b.status().await != "approved" {
        assert!(tokio::time::Instant::now() < deadline, "never approved");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        b.post("/authy/confirm", &[]).await.location.as_deref(),
        Some("/account")
    );
}
