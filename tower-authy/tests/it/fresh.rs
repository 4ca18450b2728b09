//! Routes that need the second factor proved recently (`layer().fresh(..)`): a verified
//! session proved too long ago proves it again at `/reprove` and comes back, staying logged
//! in meanwhile.

use test_support::{Options, PASSWORD, RecordingStore, RedisServer, World};
use tower_authy::store::RedisChallengeStore;
use tower_sessions_redis_store::RedisStore;

#[tokio::test]
async fn a_sensitive_route_asks_a_verified_session_to_prove_the_second_factor_again() {
    proving_again(&World::start().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn proving_again_with_sessions_and_challenges_on_redis() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let store = RedisChallengeStore::connect(&redis.url, 2).await.unwrap();
    let sessions = RecordingStore::over(RedisStore::new(store.pool().clone()));
    let w = World::start_with(Options {
        configure: Box::new(move |b| b.challenge_store(store)),
        sessions: Some(sessions),
        ..Options::default()
    })
    .await;
    proving_again(&w).await;
}

/// Proved just now, `/security` opens; six minutes on it sends the session to prove the
/// second factor again (which needs the CSRF token and sends a new push), and comes back.
async fn proving_again(w: &World) {
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    b.login("ada@example.com", PASSWORD).await;
    let push = w.latest_push(subject).await;
    w.approve(&push).await;
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/security").await.status, 200, "proved just now");

    // Six minutes on: logged in still, but not fresh enough for /security.
    w.advance(360);
    assert_eq!(b.get("/account").await.status, 200);
    let stale = b.get("/security").await;
    assert_eq!(
        (stale.status, stale.location.as_deref()),
        (303, Some("/authy/reprove?return_to=%2Fsecurity"))
    );
    let api = b.get_json("/security").await;
    assert_eq!(api.status, 401);
    assert_eq!(api.json()["reason"], "stale_second_factor");

    // Proving again: the page asks, the form starts a push, the session stays logged in.
    let page = b.get("/authy/reprove?return_to=/security").await;
    assert!(page.body.contains("Prove it is you again"), "{}", page.body);
    let forged = b
        .post_without_csrf("/authy/reprove", &[("return_to", "/security")])
        .await;
    assert_eq!(
        forged.status, 403,
        "the form needs the session's CSRF token"
    );
    assert_eq!(
        w.latest_push(subject).await,
        push,
        "and sends nothing without it"
    );
    let started = b
        .post("/authy/reprove", &[("return_to", "/security")])
        .await;
    assert_eq!(
        started.location.as_deref(),
        Some("/authy/verify"),
        "{}",
        started.body
    );
    let again = w.latest_push(subject).await;
    assert_ne!(again, push, "a new push");
    assert_eq!(
        b.get("/account").await.status,
        200,
        "still logged in meanwhile"
    );
    assert_eq!(
        b.get("/security").await.status,
        303,
        "not fresh until proved"
    );
    w.approve(&again).await;
    let done = b.post("/authy/confirm", &[]).await;
    assert_eq!(done.location.as_deref(), Some("/security"), "{}", done.body);
    assert_eq!(b.get("/security").await.status, 200);
}

#[tokio::test]
async fn only_a_verified_session_proves_again() {
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    let mut b = w.browser();
    let page = b.get("/security").await;
    assert_eq!(
        page.location.as_deref(),
        Some("/authy/login?return_to=%2Fsecurity"),
        "nobody logged in: the login, not a second proof"
    );
    let refused = b
        .post("/authy/reprove", &[("return_to", "/security")])
        .await;
    assert_eq!(refused.status, 303);
    assert_ne!(refused.location.as_deref(), Some("/authy/verify"));
    // A password alone (second factor pending) is not verified either.
    b.login("ada@example.com", PASSWORD).await;
    let refused = b
        .post("/authy/reprove", &[("return_to", "/security")])
        .await;
    assert_ne!(
        refused.location.as_deref(),
        Some("/authy/verify"),
        "{}",
        refused.body
    );
}
