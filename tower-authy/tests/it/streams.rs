//! Event streams: many streams on one login share one poll of the provider, and streams are
//! capped per login.

use std::time::{Duration, Instant};
use test_support::{PASSWORD, World};
use tower_authy::{limits::StreamLimits, store::SystemClock};

/// How many times Authy was asked for an approval request's status.
fn authy_polls(mock: &mock_authy::MockAuthy) -> usize {
    mock.journal()
        .iter()
        .filter(|e| e.endpoint == "approval_request_get")
        .count()
}

#[tokio::test]
async fn many_streams_on_one_login_share_one_authy_poll() {
    let w = World::configured(|b| {
        b.clock(SystemClock)
            .authy_poll_every(Duration::from_secs(1))
            .event_streams(StreamLimits {
                per_session: 8,
                per_challenge: 8,
            })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    let opened = Instant::now();
    let mut streams = Vec::new();
    for _ in 0..8 {
        let r = b.open_events().await;
        assert_eq!(r.status(), 200);
        streams.push(r);
    }
    w.mock
        .wait_for(Duration::from_secs(20), |m| {
            (authy_polls(m) >= 2).then_some(())
        })
        .await
        .expect("the waiting streams asked Authy");
    drop(streams);
    let elapsed = opened.elapsed().as_secs_f64();
    let n = authy_polls(&w.mock);
    // One poll per whole second at most (the store's clock counts seconds), so at most
    // elapsed + 1 of them; eight independent streams would have made eight at once.
    assert!(
        n as f64 <= elapsed.ceil() + 1.0,
        "{n} polls in {elapsed:.1} s from 8 streams"
    );
}

#[tokio::test]
async fn event_streams_are_capped_per_login() {
    let w = World::configured(|b| {
        b.event_streams(StreamLimits {
            per_session: 10,
            per_challenge: 2,
        })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let first = b.open_events().await;
    let _second = b.open_events().await;
    assert_eq!(first.status(), 200);
    let third = b.open_events().await;
    assert_eq!(third.status(), 429);
    assert!(third.headers().contains_key("retry-after"));

    // A closed page gives its place back.
    drop(first);
    let deadline = Instant::now() + test_support::WAIT;
    loop {
        let again = b.open_events().await;
        if again.status() == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the closed stream's place came back"
        );
        tokio::task::yield_now().await;
    }
}
