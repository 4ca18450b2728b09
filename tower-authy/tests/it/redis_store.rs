//! `RedisChallengeStore` against a real `redis-server` started by each test: the conformance
//! suite, several instances' clients racing on one Redis, TTLs on every key, key prefixes, and
//! failing closed (then recovering) when Redis goes away.

#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::{Duration, Instant};
use test_support::RedisServer;
use tower_authy::store::fred::interfaces::ClientLike as _;
use tower_authy::store::fred::types::{ClusterHash, CustomCommand, Value};
use tower_authy::{ChallengeStore, conformance, store::ChallengeState, store::RedisChallengeStore};

async fn store(redis: &RedisServer) -> RedisChallengeStore {
    RedisChallengeStore::connect(&redis.url, 2).await.unwrap()
}

/// Every key in the database, with its TTL in seconds (-1: none).
async fn keys_and_ttls(store: &RedisChallengeStore) -> Vec<(String, i64)> {
    let keys = CustomCommand::new_static("KEYS", ClusterHash::FirstKey, false);
    let ttl = CustomCommand::new_static("TTL", ClusterHash::FirstKey, false);
    let all: Vec<String> = store.pool().custom(keys, vec!["*"]).await.unwrap();
    let mut out = Vec::new();
    for k in all {
        let t: i64 = store
            .pool()
            .custom(ttl.clone(), vec![k.clone()])
            .await
            .unwrap();
        out.push((k, t));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_challenge_store_conforms_and_every_key_expires() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let store = store(&redis).await;
    conformance::challenge_store(Arc::new(store.clone())).await;
    let keys = keys_and_ttls(&store).await;
    assert!(keys.len() >= 8, "{keys:?}");
    for (key, ttl) in &keys {
        assert!(key.starts_with("tower-authy:"), "{key}");
        assert!(*ttl > 0, "{key} has no TTL ({ttl})");
        assert!(*ttl <= 86_400, "{key} lives {ttl} s");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_instances_clients_keep_the_rules_together() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let mut clients = Vec::new();
    for _ in 0..3 {
        clients.push(Arc::new(store(&redis).await));
    }
    conformance::shared_challenge_store(&clients).await;
}

#[tokio::test]
async fn prefixes_keep_applications_apart() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let a = store(&redis).await;
    let b = RedisChallengeStore::with_prefix(a.pool().clone(), "other-app:");
    assert!(a.consume_nonce("n", 2_000, 1_000).await.unwrap());
    assert!(
        b.consume_nonce("n", 2_000, 1_000).await.unwrap(),
        "not seen by b"
    );
    assert!(!a.consume_nonce("n", 2_000, 1_000).await.unwrap());
    let keys = keys_and_ttls(&a).await;
    assert!(keys.iter().any(|(k, _)| k.starts_with("other-app:")));
}

#[tokio::test]
async fn redis_down_fails_within_the_timeout_and_recovers_without_a_restart() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let store = store(&redis).await;
    assert!(store.get("none").await.unwrap().is_none());
    redis.stop().await;
    let started = Instant::now();
    let err = store.get("none").await;
    assert!(err.is_err(), "no answer is an error, never Ok(None)");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded: {:?}",
        started.elapsed()
    );
    assert!(
        store
            .transition("x", ChallengeState::Pending, ChallengeState::Approved)
            .await
            .is_err()
    );
    redis.restart().await;
    // The pool reconnects by itself; wait for it with a deadline.
    let deadline = Instant::now() + test_support::WAIT;
    loop {
        match store.consume_nonce("after", 2_000, 1_000).await {
            Ok(fresh) => {
                assert!(fresh);
                break;
            }
            Err(e) => assert!(Instant::now() < deadline, "never recovered: {e}"),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _: Value = store.pool().ping(None).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_passkey_store_conforms_on_two_clients() {
    use tower_authy::provider::webauthn::RedisPasskeyStore;
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    // Two instances' clients: what one registers, the other finds and cannot register again.
    let one = RedisPasskeyStore::new(store(&redis).await.pool().clone());
    let two = RedisPasskeyStore::new(store(&redis).await.pool().clone());
    conformance::passkey_store(Arc::new(one)).await;
    use tower_authy::provider::webauthn::{PasskeyStore, StoredCredential};
    let taken = StoredCredential {
        user_id: "mallory".into(),
        credential_id: vec![7; 16],
        credential: b"{}".to_vec(),
        counter: 0,
    };
    assert!(
        !two.register(9, taken).await.unwrap(),
        "registered through the first client"
    );
    assert_eq!(two.find(&[7; 16]).await.unwrap().unwrap().0, 3);
}
