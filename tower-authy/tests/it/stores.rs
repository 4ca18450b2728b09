//! The in-memory stores pass the conformance suites that other implementations can run.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use tower_authy::conformance::{self, KnownUser};
use tower_authy::{store::MemoryChallengeStore, store::MemoryUserStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_challenge_store_conforms() {
    conformance::challenge_store(Arc::new(MemoryChallengeStore::new())).await;
}

#[tokio::test]
async fn memory_user_store_conforms() {
    let users = MemoryUserStore::new();
    users.insert("other@example.com", "pw-0", []);
    let id = users.insert("ada@example.com", "pw-1", []);
    conformance::user_store(
        &users,
        &KnownUser {
            id,
            login: "ada@example.com".into(),
            password: "pw-1".into(),
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clones_of_a_memory_challenge_store_share_one_state() {
    let store = Arc::new(MemoryChallengeStore::new());
    let clients: Vec<_> = (0..3).map(|_| Arc::new((*store).clone())).collect();
    conformance::shared_challenge_store(&clients).await;
}

#[tokio::test]
async fn memory_recovery_code_and_device_stores_conform() {
    conformance::recovery_code_store(&tower_authy::recovery::MemoryRecoveryCodeStore::new()).await;
    conformance::device_store(&tower_authy::remember::MemoryDeviceStore::new()).await;
}

#[tokio::test]
async fn the_memory_user_store_keeps_factors_that_conform() {
    let users = MemoryUserStore::new();
    let a = users.insert("a@example.com", "pw", []);
    let b = users.insert("b@example.com", "pw", []);
    conformance::factor_store(&users, &users, &a, &b).await;
}

#[tokio::test]
async fn memory_totp_secret_store_conforms() {
    conformance::totp_secret_store(std::sync::Arc::new(
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    ))
    .await;
}

/// A flood of distinct keys (login names, phones, nonces, accounts, challenges: what an
/// attacker controls), with time passing, cannot grow the memory store without bound: every
/// entry expires as in Redis, and refused requests add none. Failed before the fix: spent
/// quotas and token failures were never deleted, and 200,000 steps left over a million
/// entries.
#[tokio::test]
async fn the_memory_store_stays_bounded_under_a_flood_of_distinct_keys() {
    use tower_authy::{ChallengeStore, limits::AttemptLimits};
    let store = MemoryChallengeStore::new();
    let limits = AttemptLimits {
        per_challenge: 5,
        per_account: 10,
        lockout_secs: 300,
    };
    const T0: i64 = 1_750_000_000;
    // Ten steps a second; each key lives at most two hours (a challenge's attempt count), so
    // at most 72,000 + 5 × 3,000 entries are alive at once.
    let live = 72_000 + 5 * 3_000;
    for i in 0..200_000i64 {
        let now = T0 + i / 10;
        let key = format!("k{i}");
        assert!(store.take_attempt(&key, 5, 300, now).await.unwrap());
        assert!(
            !store
                .take_attempt(&format!("refused{i}"), 0, 300, now)
                .await
                .unwrap()
        );
        assert!(store.take_quota(&key, 3, 300, now).await.unwrap());
        assert!(
            !store
                .take_quota(&format!("none{i}"), 0, 300, now)
                .await
                .unwrap()
        );
        assert!(store.consume_nonce(&key, now + 300, now).await.unwrap());
        let decision = store.begin_attempt(&key, &key, &limits, now).await.unwrap();
        assert_eq!(decision, tower_authy::store::AttemptDecision::Allowed);
        if i % 10_000 == 0 {
            let held = store.entries();
            assert!(held <= live * 3 / 2 + 2048, "{held} entries at step {i}");
        }
    }
    // Quiet for a day: the next operations sweep everything away.
    let later = T0 + 20_000 + 86_400;
    for i in 0..2_048 {
        store
            .consume_nonce(&format!("n{i}"), later + 1, later)
            .await
            .unwrap();
    }
    assert!(store.entries() <= 2_048, "{} entries", store.entries());
}

/// A ceremony's state in memory ends at its expiry (taken or not), and is swept with the rest:
/// abandoned ceremonies do not pile up.
#[tokio::test]
async fn memory_ceremonies_expire_and_are_swept() {
    use tower_authy::ChallengeStore;
    let store = MemoryChallengeStore::new();
    store
        .keep_ceremony("late", b"s".to_vec(), 1_300, 1_000)
        .await
        .unwrap();
    assert_eq!(
        store.take_ceremony("late", 1_300).await.unwrap(),
        None,
        "expired"
    );
    for n in 0..5_000 {
        let key = format!("abandoned-{n}");
        store
            .keep_ceremony(&key, vec![0; 64], 1_000 + n, 1_000 + n - 1)
            .await
            .unwrap();
    }
    // An hour later, a single operation sweeps them all.
    store.take_ceremony("nothing", 10_000).await.unwrap();
    assert!(store.entries() <= 1, "{} entries", store.entries());
}
