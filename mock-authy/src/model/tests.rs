//! The world's rules, without HTTP.

use super::*;
use crate::FaultTarget;
use crate::authy::*;
use serde_json::Value;

fn world() -> World {
    World::new(Some(1), OneTouchBehaviour::Manual, RateLimits::off())
}

#[test]
fn same_phone_same_id_and_the_email_is_added() {
    let mut w = world();
    let a = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "1");
    let b = w.authy.register(&mut w.rng, "b@x.io", "5551234567", "1");
    let c = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "44");
    assert_eq!(a, b);
    assert_ne!(a, c);
    assert_eq!(w.authy.users[&a].emails, ["a@x.io", "b@x.io"]);
}

#[test]
fn unconfirmed_user_passes_any_token_without_force_but_not_with_it() {
    let mut w = world();
    let id = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "1");
    assert_eq!(
        w.authy.verify(id, "0000000", false, None, 1_000),
        VerifyOutcome::Valid
    );
    assert_eq!(
        w.authy.verify(id, "0000000", true, None, 1_000),
        VerifyOutcome::Invalid
    );
    assert!(!w.authy.users[&id].confirmed);
}

#[test]
fn a_generic_authenticators_six_digit_code_verifies_once() {
    let mut w = world();
    let id = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "1");
    let secret = w.authy.users[&id].secret;
    let code = crate::otp::totp_digits(&secret, 1_000 / 30, crate::otp::GENERIC_DIGITS);
    assert_eq!(code.len(), 6);
    assert_eq!(
        w.authy.verify(id, &code, true, None, 1_000),
        VerifyOutcome::Valid
    );
    assert_eq!(
        w.authy.verify(id, &code, true, None, 1_000),
        VerifyOutcome::Reused
    );
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    assert_eq!(
        w.authy.verify(id, &wrong, true, None, 1_000),
        VerifyOutcome::Invalid
    );
}

#[test]
fn app_token_is_single_use_and_confirms_the_user() {
    let mut w = world();
    let id = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "1");
    let t = w.authy.app_token(id, 1_000).unwrap();
    assert_eq!(
        w.authy.verify(id, &t, true, None, 1_000),
        VerifyOutcome::Valid
    );
    assert!(w.authy.users[&id].confirmed);
    assert_eq!(
        w.authy.verify(id, &t, true, None, 1_000),
        VerifyOutcome::Reused
    );
    // Once confirmed, force no longer matters.
    assert_eq!(
        w.authy.verify(id, "1111111", false, None, 1_000),
        VerifyOutcome::Invalid
    );
}

#[test]
fn sms_codes_expire_and_honour_their_action() {
    let mut w = world();
    let id = w.authy.register(&mut w.rng, "a@x.io", "5551234567", "1");
    let code = w
        .authy
        .send_code(&mut w.rng, id, Channel::Sms, 0, Some("login".into()), None)
        .unwrap()
        .outbox[0]
        .token
        .clone();
    assert_eq!(
        w.authy.verify(id, &code, true, None, 10),
        VerifyOutcome::Invalid
    );
    assert_eq!(
        w.authy.verify(id, &code, true, Some("login"), CODE_TTL + 1),
        VerifyOutcome::Invalid
    );
    assert_eq!(
        w.authy.verify(id, &code, true, Some("login"), 10),
        VerifyOutcome::Valid
    );
    assert_eq!(
        w.authy.verify(id, &code, true, Some("login"), 11),
        VerifyOutcome::Reused
    );
}

#[test]
fn transitions_happen_once_and_expiry_is_lazy() {
    let mut w = world();
    let base = ApprovalRequest {
        uuid: String::new(),
        authy_id: 1,
        message: "m".into(),
        details: Value::Null,
        hidden_details: Value::Null,
        user_email: None,
        logos: Value::Null,
        seconds_to_expire: 60,
        created_at: 100,
        status: ApprovalStatus::Pending,
        processed_at: None,
    };
    let u1 = w.authy.create_approval(&mut w.rng, base.clone());
    let u2 = w.authy.create_approval(&mut w.rng, base);
    assert_ne!(u1, u2);
    assert!(
        w.authy
            .transition(&u1, ApprovalStatus::Approved, 120)
            .is_ok()
    );
    assert!(matches!(
        w.authy.transition(&u1, ApprovalStatus::Denied, 121),
        Err(ControlError::NotPending(ApprovalStatus::Approved))
    ));
    assert_eq!(
        w.authy.approval(&u2, 159).unwrap().status,
        ApprovalStatus::Pending
    );
    assert_eq!(
        w.authy.approval(&u2, 160).unwrap().status,
        ApprovalStatus::Expired
    );
    assert_eq!(w.authy.approval(&u2, 160).unwrap().processed_at, Some(160));
    assert!(matches!(
        w.authy.transition(&u2, ApprovalStatus::Approved, 161),
        Err(ControlError::NotPending(ApprovalStatus::Expired))
    ));
    assert!(matches!(
        w.authy.transition("nope", ApprovalStatus::Approved, 161),
        Err(ControlError::UnknownApproval)
    ));
}

#[test]
fn counted_faults_run_out_and_latency_stacks() {
    let mut w = world();
    w.faults
        .push(Fault::new(Endpoint::Verify, FaultKind::Latency { ms: 5 }));
    w.faults
        .push(Fault::new(FaultTarget::Any, FaultKind::MalformedJson).times(1));
    assert_eq!(
        w.take_faults(Endpoint::Verify),
        (5, Some(FaultKind::MalformedJson))
    );
    assert_eq!(w.take_faults(Endpoint::Verify), (5, None));
    assert_eq!(w.take_faults(Endpoint::Sms), (0, None));
    assert_eq!(w.faults.len(), 1);
}

#[test]
fn probabilistic_faults_follow_the_seed() {
    let run = || {
        let mut w = world();
        w.faults
            .push(Fault::new(FaultTarget::Any, FaultKind::DropConnection).probability(0.5));
        (0..64)
            .map(|_| w.take_faults(Endpoint::Sms).1.is_some())
            .collect::<Vec<_>>()
    };
    let a = run();
    assert_eq!(a, run());
    assert!(a.iter().any(|&x| x) && a.iter().any(|&x| !x));
}
