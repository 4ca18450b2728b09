//! Conformance suites that any [`UserStore`], [`ChallengeStore`],
//! [`RecoveryCodeStore`](crate::recovery::RecoveryCodeStore) or [`DeviceStore`](crate::remember::DeviceStore)
//! implementation can run in its own tests. Each check panics with a message naming the broken
//! rule.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! use tower_authy::{store::MemoryChallengeStore, store::MemoryUserStore, conformance};
//! let users = MemoryUserStore::new();
//! let id = users.insert("ada@example.com", "pw-1", []);
//! conformance::user_store(&users, &conformance::KnownUser {
//!     id, login: "ada@example.com".into(), password: "pw-1".into(),
//! }).await;
//! let (a, b) = (users.insert("bob@example.com", "pw-2", []), users.insert("cy@example.com", "pw-3", []));
//! conformance::factor_store(&users, &users, &a, &b).await;
//! conformance::challenge_store(std::sync::Arc::new(MemoryChallengeStore::new())).await;
//! conformance::recovery_code_store(&tower_authy::recovery::MemoryRecoveryCodeStore::new()).await;
//! conformance::device_store(&tower_authy::remember::MemoryDeviceStore::new()).await;
//! # }
//! ```

mod factors;
#[cfg(feature = "webauthn")]
mod passkeys;
mod second_factor;
mod shared;
#[cfg(feature = "totp")]
mod totp;
pub use factors::factor_store;
#[cfg(feature = "webauthn")]
pub use passkeys::passkey_store;
pub use second_factor::{device_store, recovery_code_store};
pub use shared::shared_challenge_store;
#[cfg(feature = "totp")]
pub use totp::totp_secret_store;

use crate::limits::AttemptLimits;
use crate::secret::Password;
use crate::store::{AttemptDecision, Challenge, ChallengeState, ChallengeStore, UserStore};
use std::sync::Arc;

/// A user that exists in the store under test.
#[derive(Debug, Clone)]
pub struct KnownUser {
    /// Their id.
    pub id: String,
    /// Their login.
    pub login: String,
    /// Their password (in clear, for the test).
    pub password: String,
}

/// Checks the [`UserStore`] contract against one known user.
///
/// # Panics
/// When the store breaks a rule.
pub async fn user_store<S: UserStore + ?Sized>(store: &S, known: &KnownUser) {
    let found = store
        .verify_password(&known.login, &Password::new(known.password.clone()))
        .await
        .expect("store answers");
    let found = found.expect("the right password finds the user");
    assert_eq!(found.id, known.id, "verify_password returns the user's id");
    assert_eq!(
        found.login, known.login,
        "verify_password returns the user's login"
    );
    for wrong in [
        format!("{}x", known.password),
        String::new(),
        known.password.to_uppercase() + "\u{0}",
    ] {
        let r = store
            .verify_password(&known.login, &Password::new(wrong))
            .await
            .expect("store answers");
        assert!(r.is_none(), "a wrong password is Ok(None)");
    }
    let r = store
        .verify_password(
            "no-such-user@invalid",
            &Password::new(known.password.clone()),
        )
        .await
        .expect("store answers");
    assert!(r.is_none(), "an unknown login is Ok(None), not an error");
    let loaded = store
        .load(&known.id)
        .await
        .expect("store answers")
        .expect("load finds the user by id");
    assert_eq!(loaded.login, known.login, "load returns the same user");
    assert!(
        store
            .load("no-such-id")
            .await
            .expect("store answers")
            .is_none(),
        "an unknown id is Ok(None)"
    );
}

fn challenge(id: &str, uuid: Option<&str>) -> Challenge {
    Challenge {
        id: id.to_owned(),
        user_id: format!("user-of-{id}"),
        subject: 7,
        provider: String::new(),
        factor_id: String::new(),
        push_id: uuid.map(str::to_owned),
        match_code: "123".into(),
        state: ChallengeState::Pending,
        created_at: 1_000,
        expires_at: 1_300,
    }
}

/// Checks the [`ChallengeStore`] contract, concurrency included: 100 parallel compare-and-sets
/// give exactly one winner, and parallel attempts never exceed the limits.
///
/// # Panics
/// When the store breaks a rule.
pub async fn challenge_store<S: ChallengeStore>(store: Arc<S>) {
    store
        .create(challenge("c1", Some("uuid-1")))
        .await
        .expect("create");
    assert_eq!(
        store.get("c1").await.expect("get").map(|c| c.state),
        Some(ChallengeState::Pending)
    );
    assert_eq!(
        store
            .find_by_approval("uuid-1")
            .await
            .expect("find")
            .map(|c| c.id),
        Some("c1".into())
    );
    assert!(
        store.get("nope").await.expect("get").is_none(),
        "unknown id is Ok(None)"
    );
    assert!(
        store
            .find_by_approval("nope")
            .await
            .expect("find")
            .is_none()
    );

    // Exactly one of many racing transitions wins.
    let racers: Vec<_> = (0..100)
        .map(|i| {
            let store = Arc::clone(&store);
            let to = if i % 2 == 0 {
                ChallengeState::Approved
            } else {
                ChallengeState::Denied
            };
            tokio::spawn(async move {
                store
                    .transition("c1", ChallengeState::Pending, to)
                    .await
                    .expect("transition")
            })
        })
        .collect();
    let mut winners = 0;
    for r in racers {
        winners += usize::from(r.await.expect("task"));
    }
    assert_eq!(winners, 1, "one compare-and-set wins");
    assert!(
        !store
            .transition("c1", ChallengeState::Pending, ChallengeState::Expired)
            .await
            .expect("transition"),
        "a final state stays"
    );
    assert!(
        !store
            .transition("nope", ChallengeState::Pending, ChallengeState::Approved)
            .await
            .expect("transition")
    );

    // Attempts are counted before use, and limits hold under concurrency.
    let limits = AttemptLimits {
        per_challenge: 3,
        per_account: 5,
        lockout_secs: 60,
    };
    store.create(challenge("c2", None)).await.expect("create");
    let tries: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .begin_attempt("c2", "acct", &limits, 1_000)
                    .await
                    .expect("attempt")
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tries {
        allowed += usize::from(t.await.expect("task") == AttemptDecision::Allowed);
    }
    assert_eq!(allowed, 3, "per-challenge limit holds");
    store.create(challenge("c3", None)).await.expect("create");
    assert_eq!(
        store
            .begin_attempt("c3", "acct", &limits, 1_001)
            .await
            .expect("attempt"),
        AttemptDecision::Allowed
    );
    assert_eq!(
        store
            .begin_attempt("c3", "acct", &limits, 1_002)
            .await
            .expect("attempt"),
        AttemptDecision::Allowed
    );
    assert_eq!(
        store
            .begin_attempt("c3", "acct", &limits, 1_003)
            .await
            .expect("attempt"),
        AttemptDecision::AccountLocked,
        "per-account limit spans challenges"
    );
    assert!(
        store
            .account_locked("acct", &limits, 1_003)
            .await
            .expect("locked")
    );
    assert!(
        !store
            .account_locked("other", &limits, 1_003)
            .await
            .expect("locked"),
        "locks are per account"
    );
    assert!(
        !store
            .account_locked("acct", &limits, 1_002 + 60)
            .await
            .expect("locked"),
        "the lock runs out"
    );
    store.clear_failures("acct").await.expect("clear");
    assert!(
        !store
            .account_locked("acct", &limits, 1_003)
            .await
            .expect("locked")
    );

    // Quotas slide.
    for _ in 0..2 {
        assert!(store.take_quota("q", 2, 10, 1_000).await.expect("quota"));
    }
    assert!(
        !store.take_quota("q", 2, 10, 1_005).await.expect("quota"),
        "quota exhausted in the window"
    );
    assert!(
        store.take_quota("q", 2, 10, 1_010).await.expect("quota"),
        "quota refills after the window"
    );

    // Nonces are single use until they expire.
    assert!(store.consume_nonce("n", 1_100, 1_000).await.expect("nonce"));
    assert!(
        !store.consume_nonce("n", 1_100, 1_050).await.expect("nonce"),
        "a replay is refused"
    );

    // Password throttling: counted before the check, exact under concurrency, refunds only
    // undo a count, and an idle key starts over.
    let tries: Vec<_> = (0..50)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                store
                    .take_attempt("pw", 5, 900, 2_000)
                    .await
                    .expect("attempt")
            })
        })
        .collect();
    let mut allowed = 0;
    for t in tries {
        allowed += usize::from(t.await.expect("task"));
    }
    assert_eq!(allowed, 5, "the throttle holds under concurrency");
    assert!(
        !store
            .take_attempt("pw", 5, 900, 2_899)
            .await
            .expect("attempt"),
        "throttled until the lockout has passed since the newest attempt"
    );
    assert!(
        store
            .take_attempt("pw-other", 5, 900, 2_000)
            .await
            .expect("attempt"),
        "keys are independent"
    );
    store.refund_attempt("pw").await.expect("refund");
    assert!(
        store
            .take_attempt("pw", 5, 900, 2_001)
            .await
            .expect("attempt"),
        "a refund gives one attempt back"
    );
    assert!(
        !store
            .take_attempt("pw", 5, 900, 2_002)
            .await
            .expect("attempt")
    );
    assert!(
        store
            .take_attempt("pw", 5, 900, 2_001 + 900)
            .await
            .expect("attempt"),
        "an idle key starts over"
    );
    for _ in 0..3 {
        store.refund_attempt("pw").await.expect("refund");
    }
    store.refund_attempt("never-counted").await.expect("refund");
    for _ in 0..5 {
        assert!(
            store
                .take_attempt("pw", 5, 900, 2_902)
                .await
                .expect("attempt")
        );
    }
    assert!(
        !store
            .take_attempt("pw", 5, 900, 2_903)
            .await
            .expect("attempt"),
        "refunds never go below zero"
    );
    ceremonies(store.as_ref()).await;
}

/// A ceremony's state is taken once, replaced by a newer one, and gone at its expiry; a
/// hundred concurrent takes get it once.
async fn ceremonies<S: ChallengeStore>(store: &S) {
    let keep = |key: &'static str, state: &'static [u8], expires_at: i64, now: i64| async move {
        store
            .keep_ceremony(key, state.to_vec(), expires_at, now)
            .await
            .expect("keep_ceremony");
    };
    let take = |key: &'static str, now: i64| async move {
        store.take_ceremony(key, now).await.expect("take_ceremony")
    };
    keep("w1", b"first", 1_300, 1_000).await;
    keep("w1", b"second", 1_300, 1_000).await;
    keep("w2", b"other", 1_300, 1_000).await;
    assert_eq!(
        take("w1", 1_001).await.as_deref(),
        Some(&b"second"[..]),
        "the newest state"
    );
    assert_eq!(
        take("w1", 1_002).await,
        None,
        "a ceremony's state is taken once"
    );
    assert_eq!(
        take("w2", 1_003).await.as_deref(),
        Some(&b"other"[..]),
        "keys are apart"
    );
    assert_eq!(
        take("w3", 1_004).await,
        None,
        "an unknown key holds nothing"
    );
}
