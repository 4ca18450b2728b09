//! The in-memory stores pass the conformance suites that other implementations can run.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use tower_authy::conformance::{self, KnownUser};
use tower_authy::{MemoryChallengeStore, MemoryUserStore};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_challenge_store_conforms() {
    conformance::challenge_store(Arc::new(MemoryChallengeStore::new())).await;
}

#[tokio::test]
async fn memory_user_store_conforms() {
    let users = MemoryUserStore::new();
    users.insert("other@example.com", "pw-0", Some(1));
    let id = users.insert("ada@example.com", "pw-1", Some(42));
    conformance::user_store(
        &users,
        &KnownUser {
            id,
            login: "ada@example.com".into(),
            password: "pw-1".into(),
            authy_id: Some(42),
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
    conformance::recovery_code_store(&tower_authy::MemoryRecoveryCodeStore::new()).await;
    conformance::device_store(&tower_authy::MemoryDeviceStore::new()).await;
}

#[tokio::test]
async fn memory_totp_secret_store_conforms() {
    conformance::totp_secret_store(std::sync::Arc::new(
        tower_authy::MemoryTotpSecretStore::new(),
    ))
    .await;
}
