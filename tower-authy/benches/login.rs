//! Complete OneTouch logins per second against mock-authy on loopback (password, push, approval,
//! signed callback, server-sent event, confirm, protected page) with per-step latencies; the
//! approval-to-browser latency over SSE; and memory per pending login with 100,000 pending,
//! with login latency while they are present.
//!
//! `cargo bench -p tower-authy --bench login`

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "support/browser.rs"]
mod browser;
use browser::{Browser, until_approved};

use mock_authy::{CallbackMethod, MockAuthy, OneTouchBehaviour};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tower_authy::{
    ChallengeStore, TwoFactor, provider::authy::AuthyClient, secret::ApiKey, store::Challenge,
    store::ChallengeState, store::MemoryChallengeStore, store::MemoryUserStore,
};
use tower_authy::{store::RedisChallengeStore, store::RedisChangeFeed};
use tower_sessions::MemoryStore;
use tower_sessions_redis_store::RedisStore;

const CLIENTS: usize = 32;
/// Under `cargo test` (no `--bench`), every part runs briefly, as a check that it works.
static QUICK: AtomicBool = AtomicBool::new(false);

fn run_for() -> Duration {
    Duration::from_secs(if QUICK.load(Ordering::Relaxed) { 1 } else { 8 })
}

/// How many pending logins the memory figures use.
fn pending_logins() -> usize {
    if QUICK.load(Ordering::Relaxed) {
        1_000
    } else {
        100_000
    }
}
const USERS: usize = 1000;

struct Stack {
    mock: MockAuthy,
    /// Where browsers log in and wait.
    base: String,
    /// Where callbacks land and logins are confirmed: another instance on Redis, the same one
    /// in memory.
    other: String,
}

/// Where the app keeps its state.
#[derive(Clone)]
enum State {
    /// One instance, everything in memory.
    Memory(MemoryChallengeStore),
    /// Two instances sharing the Redis at this URL (challenges, sessions, change feed).
    Redis(String),
}

async fn stack(onetouch: OneTouchBehaviour, users: usize, state: State) -> Stack {
    let mock = MockAuthy::builder()
        .seed(2)
        .default_onetouch(onetouch)
        .start()
        .await
        .unwrap();
    let client = AuthyClient::builder(ApiKey::new(mock.api_key()))
        .base_url(mock.base_url())
        .build()
        .unwrap();
    let store_users = MemoryUserStore::new();
    for i in 0..users {
        let id = client
            .register_user(&format!("u{i}@example.com"), &format!("555{i:07}"), "1")
            .await
            .unwrap();
        let factor = tower_authy::factors::Factor::of(&client, id, 0);
        store_users.insert(&format!("u{i}@example.com"), "pw", [factor]);
    }
    let servers = match state {
        State::Memory(_) => vec![test_support::Server::bind().await],
        State::Redis(_) => vec![
            test_support::Server::bind().await,
            test_support::Server::bind().await,
        ],
    };
    // The last instance receives the callbacks, as behind a load balancer any could.
    let callback_url = format!("{}/authy/callback", servers.last().unwrap().base);
    mock.set_callback(Some((callback_url.clone(), CallbackMethod::Post)));
    let mut bases = Vec::new();
    for server in servers {
        let builder = TwoFactor::builder(client.clone(), store_users.clone(), store_users.clone())
            .callback_url(&callback_url)
            .with_insecure_http_for_local_demo()
            .send_limits(tower_authy::limits::SendLimits {
                pushes_per_10_minutes: 100,
                per_login: 3,
                per_hour: 10,
            })
            // Every browser here comes from 127.0.0.1, and attempts in flight count against
            // the address until their password is checked.
            .login_throttle(tower_authy::limits::LoginThrottle {
                per_address: 10_000,
                ..tower_authy::limits::LoginThrottle::default()
            });
        let base = match &state {
            State::Memory(store) => {
                let tf = builder.challenge_store(store.clone()).build().unwrap();
                server.serve(test_support::app_router(&tf, MemoryStore::default()))
            }
            State::Redis(url) => {
                let store = RedisChallengeStore::connect(url, 4).await.unwrap();
                let sessions = RedisStore::new(store.pool().clone());
                let feed = RedisChangeFeed::connect(url, "tower-authy:").await.unwrap();
                let tf = builder
                    .challenge_store(store)
                    .change_feed(feed)
                    .build()
                    .unwrap();
                server.serve(test_support::app_router(&tf, sessions))
            }
        };
        bases.push(base);
    }
    Stack {
        mock,
        base: bases[0].clone(),
        other: bases.last().unwrap().clone(),
    }
}

/// One browser's complete login: password (and push), the approval through SSE, confirm (on
/// `other`), protected page; returns the duration of each step.
async fn complete_login(
    http: &reqwest::Client,
    base: &str,
    other: &str,
    email: &str,
) -> [Duration; 4] {
    let t0 = Instant::now();
    let mut l = Browser::begin(http, base).await;
    l.password(email).await;
    let t1 = Instant::now();
    let mut events = l
        .req(reqwest::Method::GET, "/authy/events")
        .send()
        .await
        .unwrap();
    until_approved(&mut events).await;
    drop(events);
    let t2 = Instant::now();
    l.base = other;
    l.post("/authy/confirm", None).await;
    let t3 = Instant::now();
    l.base = base;
    l.protected_page().await;
    let t4 = Instant::now();
    [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
}

/// Latencies, recorded in microseconds (1 µs to 60 s, 3 significant digits).
struct Latencies(hdrhistogram::Histogram<u64>);

impl Latencies {
    fn new() -> Self {
        Latencies(hdrhistogram::Histogram::new_with_bounds(1, 60_000_000, 3).unwrap())
    }

    fn record(&mut self, d: Duration) {
        self.0.saturating_record(d.as_micros() as u64);
    }

    /// The `q` quantile in milliseconds.
    fn ms(&self, q: f64) -> f64 {
        self.0.value_at_quantile(q) as f64 / 1000.0
    }
}

/// Complete logins per second; returns the rate.
async fn throughput(label: &str, state: State) -> f64 {
    let s = stack(
        OneTouchBehaviour::AutoApprove { after_ms: 5 },
        USERS,
        state.clone(),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let counter = match &state {
        State::Redis(url) => Some(RedisServerCounters::start(url).await),
        State::Memory(_) => None,
    };
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (http, base, other, samples, stop) = (
                http.clone(),
                s.base.clone(),
                s.other.clone(),
                Arc::clone(&samples),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                let mut n = c;
                while !stop.load(Ordering::Relaxed) {
                    let email = format!("u{}@example.com", n % USERS);
                    let steps = complete_login(&http, &base, &other, &email).await;
                    samples.lock().await.push(steps);
                    n += CLIENTS;
                }
            })
        })
        .collect();
    tokio::time::sleep(run_for()).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let samples = samples.lock().await;
    let rate = samples.len() as f64 / elapsed;
    println!(
        "complete OneTouch logins, {label}: {} in {elapsed:.1} s = {rate:.0} logins/s ({CLIENTS} concurrent browsers)",
        samples.len(),
    );
    let names = [
        "password + push",
        "phone (5 ms) -> callback -> SSE",
        "confirm (session rotated)",
        "protected page",
    ];
    for (i, name) in names.iter().enumerate() {
        let mut h = Latencies::new();
        samples.iter().for_each(|s| h.record(s[i]));
        println!(
            "  {name:<36} p50 {:>6.2} ms   p99 {:>6.2} ms",
            h.ms(0.5),
            h.ms(0.99)
        );
    }
    if let Some(counter) = counter {
        counter.report(samples.len()).await;
    }
    drop(s.mock);
    rate
}

/// Redis's own counters over a run: commands by name and CPU seconds, per complete login.
struct RedisServerCounters {
    store: RedisChallengeStore,
    at_start: f64,
}

impl RedisServerCounters {
    async fn start(url: &str) -> Self {
        use tower_authy::store::fred::interfaces::ClientLike as _;
        use tower_authy::store::fred::types::CustomCommand;
        let store = RedisChallengeStore::connect(url, 1).await.unwrap();
        let resetstat = CustomCommand::new_static("CONFIG", None::<u16>, false);
        let () = store
            .pool()
            .custom(resetstat, vec!["RESETSTAT"])
            .await
            .unwrap();
        let counters = RedisServerCounters {
            store,
            at_start: 0.0,
        };
        let at_start = counters.cpu_seconds().await;
        RedisServerCounters {
            at_start,
            ..counters
        }
    }

    async fn info(&self, kind: tower_authy::store::fred::types::InfoKind) -> String {
        use tower_authy::store::fred::interfaces::ClientLike as _;
        self.store.pool().info(Some(kind)).await.unwrap()
    }

    /// `used_cpu_sys` + `used_cpu_user` of the server so far.
    async fn cpu_seconds(&self) -> f64 {
        let info = self
            .info(tower_authy::store::fred::types::InfoKind::Cpu)
            .await;
        info.lines()
            .filter_map(|l| {
                l.strip_prefix("used_cpu_sys:")
                    .or_else(|| l.strip_prefix("used_cpu_user:"))
            })
            .map(|v| v.trim().parse::<f64>().unwrap())
            .sum()
    }

    /// Prints the commands each complete login cost the server, most frequent first.
    async fn report(&self, logins: usize) {
        let info = self
            .info(tower_authy::store::fred::types::InfoKind::CommandStats)
            .await;
        let mut calls: Vec<(String, u64)> = info
            .lines()
            .filter_map(|l| {
                let (name, rest) = l.strip_prefix("cmdstat_")?.split_once(':')?;
                let n = rest
                    .strip_prefix("calls=")?
                    .split(',')
                    .next()?
                    .parse()
                    .ok()?;
                Some((name.to_owned(), n))
            })
            .filter(|(name, _)| !matches!(name.as_str(), "info" | "config|resetstat"))
            .collect();
        calls.sort_by_key(|c| std::cmp::Reverse(c.1));
        let per = |n: u64| n as f64 / logins.max(1) as f64;
        let total: u64 = calls.iter().map(|c| c.1).sum();
        let listed: Vec<String> = calls
            .iter()
            .map(|(name, n)| format!("{name} {:.1}", per(*n)))
            .collect();
        let cpu = self.cpu_seconds().await - self.at_start;
        println!(
            "  Redis per login: {:.0} µs of its CPU, {:.1} commands ({})",
            cpu * 1e6 / logins.max(1) as f64,
            per(total),
            listed.join(", ")
        );
    }
}

/// From the moment the phone answers (the mock starts sending the signed callback) to the
/// waiting browser's SSE stream reporting it.
async fn approval_latency(label: &str, state: State) {
    let s = stack(OneTouchBehaviour::Manual, 10, state).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut lat = Latencies::new();
    for n in 0..200 {
        let mut l = Browser::begin(&http, &s.base).await;
        l.password(&format!("u{}@example.com", n % 10)).await;
        let mut events = l
            .req(reqwest::Method::GET, "/authy/events")
            .send()
            .await
            .unwrap();
        let first = events.chunk().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains("pending"));
        let uuid = s.mock.approval_requests().last().unwrap().uuid.clone();
        let t0 = Instant::now();
        // The phone answers while the browser waits on its stream; both run in this task.
        let read = async {
            until_approved(&mut events).await;
            t0.elapsed()
        };
        let (latency, approved) = tokio::join!(read, s.mock.approve(&uuid));
        assert!(approved.unwrap().unwrap().delivered);
        lat.record(latency);
    }
    println!(
        "approval -> browser over SSE, {label} (200 logins): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.ms(0.5),
        lat.ms(0.99),
        lat.ms(1.0)
    );
}

fn rss_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap();
    statm
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse::<usize>()
        .unwrap()
        * 4096
}

/// Pending login `i`'s challenge, as the login step writes it.
fn pending_challenge(i: usize) -> Challenge {
    Challenge {
        id: format!("{i:022}"),
        user_id: format!("{}", i % 5000),
        subject: 1_000_000 + i as u64,
        provider: String::new(),
        factor_id: String::new(),
        push_id: Some(format!("{:08x}-bc43-0135-d7be-{:012x}", i, i)),
        match_code: "123".into(),
        state: ChallengeState::Pending,
        created_at: 1_760_000_000,
        expires_at: 1_760_000_300,
    }
}

/// Pending login `i`'s session record (the pending login and the CSRF token).
fn pending_record(i: usize) -> tower_sessions::session::Record {
    let mut data = std::collections::HashMap::new();
    data.insert("tower_authy.pending".to_owned(), serde_json::json!({"challenge_id": format!("{i:022}"), "user_id": format!("{}", i % 5000), "return_to": "/account"}));
    data.insert(
        "tower_authy.csrf".to_owned(),
        serde_json::json!("0L_YU68lIoTT34Xf68n6uQ"),
    );
    tower_sessions::session::Record {
        id: tower_sessions::session::Id::default(),
        data,
        expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
            + tower_sessions::cookie::time::Duration::hours(1),
    }
}

async fn scale() {
    let n = pending_logins();
    let store = MemoryChallengeStore::new();
    let sessions = MemoryStore::default();
    let before = rss_bytes();
    for i in 0..n {
        store.create(pending_challenge(i)).await.unwrap();
    }
    let challenges = rss_bytes() - before;
    let before = rss_bytes();
    for i in 0..n {
        use tower_sessions::session_store::SessionStore;
        sessions.create(&mut pending_record(i)).await.unwrap();
    }
    let session_bytes = rss_bytes() - before;
    println!(
        "memory with {n} pending logins: challenge store {:.0} B each, session store {:.0} B each, {:.0} B per pending login in all",
        challenges as f64 / n as f64,
        session_bytes as f64 / n as f64,
        (challenges + session_bytes) as f64 / n as f64
    );

    // Login latency (password + push, the step that writes a challenge) with and without them.
    for (label, st) in [
        ("empty store", State::Memory(MemoryChallengeStore::new())),
        ("100,000 pending", State::Memory(store)),
    ] {
        let s = stack(OneTouchBehaviour::Manual, 50, st).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut lat = Latencies::new();
        for i in 0..400 {
            let mut l = Browser::begin(&http, &s.base).await;
            let t0 = Instant::now();
            l.password(&format!("u{}@example.com", i % 50)).await;
            lat.record(t0.elapsed());
        }
        println!(
            "  login (password + push) with {label:<16} p50 {:.2} ms, p99 {:.2} ms",
            lat.ms(0.5),
            lat.ms(0.99)
        );
    }
}

/// Redis's own `used_memory`, in bytes.
async fn redis_used_memory(store: &RedisChallengeStore) -> i64 {
    use tower_authy::store::fred::interfaces::ClientLike as _;
    let info: String = store
        .pool()
        .info(Some(tower_authy::store::fred::types::InfoKind::Memory))
        .await
        .unwrap();
    info.lines()
        .find_map(|l| l.strip_prefix("used_memory:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

/// Redis memory per pending login, challenge and session, from `INFO memory` with 100,000.
async fn redis_scale(url: &str) {
    use tower_sessions::session_store::SessionStore;
    let n = pending_logins();
    let store = RedisChallengeStore::connect(url, 8).await.unwrap();
    let sessions = RedisStore::new(store.pool().clone());
    let at_start = redis_used_memory(&store).await;
    for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
        let writes = chunk.iter().map(|&i| store.create(pending_challenge(i)));
        for w in futures_util::future::join_all(writes).await {
            w.unwrap();
        }
    }
    let with_challenges = redis_used_memory(&store).await;
    for chunk in (0..n).collect::<Vec<_>>().chunks(256) {
        let mut records: Vec<_> = chunk.iter().map(|&i| pending_record(i)).collect();
        let writes = records.iter_mut().map(|r| sessions.create(r));
        for w in futures_util::future::join_all(writes).await {
            w.unwrap();
        }
    }
    let with_sessions = redis_used_memory(&store).await;
    let per = |bytes: i64| bytes as f64 / n as f64;
    println!(
        "Redis memory with {n} pending logins (INFO used_memory): challenge {:.0} B, session {:.0} B, {:.0} B per pending login in all",
        per(with_challenges - at_start),
        per(with_sessions - with_challenges),
        per(with_sessions - at_start),
    );
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    QUICK.store(!std::env::args().any(|a| a == "--bench"), Ordering::Relaxed);
    rt.block_on(async {
        let in_memory = throughput("one instance in memory", State::Memory(MemoryChallengeStore::new())).await;
        approval_latency("one instance in memory", State::Memory(MemoryChallengeStore::new())).await;
        println!(
            "  the tutorial's 2 s polling waits U(0, 2 s) plus a request: p50 about 1000 ms, p99 about 1980 ms"
        );
        scale().await;
        // The same on two instances sharing a real Redis (skipped when redis-server is missing).
        if let Some(redis) = test_support::RedisServer::start_with(test_support::Durability::EverySecond).await {
            let url = redis.url.clone();
            let on_redis = throughput("two instances on Redis", State::Redis(url.clone())).await;
            // The memory figure again after the Redis one, so that a change in the shared
            // machine's load between the two shows, and the baseline brackets the measurement.
            let again = throughput("one instance in memory, again", State::Memory(MemoryChallengeStore::new())).await;
            println!(
                "  ratio of two instances on Redis to one in memory (the mean of before and after), same run: {:.3}",
                on_redis / ((in_memory + again) / 2.0)
            );
            approval_latency("accepted on B, streamed on A, through Redis", State::Redis(url.clone())).await;
            redis_scale(&url).await;
        }
    });
}
