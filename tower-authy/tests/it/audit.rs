//! The audit hook: each action emits its event exactly once, with the user, a session digest,
//! the client address and the time, and never a secret.

use test_support::{Browser, PASSWORD, World};
use tower_authy::audit::{AuditEvent, EventKind, Method, PushOutcome};
use tower_authy::limits::{AttemptLimits, LoginThrottle};
use tower_authy::recovery::MemoryRecoveryCodeStore;
use tower_authy::remember::{MemoryDeviceStore, RememberDevice, RememberKey};

/// Nothing secret in any field of any event: no password, code, key or session id.
fn assert_no_secret(events: &[AuditEvent], secrets: &[&str]) {
    for e in events {
        let json = serde_json::to_string(e).unwrap();
        for s in secrets {
            assert!(!json.contains(s), "{s:?} in {json}");
        }
    }
}

#[tokio::test]
async fn a_push_login_emits_each_event_once_with_who_where_and_when() {
    let w = World::start().await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    // The waiting page's status poll and the confirm both see the approval; it counts once.
    b.get("/authy/status").await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    b.post("/authy/confirm", &[]).await;

    let events = w.audit.events();
    let names = w.audit.take_names();
    assert_eq!(
        names,
        [
            "password_accepted",
            "push_sent",
            "push_answered",
            "second_factor_proved"
        ]
    );
    let ada = events[0].user_id.clone().expect("the user");
    for e in &events {
        assert_eq!(e.user_id.as_deref(), Some(ada.as_str()), "{e:?}");
        assert_eq!(e.at, test_support::T0, "the configured clock");
    }
    let proved = &events[3];
    let EventKind::SecondFactorProved { method, factor_id } = &proved.kind else {
        panic!("{proved:?}")
    };
    assert_eq!(*method, Method::Push);
    assert!(factor_id.is_some(), "which factor");
    assert_eq!(
        events[2].kind,
        EventKind::PushAnswered {
            outcome: PushOutcome::Approved
        }
    );
    // The browser's requests carry its address and session; Authy's callback carries no
    // session of the user's.
    for e in [&events[0], &events[1], &events[3]] {
        assert_eq!(e.client.as_deref(), Some("127.0.0.1"), "{e:?}");
        let digest = e.session.as_deref().expect("a session digest");
        assert_eq!(digest.len(), 16);
    }
    assert_eq!(
        (&events[2].session, &events[2].client),
        (&None, &None),
        "the callback is not the user's request"
    );
    let cookie = b.cookie().unwrap();
    let session_id = cookie
        .split("; ")
        .find_map(|c| c.strip_prefix("id="))
        .unwrap_or(&cookie);
    assert_no_secret(&events, &[PASSWORD, &push, session_id, w.mock.api_key()]);
}

#[tokio::test]
async fn wrong_passwords_codes_and_a_lock_are_each_recorded() {
    let w = World::configured(|b| {
        b.attempt_limits(AttemptLimits {
            per_challenge: 5,
            per_account: 3,
            lockout_secs: 900,
        })
    })
    .await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let password = tower_authy::secret::Password::new(PASSWORD);
    let ada = tower_authy::UserStore::verify_password(&w.users, "ada@example.com", &password);
    let ada = ada.await.unwrap().unwrap().id;
    let ada_factor = tower_authy::FactorStore::factors(&w.users, &ada)
        .await
        .unwrap()[0]
        .id
        .clone();
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", "wrong").await.status, 401);
    assert_eq!(b.login("nobody@example.com", "wrong").await.status, 401);
    let refused = w.audit.events();
    assert_eq!(refused.len(), 2);
    for e in &refused {
        assert_eq!(e.kind, EventKind::PasswordRefused { throttled: false });
        assert_eq!(e.user_id, None, "the refusal names nobody");
    }
    w.audit.take_names();

    b.login("ada@example.com", PASSWORD).await;
    assert_eq!(b.post("/authy/sms", &[]).await.status, 303);
    assert_eq!(b.post("/authy/call", &[]).await.status, 303);
    let wrong = b.post("/authy/token", &[("token", "1234567")]).await;
    assert_eq!(wrong.status, 401);
    let token = w.mock.app_token(subject).unwrap();
    let done = b.post("/authy/token", &[("token", &token)]).await;
    assert_eq!(done.location.as_deref(), Some("/account"));
    let events = w.audit.events();
    assert_eq!(
        w.audit.take_names(),
        [
            "password_accepted",
            "push_sent",
            "code_sent",
            "code_sent",
            "second_factor_refused",
            "second_factor_proved"
        ]
    );
    assert_eq!(events[2].kind, EventKind::CodeSent { channel: "sms" });
    assert_eq!(events[3].kind, EventKind::CodeSent { channel: "call" });
    assert_eq!(
        events[5].kind,
        EventKind::SecondFactorProved {
            method: Method::Code,
            factor_id: Some(ada_factor.clone()),
        }
    );
    assert_no_secret(&events, &[&token, "1234567"]);

    // Wrong codes until the account locks: one lock event.
    let mut c = w.browser();
    c.login("ada@example.com", PASSWORD).await;
    w.audit.take_names();
    for _ in 0..12 {
        if c.post("/authy/token", &[("token", "1234567")]).await.status == 403 {
            break;
        }
    }
    let names = w.audit.take_names();
    assert_eq!(
        names.iter().filter(|n| *n == "locked").count(),
        1,
        "{names:?}"
    );
}

#[tokio::test]
async fn a_denied_and_an_expired_push_are_answered_once_each() {
    let w = World::start().await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.answer(&push, false).await;
    b.get("/authy/status").await;
    let mut c = w.browser();
    c.login("ada@example.com", PASSWORD).await;
    w.advance(301);
    c.get("/authy/status").await;
    c.get("/authy/status").await;
    let outcomes: Vec<EventKind> = w
        .audit
        .events()
        .into_iter()
        .filter(|e| matches!(e.kind, EventKind::PushAnswered { .. }))
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        outcomes,
        [
            EventKind::PushAnswered {
                outcome: PushOutcome::Denied
            },
            EventKind::PushAnswered {
                outcome: PushOutcome::Expired
            }
        ]
    );
}

#[tokio::test]
async fn recovery_codes_and_remembered_devices_are_recorded() {
    let codes = MemoryRecoveryCodeStore::new();
    let devices = MemoryDeviceStore::new();
    let w = World::configured(move |b| {
        let settings = RememberDevice {
            days: 30,
            per_user: 2,
        };
        b.recovery_codes(codes).remember_devices(
            settings,
            RememberKey::from_bytes([9; 32]),
            devices,
        )
    })
    .await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = Browser::new(&w.base);
    let fields = [
        ("login", "ada@example.com"),
        ("password", PASSWORD),
        ("remember", "1"),
    ];
    b.post("/authy/login", &fields).await;
    let token = w.mock.app_token(subject).unwrap();
    b.post("/authy/token", &[("token", &token)]).await;
    let page = b.post("/authy/recovery-codes", &[]).await;
    let shown = page.recovery_codes();
    assert_eq!(
        w.audit.take_names(),
        [
            "password_accepted",
            "push_sent",
            "second_factor_proved",
            "device_remembered",
            "recovery_codes_generated"
        ]
    );
    assert_no_secret(&w.audit.events(), &[&shown[0], &shown[9]]);

    // The remembered browser logs in again with the password alone: proved by the device.
    b.post("/authy/logout", &[]).await;
    let again = b.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        again.location.as_deref(),
        Some("/account"),
        "{}",
        again.body
    );
    let events = w.audit.events();
    assert_eq!(
        events.iter().map(|e| e.kind.clone()).collect::<Vec<_>>(),
        [
            EventKind::PasswordAccepted,
            EventKind::SecondFactorProved {
                method: Method::RememberedDevice,
                factor_id: None
            }
        ]
    );
    w.audit.take_names();

    b.post("/authy/devices/forget", &[]).await;
    let events = w.audit.events();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, EventKind::DevicesForgotten { count: 1 });
    w.audit.take_names();

    // A recovery code in place of the phone, from another browser.
    let mut c = w.browser();
    c.login("ada@example.com", PASSWORD).await;
    let done = c.post("/authy/token", &[("token", &shown[0])]).await;
    assert_eq!(done.location.as_deref(), Some("/account"), "{}", done.body);
    let events = w.audit.events();
    let kinds: Vec<&EventKind> = events.iter().map(|e| &e.kind).collect();
    assert!(
        kinds.contains(&&EventKind::RecoveryCodeUsed { codes_left: 9 }),
        "{kinds:?}"
    );
    assert!(
        kinds.contains(&&EventKind::SecondFactorProved {
            method: Method::RecoveryCode,
            factor_id: None
        }),
        "{kinds:?}"
    );
    assert_no_secret(&events, &[&shown[0]]);
}

#[tokio::test]
async fn a_throttled_password_is_recorded_as_refused_unchecked() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_account: 1,
            ..LoginThrottle::default()
        })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    for _ in 0..3 {
        assert_eq!(b.login("ada@example.com", "wrong").await.status, 401);
    }
    let kinds: Vec<EventKind> = w.audit.events().into_iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.first(),
        Some(&EventKind::PasswordRefused { throttled: false })
    );
    assert_eq!(
        kinds.last(),
        Some(&EventKind::PasswordRefused { throttled: true }),
        "{kinds:?}"
    );
}
