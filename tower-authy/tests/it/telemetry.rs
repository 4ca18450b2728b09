//! Metrics through the `metrics` facade: a recorder sees the counters, the gauge and the
//! provider timings move with the flows, labelled with fixed words only.

use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use std::collections::HashMap;
use test_support::{PASSWORD, World};

/// Runs `flows` on a runtime of this thread with a recorder of its own (the metrics of other
/// tests running at the same time go elsewhere); every metric recorded, by name and labels.
fn recorded(flows: impl AsyncFnOnce()) -> HashMap<String, DebugValue> {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(flows());
    });
    snapshotter
        .snapshot()
        .into_vec()
        .into_iter()
        .map(|(key, _, _, value)| {
            let key = key.key();
            let mut labels: Vec<String> = key
                .labels()
                .map(|l| format!("{}={}", l.key(), l.value()))
                .collect();
            labels.sort();
            (format!("{}{{{}}}", key.name(), labels.join(",")), value)
        })
        .collect()
}

fn counter(all: &HashMap<String, DebugValue>, name: &str) -> u64 {
    match all.get(name) {
        Some(DebugValue::Counter(n)) => *n,
        None => 0,
        Some(other) => panic!("{name} is not a counter: {other:?}"),
    }
}

#[test]
fn counters_move_with_the_flows_and_carry_no_user() {
    let all = recorded(async || {
        let w = World::start().await;
        let subject = w.user("ada@example.com", "5551230001").await;
        // A wrong password, then a push approved.
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", "wrong").await.status, 401);
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
        let push = w.latest_push(subject).await;
        w.approve(&push).await;
        assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
        // A wrong code, an SMS, then the right code.
        let mut b = w.browser();
        b.login("ada@example.com", PASSWORD).await;
        // An event stream opened on the waiting page, then closed.
        let stream = b.open_events().await;
        assert_eq!(stream.status(), 200);
        drop(stream);
        let wrong = b.post("/authy/token", &[("token", "0000000")]).await;
        assert_eq!(wrong.status, 401);
        assert_eq!(b.post("/authy/sms", &[]).await.status, 303);
        let code = w.app_code(subject).await;
        assert_eq!(
            b.post("/authy/token", &[("token", &code)]).await.status,
            303
        );
        // An event stream opened and closed.
        drop(b.open_events().await);
    });
    let count = |name: &str| counter(&all, name);
    assert_eq!(count("tower_authy_first_factor_total{outcome=failure}"), 1);
    assert_eq!(count("tower_authy_first_factor_total{outcome=success}"), 2);
    assert_eq!(count("tower_authy_pushes_total{outcome=sent}"), 2);
    assert_eq!(count("tower_authy_pushes_total{outcome=approved}"), 1);
    assert_eq!(
        count("tower_authy_second_factor_total{kind=push,outcome=success}"),
        1
    );
    assert_eq!(
        count("tower_authy_second_factor_total{kind=code,outcome=failure}"),
        1
    );
    assert_eq!(
        count("tower_authy_second_factor_total{kind=code,outcome=success}"),
        1
    );
    assert_eq!(count("tower_authy_codes_sent_total{channel=sms}"), 1);
    assert!(
        matches!(
            all.get("tower_authy_event_streams_open{}"),
            Some(DebugValue::Gauge(g)) if g.into_inner() == 0.0
        ),
        "{:?}",
        all.get("tower_authy_event_streams_open{}")
    );
    let verify = "tower_authy_provider_request_duration_seconds{operation=verify_code,outcome=ok,provider=authy}";
    assert!(
        matches!(all.get(verify), Some(DebugValue::Histogram(h)) if h.len() == 1),
        "{:?}",
        all.keys().collect::<Vec<_>>()
    );
    // Labels are fixed words: no user, login, address or code anywhere.
    for key in all.keys() {
        for secret in ["ada", "example.com", "127.0.0.1", "5551230001", "0000000"] {
            assert!(!key.contains(secret), "{key}");
        }
    }
}
