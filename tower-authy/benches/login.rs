//! Complete OneTouch logins per second against mock-authy on loopback (password, push, approval,
//! signed callback, server-sent event, confirm, protected page) with per-step latencies; the
//! approval-to-browser latency over SSE; and memory per pending login with 100,000 pending,
//! with login latency while they are present.
//!
//! `cargo bench -p tower-authy --bench login`

#![allow(clippy::unwrap_used, missing_docs)]

use mock_authy::{CallbackMethod, MockAuthy, OneTouchBehaviour};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::Mutex;
use tower_authy::{
    ApiKey, AuthyClient, Challenge, ChallengeState, ChallengeStore, MemoryChallengeStore,
    MemoryUserStore, TwoFactor,
};
use tower_sessions::MemoryStore;

const CLIENTS: usize = 32;
const RUN: Duration = Duration::from_secs(8);
const USERS: usize = 1000;

struct Stack {
    mock: MockAuthy,
    base: String,
}

async fn stack(onetouch: OneTouchBehaviour, users: usize, store: MemoryChallengeStore) -> Stack {
    let mock = MockAuthy::builder()
        .seed(2)
        .default_onetouch(onetouch)
        .start()
        .await
        .unwrap();
    let server = test_support::Server::bind().await;
    let base = server.base.clone();
    mock.set_callback(Some((
        format!("{base}/authy/callback"),
        CallbackMethod::Post,
    )));
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
        store_users.insert(&format!("u{i}@example.com"), "pw", Some(id));
    }
    let two_factor = TwoFactor::builder(client, store_users)
        .callback_url(format!("{base}/authy/callback"))
        .with_insecure_http_for_local_demo()
        .challenge_store(store)
        .send_limits(tower_authy::SendLimits {
            pushes_per_10_minutes: 100,
            per_login: 3,
            per_hour: 10,
        })
        .build()
        .unwrap();
    server.serve(test_support::app_router(
        &two_factor,
        MemoryStore::default(),
    ));
    Stack { mock, base }
}

/// One browser's login; returns the duration of each step.
struct Login<'a> {
    http: &'a reqwest::Client,
    base: &'a str,
    cookie: String,
}

impl<'a> Login<'a> {
    fn req(&self, m: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        let r = self.http.request(m, format!("{}{path}", self.base));
        if self.cookie.is_empty() {
            r
        } else {
            r.header("cookie", &self.cookie)
        }
    }

    fn keep_cookie(&mut self, r: &reqwest::Response) {
        if let Some(set) = r.headers().get("set-cookie") {
            let c = tower_sessions::cookie::Cookie::parse(set.to_str().unwrap()).unwrap();
            self.cookie = format!("{}={}", c.name(), c.value());
        }
    }

    /// A fresh browser on the login form: its cookie and CSRF token.
    async fn begin(http: &'a reqwest::Client, base: &'a str) -> (Self, String) {
        let mut l = Login {
            http,
            base,
            cookie: String::new(),
        };
        let r = l
            .req(reqwest::Method::GET, "/authy/login")
            .header("accept", "application/json")
            .send()
            .await
            .unwrap();
        l.keep_cookie(&r);
        let csrf = r.json::<serde_json::Value>().await.unwrap()["csrf_token"]
            .as_str()
            .unwrap()
            .to_owned();
        (l, csrf)
    }

    /// Submits the password; the push goes out and the browser is sent to the waiting page.
    async fn password(&mut self, email: &str, csrf: &str) {
        let r = self
            .req(reqwest::Method::POST, "/authy/login")
            .form(&[("login", email), ("password", "pw"), ("csrf_token", csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        self.keep_cookie(&r);
    }

    /// Password (and push), then the approval through SSE, confirm, protected page.
    async fn run(http: &'a reqwest::Client, base: &'a str, email: &str) -> [Duration; 4] {
        let t0 = Instant::now();
        let (mut l, csrf) = Login::begin(http, base).await;
        l.password(email, &csrf).await;
        let t1 = Instant::now();
        let mut events = l
            .req(reqwest::Method::GET, "/authy/events")
            .send()
            .await
            .unwrap();
        until_approved(&mut events).await;
        drop(events);
        let t2 = Instant::now();
        let r = l
            .req(reqwest::Method::POST, "/authy/confirm")
            .form(&[("csrf_token", &csrf)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
        l.keep_cookie(&r);
        let t3 = Instant::now();
        let r = l
            .req(reqwest::Method::GET, "/account")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let t4 = Instant::now();
        [t1 - t0, t2 - t1, t3 - t2, t4 - t3]
    }
}

/// Reads a waiting page's event stream until it reports the approval.
async fn until_approved(events: &mut reqwest::Response) {
    let status = events.status();
    let mut seen = String::new();
    while !seen.contains("\"approved\"") {
        match events.chunk().await.unwrap() {
            Some(chunk) => seen.push_str(&String::from_utf8_lossy(&chunk)),
            None => panic!("events ended early ({status}): {seen}"),
        }
    }
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

async fn throughput() {
    let s = stack(
        OneTouchBehaviour::AutoApprove { after_ms: 5 },
        USERS,
        MemoryChallengeStore::new(),
    )
    .await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap();
    let samples = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let (http, base, samples, stop) = (
                http.clone(),
                s.base.clone(),
                Arc::clone(&samples),
                Arc::clone(&stop),
            );
            tokio::spawn(async move {
                let mut n = c;
                while !stop.load(Ordering::Relaxed) {
                    let steps =
                        Login::run(&http, &base, &format!("u{}@example.com", n % USERS)).await;
                    samples.lock().await.push(steps);
                    n += CLIENTS;
                }
            })
        })
        .collect();
    tokio::time::sleep(RUN).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await.unwrap();
    }
    let elapsed = t0.elapsed().as_secs_f64();
    let samples = samples.lock().await;
    println!(
        "complete OneTouch logins: {} in {elapsed:.1} s = {:.0} logins/s ({CLIENTS} concurrent browsers)",
        samples.len(),
        samples.len() as f64 / elapsed
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
    drop(s.mock);
}

/// From the moment the phone answers (the mock starts sending the signed callback) to the
/// waiting browser's SSE stream reporting it.
async fn approval_latency() {
    let s = stack(OneTouchBehaviour::Manual, 10, MemoryChallengeStore::new()).await;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let mut lat = Latencies::new();
    for n in 0..200 {
        let (mut l, csrf) = Login::begin(&http, &s.base).await;
        l.password(&format!("u{}@example.com", n % 10), &csrf).await;
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
        "approval -> browser over SSE (200 logins): p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        lat.ms(0.5),
        lat.ms(0.99),
        lat.ms(1.0)
    );
    println!(
        "  the tutorial's 2 s polling waits U(0, 2 s) plus a request: p50 about 1000 ms, p99 about 1980 ms"
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

async fn scale() {
    const N: usize = 100_000;
    let store = MemoryChallengeStore::new();
    let sessions = MemoryStore::default();
    let before = rss_bytes();
    for i in 0..N {
        let id = format!("{i:022}");
        store
            .create(Challenge {
                id: id.clone(),
                user_id: format!("{}", i % 5000),
                authy_id: 1_000_000 + i as u64,
                approval_uuid: Some(format!("{:08x}-bc43-0135-d7be-{:012x}", i, i)),
                match_code: "123".into(),
                state: ChallengeState::Pending,
                created_at: 1_760_000_000,
                expires_at: 1_760_000_300,
            })
            .await
            .unwrap();
    }
    let challenges = rss_bytes() - before;
    let before = rss_bytes();
    for i in 0..N {
        use tower_sessions::session::{Id, Record};
        use tower_sessions::session_store::SessionStore;
        let mut data = std::collections::HashMap::new();
        data.insert("tower_authy.pending".to_owned(), serde_json::json!({"challenge_id": format!("{i:022}"), "user_id": format!("{}", i % 5000), "return_to": "/account"}));
        data.insert(
            "tower_authy.csrf".to_owned(),
            serde_json::json!("0L_YU68lIoTT34Xf68n6uQ"),
        );
        let mut record = Record {
            id: Id::default(),
            data,
            expiry_date: tower_sessions::cookie::time::OffsetDateTime::now_utc()
                + tower_sessions::cookie::time::Duration::hours(1),
        };
        sessions.create(&mut record).await.unwrap();
    }
    let session_bytes = rss_bytes() - before;
    println!(
        "memory with {N} pending logins: challenge store {:.0} B each, session store {:.0} B each, {:.0} B per pending login in all",
        challenges as f64 / N as f64,
        session_bytes as f64 / N as f64,
        (challenges + session_bytes) as f64 / N as f64
    );

    // Login latency (password + push, the step that writes a challenge) with and without them.
    for (label, st) in [
        ("empty store", MemoryChallengeStore::new()),
        ("100,000 pending", store),
    ] {
        let s = stack(OneTouchBehaviour::Manual, 50, st).await;
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let mut lat = Latencies::new();
        for i in 0..400 {
            let (mut l, csrf) = Login::begin(&http, &s.base).await;
            let t0 = Instant::now();
            l.password(&format!("u{}@example.com", i % 50), &csrf).await;
            lat.record(t0.elapsed());
        }
        println!(
            "  login (password + push) with {label:<16} p50 {:.2} ms, p99 {:.2} ms",
            lat.ms(0.5),
            lat.ms(0.99)
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        throughput().await;
        approval_latency().await;
        scale().await;
    });
}
