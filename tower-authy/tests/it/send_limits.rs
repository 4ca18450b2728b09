//! Send limits: pushes, SMS and calls per account, per factor and per phone number, across
//! accounts and providers, and code guesses counted per number on Verify.

use crate::support::pushes;
use test_support::{Options, PASSWORD, World};

#[tokio::test]
async fn pushes_are_rate_limited_per_account() {
    let w = World::start().await;
    let authy_id = w.user("ada@example.com", "5551230001").await;
    for _ in 0..6 {
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    }
    let pushes = w
        .mock
        .approval_requests()
        .iter()
        .filter(|a| a.authy_id == authy_id)
        .count();
    assert_eq!(
        pushes, 5,
        "the sixth login in ten minutes gets a token form, not a push"
    );
    w.advance(601);
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    assert_eq!(w.mock.approval_requests().len(), 6);
}

#[tokio::test]
async fn sms_and_push_limits_hold_per_phone_across_accounts() {
    let w = World::configured(|b| {
        b.send_limits(tower_authy::limits::SendLimits {
            pushes_per_10_minutes: 3,
            per_login: 3,
            per_hour: 4,
        })
    })
    .await;
    // Two app accounts, one phone: Authy gives both the same authy_id.
    let id_a = w.user("a@example.com", "5551230001").await;
    let id_b = w.user("b@example.com", "5551230001").await;
    assert_eq!(id_a, id_b);

    let mut sent = 0;
    for (email, sms) in [
        ("a@example.com", 2),
        ("a@example.com", 2),
        ("b@example.com", 2),
    ] {
        let mut b = w.browser();
        assert_eq!(b.login(email, PASSWORD).await.status, 303);
        for _ in 0..sms {
            let page = b.post("/authy/sms", &[]).await;
            if page.status == 303 {
                sent += 1;
            } else {
                assert_eq!(page.status, 429);
            }
        }
    }
    assert_eq!(sent, 4, "the phone's hourly limit spans accounts");
    assert_eq!(w.mock.outbox(id_a).unwrap().len(), 4);
    assert_eq!(
        pushes(&w),
        3,
        "the phone's push limit spans accounts as well"
    );
}

/// On Verify each account has an entity of its own, so the subject is no proxy for the phone:
/// the number itself has the hourly send limit, shared by every account that holds it. Failed
/// before the fix: each account's entity had its own allowance (6 codes to one number, not 4).
#[tokio::test]
async fn on_verify_sends_count_per_phone_number_across_accounts() {
    let w = World::start_with(Options {
        provider: test_support::ProviderKind::Verify,
        configure: Box::new(|b| {
            b.send_limits(tower_authy::limits::SendLimits {
                pushes_per_10_minutes: 3,
                per_login: 3,
                per_hour: 4,
            })
        }),
        ..Options::default()
    })
    .await;
    let id_a = w.user("a@example.com", "5551230001").await;
    let id_b = w.user("b@example.com", "5551230001").await;
    assert_ne!(id_a, id_b, "one entity per account");
    let mut sent = 0;
    for email in ["a@example.com", "b@example.com"] {
        let mut b = w.browser();
        assert_eq!(b.login(email, PASSWORD).await.status, 303);
        for _ in 0..3 {
            let page = b.post("/authy/sms", &[]).await;
            assert!([303, 429].contains(&page.status), "{}", page.status);
            sent += usize::from(page.status == 303);
        }
    }
    assert_eq!(sent, 4, "the number's hourly limit spans accounts");
    let to_phone = test_support::sent_codes(
        test_support::ProviderKind::Verify,
        &w.mock,
        id_a,
        "+15551230001",
    );
    assert_eq!(to_phone.len(), 4);
}

/// On Verify a code check is also a guess at the code sent to the number, which several
/// accounts' entities may hold: guesses count per number as well as per entity, so throwaway
/// accounts on one number add up to no more guesses than one factor may have. Failed before
/// the fix: each entity had its own allowance (20 checks reached Verify, not 10).
#[tokio::test]
async fn on_verify_code_guesses_count_per_phone_number_across_accounts() {
    let w = World::on(test_support::ProviderKind::Verify).await;
    let mut refused = 0;
    for i in 0..4 {
        let email = format!("throwaway{i}@example.com");
        w.user(&email, "5551230042").await;
        let mut b = w.browser();
        assert_eq!(b.login(&email, PASSWORD).await.status, 303);
        for _ in 0..5 {
            let page = b.post("/authy/token", &[("token", "0000000")]).await;
            assert!([401, 429].contains(&page.status), "{}", page.status);
            refused += usize::from(page.status == 429);
        }
    }
    assert_eq!(
        w.code_checks(),
        10,
        "the number's limit, not 4 accounts × 5"
    );
    assert_eq!(refused, 10);
    // The number's owner still logs in with the push.
    let (mut owner, _, push) = w.pending_login("owner@example.com", "5551230042").await;
    w.approve(&push).await;
    assert_eq!(owner.post("/authy/confirm", &[]).await.status, 303);
}
