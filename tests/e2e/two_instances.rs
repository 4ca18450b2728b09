//! Two app instances behind one (imaginary) load balancer, sharing one real Redis for
//! challenges, sessions and change notifications: a login started on one finishes on the
//! other, and no state lives in either process.

#![allow(clippy::unwrap_used)]

use mock_authy::{CallbackMethod, MockAuthy};
use std::time::Duration;
use test_support::{Browser, PASSWORD, RedisServer, Server, app_router, read_events_until};
use tower_authy::store::fred::interfaces::ClientLike as _;
use tower_authy::store::fred::types::{ClusterHash, CustomCommand, Value};
use tower_authy::{
    TwoFactor, provider::authy::AuthyClient, secret::ApiKey, store::MemoryUserStore,
    store::RedisChallengeStore, store::RedisChangeFeed,
};
use tower_sessions_redis_store::RedisStore;

struct Cluster {
    mock: MockAuthy,
    users: MemoryUserStore,
    /// The instances' base URLs.
    a: String,
    b: String,
}

/// Two instances on one Redis. Both have the public callback URL, which (as a load balancer
/// would) reaches B; the waiting browser's stream re-reads the store only once a minute, so an
/// approval can reach it within the test's deadline only through the shared change feed.
async fn cluster(redis: &RedisServer) -> Cluster {
    let mock = MockAuthy::builder().seed(11).start().await.unwrap();
    let users = MemoryUserStore::new();
    let server_b = Server::bind().await;
    let callback_url = format!("{}/authy/callback", server_b.base);
    mock.set_callback(Some((callback_url.clone(), CallbackMethod::Post)));
    let a = instance(redis, &mock, &users, &callback_url, Server::bind().await).await;
    let b = instance(redis, &mock, &users, &callback_url, server_b).await;
    Cluster { mock, users, a, b }
}

/// One more instance of the app (a new process, as far as state goes): its own connections to
/// Redis, nothing else shared with the others but Redis and the user database.
async fn instance(
    redis: &RedisServer,
    mock: &MockAuthy,
    users: &MemoryUserStore,
    callback_url: &str,
    server: Server,
) -> String {
    let store = RedisChallengeStore::connect(&redis.url, 2).await.unwrap();
    let sessions = RedisStore::new(store.pool().clone());
    let feed = RedisChangeFeed::connect(&redis.url, "tower-authy:")
        .await
        .unwrap();
    let authy = AuthyClient::builder(ApiKey::new(mock.api_key()))
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let two_factor = TwoFactor::builder(authy, users.clone(), users.clone())
        .callback_url(callback_url)
        .challenge_store(store)
        .change_feed(feed)
        .status_poll_every(Duration::from_secs(60))
        .authy_poll_every(Duration::from_secs(60))
        .default_return_to("/account")
        .with_insecure_http_for_local_demo()
        .build()
        .unwrap();
    server.serve(app_router(&two_factor, sessions))
}

impl Cluster {
    async fn user(&self, email: &str, phone: &str) -> u64 {
        let authy = AuthyClient::builder(ApiKey::new(self.mock.api_key()))
            .base_url(self.mock.base_url())
            .build()
            .unwrap();
        let id = authy.register_user(email, phone, "1").await.unwrap();
        let factor = tower_authy::factors::Factor::of(&authy, id, 0);
        self.users.insert(email, PASSWORD, [factor]);
        id
    }
}

/// The same browser (one cookie jar) talking to the other instance.
fn on(browser: &Browser, base: &str) -> Browser {
    let mut other = browser.clone();
    other.base = base.to_owned();
    other
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_login_started_on_one_instance_finishes_on_the_other() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    let mut on_a = Browser::new(&c.a);
    let page = on_a.login("ada@example.com", PASSWORD).await;
    assert_eq!(page.location.as_deref(), Some("/authy/verify"));
    let mut events = on_a.open_events().await;
    read_events_until(&mut events, r#""status":"pending""#).await;

    // The phone approves; the signed callback lands on B.
    let uuid = c.mock.approval_requests().last().unwrap().uuid.clone();
    let delivery = c.mock.approve(&uuid).await.unwrap().unwrap();
    assert!(delivery.delivered);
    assert!(delivery.request.url.starts_with(&c.b));

    // A's stream hears it through Redis (its own re-read of the store is a minute away).
    read_events_until(&mut events, r#""status":"approved""#).await;

    // Confirm on B, then the protected page on A: one session, in Redis.
    let mut on_b = on(&on_a, &c.b);
    let confirmed = on_b.post("/authy/confirm", &[]).await;
    assert_eq!(confirmed.location.as_deref(), Some("/account"));
    assert_eq!(on_a.get("/account").await.status, 200);

    // A replay of the callback B accepted is refused by A, and changes nothing.
    let sent = &delivery.request;
    let replay = reqwest::Client::new()
        .post(format!("{}/authy/callback", c.a))
        .header("content-type", "application/json")
        .header("x-authy-signature", &sent.signature)
        .header("x-authy-signature-nonce", &sent.nonce)
        .body(sent.body.clone())
        .send()
        .await
        .unwrap();
    assert!(replay.status().is_client_error(), "{}", replay.status());
    assert_eq!(on_a.get("/account").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_guesses_spread_over_instances_share_one_throttle() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    // The account's limit, spread over both instances: neither saw enough alone to throttle.
    let limit = tower_authy::limits::LoginThrottle::default().per_account;
    for n in 0..limit {
        // A new session, a new forged X-Forwarded-For, alternating instances.
        let base = if n % 2 == 0 { &c.a } else { &c.b };
        let mut attacker = Browser::forwarded_for(base, &format!("198.51.100.{n}"));
        assert_eq!(attacker.login("ada@example.com", "guess").await.status, 401);
    }
    // Counted together, the right password now looks wrong on either instance; no push.
    for base in [&c.a, &c.b] {
        let mut owner = Browser::new(base);
        assert_eq!(owner.login("ada@example.com", PASSWORD).await.status, 401);
    }
    assert!(c.mock.approval_requests().is_empty(), "no push was sent");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_stopped_mid_login_fails_closed_and_its_restart_recovers() {
    let Some(mut redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    let mut on_a = Browser::new(&c.a);
    on_a.login("ada@example.com", PASSWORD).await;

    redis.stop().await;
    let uuid = c.mock.approval_requests().last().unwrap().uuid.clone();
    let delivery = c.mock.approve(&uuid).await.unwrap().unwrap();
    assert!(
        !delivery.delivered,
        "B cannot record the approval: Authy is asked to retry"
    );
    for page in [
        on_a.get("/account").await,
        on_a.post("/authy/confirm", &[]).await,
        on_a.get("/authy/login").await,
    ] {
        assert_eq!(page.status, 503, "{}", page.body);
        assert_eq!(page.retry_after.as_deref(), Some("30"));
    }

    // Back up (same data): no app restart needed, and the news travels again.
    redis.restart().await;
    let deadline = tokio::time::Instant::now() + test_support::WAIT;
    let mut fresh = loop {
        let mut b = Browser::new(&c.a);
        if b.login("ada@example.com", PASSWORD).await.status == 303 {
            break b;
        }
        assert!(tokio::time::Instant::now() < deadline, "never recovered");
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let mut events = fresh.open_events().await;
    read_events_until(&mut events, r#""status":"pending""#).await;
    // The store's pool is back; the feed's subscriber reconnects on its own schedule. Once
    // both instances listen again, an approval must reach the other one's stream.
    both_instances_listen(&redis).await;
    let uuid = c.mock.approval_requests().last().unwrap().uuid.clone();
    assert!(c.mock.approve(&uuid).await.unwrap().unwrap().delivered);
    read_events_until(&mut events, r#""status":"approved""#).await;
    let mut on_b = on(&fresh, &c.b);
    assert_eq!(
        on_b.post("/authy/confirm", &[]).await.location.as_deref(),
        Some("/account")
    );
    assert_eq!(fresh.get("/account").await.status, 200);
}

/// Waits (at most [`test_support::WAIT`]) until two clients subscribe to the change feed.
async fn both_instances_listen(redis: &RedisServer) {
    let probe = RedisChallengeStore::connect(&redis.url, 1).await.unwrap();
    let numsub = CustomCommand::new_static("PUBSUB", ClusterHash::FirstKey, false);
    let deadline = tokio::time::Instant::now() + test_support::WAIT;
    loop {
        let answer: Value = probe
            .pool()
            .custom(numsub.clone(), vec!["NUMSUB", "tower-authy:changes"])
            .await
            .unwrap();
        let listening = answer
            .into_array()
            .get(1)
            .and_then(Value::as_i64)
            .unwrap_or(0);
        if listening >= 2 {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the feed never resubscribed"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_instance_continues_pending_logins_and_sessions() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    c.user("bob@example.com", "5551230002").await;
    // Bob is logged in; Ada's login waits for her phone.
    let mut bob = Browser::new(&c.a);
    bob.login("bob@example.com", PASSWORD).await;
    let bob_id = c.mock.approval_requests().last().unwrap().uuid.clone();
    c.mock.approve(&bob_id).await.unwrap().unwrap();
    assert_eq!(bob.post("/authy/confirm", &[]).await.status, 303);
    let mut ada = Browser::new(&c.a);
    ada.login("ada@example.com", PASSWORD).await;

    // A deploy: a fresh instance (no state of its own) takes A's traffic.
    let callback_url = format!("{}/authy/callback", c.b);
    let fresh = instance(
        &redis,
        &c.mock,
        &c.users,
        &callback_url,
        Server::bind().await,
    )
    .await;
    let mut bob = on(&bob, &fresh);
    assert_eq!(bob.get("/account").await.status, 200, "still logged in");
    let mut ada = on(&ada, &fresh);
    assert_eq!(ada.status().await, "pending", "the pending login survived");
    let uuid = c.mock.approval_requests().last().unwrap().uuid.clone();
    c.mock.approve(&uuid).await.unwrap().unwrap();
    assert_eq!(
        ada.post("/authy/confirm", &[]).await.location.as_deref(),
        Some("/account")
    );
    assert_eq!(ada.get("/account").await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_redis_answers_503_in_bounded_time() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    let mut ada = Browser::new(&c.a);
    ada.login("ada@example.com", PASSWORD).await;
    // Redis stops answering anyone for 6 s; the app's command timeout is 2 s. The pause is in
    // force once its OK comes back.
    let stall = RedisChallengeStore::connect(&redis.url, 1).await.unwrap();
    let pause = CustomCommand::new_static("CLIENT", ClusterHash::FirstKey, false);
    let paused: Value = stall
        .pool()
        .custom(pause, vec!["PAUSE", "6000", "ALL"])
        .await
        .unwrap();
    assert_eq!(paused.as_str().as_deref(), Some("OK"));
    let started = tokio::time::Instant::now();
    let page = ada.get("/account").await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "bounded by the command timeout, not by Redis: {:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_guesses_spread_over_instances_reach_authy_at_most_the_account_limit() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let c = cluster(&redis).await;
    c.user("ada@example.com", "5551230001").await;
    let limits = tower_authy::limits::AttemptLimits::default();
    // Fresh logins (new sessions, new forged addresses) on alternating instances, each guessing
    // until refused, far past what either instance would allow on its own.
    for n in 0..(4 * limits.per_account) {
        let base = if n % 2 == 0 { &c.a } else { &c.b };
        let mut attacker = Browser::forwarded_for(base, &format!("203.0.113.{n}"));
        if attacker.login("ada@example.com", PASSWORD).await.status != 303 {
            continue;
        }
        for _ in 0..limits.per_challenge {
            attacker.post("/authy/token", &[("token", "0000000")]).await;
        }
    }
    let verify_calls = c
        .mock
        .journal()
        .iter()
        .filter(|e| e.endpoint == mock_authy::Endpoint::Verify.name())
        .count();
    assert_eq!(
        verify_calls, limits.per_account as usize,
        "one account limit for the whole cluster"
    );
}
