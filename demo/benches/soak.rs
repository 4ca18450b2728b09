//! The soak: mixed logins on every provider (Authy and Verify pushes approved on the mock,
//! self-hosted TOTP codes, the first login of each TOTP user enrolling), floods of wrong
//! passwords, event streams, and Redis restarts, against two demo instances per provider
//! sharing one Redis (a login starts on one instance and completes on the other). It reports
//! this process's resident memory over time (the six instances and the mock run in it), the
//! answers by status, and any session lost: a verified session that stops reaching its
//! account page (a `503` while Redis restarts is an outage, not a loss).
//!
//! `cargo bench -p demo --bench soak` runs ten minutes (`SOAK_SECS` to change it; Redis
//! restarts every minute, `SOAK_RESTART_SECS`); under `cargo test` it runs a few seconds, to
//! keep it working. Needs `redis-server`.

#![allow(clippy::unwrap_used)]

use demo::{AuthyMode, Config, Provider, VerifyRemote};
use mock_authy::{CallbackMethod, MockAuthy};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use test_support::{API_KEY, Browser, Durability, ProviderKind, RedisServer};

const PASSWORD: &str = "a long enough password";
/// Two each, and a keeper each: nine sign-ups, within the demo's ten per address an hour.
const USERS_PER_PROVIDER: usize = 2;

fn main() {
    let bench = std::env::args().any(|a| a == "--bench");
    let secs = std::env::var("SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(if bench { 600 } else { 6 });
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
        .block_on(soak(Duration::from_secs(secs)));
}

/// What the soak saw.
#[derive(Default)]
struct Tally {
    /// (what was asked, status) → count.
    answers: Mutex<BTreeMap<(&'static str, u16), u64>>,
    logins: [AtomicU64; 3],
    lost: AtomicU64,
    outages: AtomicU64,
}

impl Tally {
    fn saw(&self, what: &'static str, status: u16) {
        *self
            .answers
            .lock()
            .unwrap()
            .entry((what, status))
            .or_default() += 1;
    }
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Two instances of the demo on `provider`, sharing Redis and one SQLite file; the second is
/// the public one, which the mock's callbacks and webhooks reach.
async fn pair(
    provider: Provider,
    mock: &MockAuthy,
    redis: &str,
    dir: &std::path::Path,
) -> [demo::Demo; 2] {
    let public = free_port();
    let public_url = format!("http://{public}");
    let database = dir.join(format!("{provider:?}.sqlite3"));
    let mut started = Vec::new();
    for listen in [free_port(), public] {
        let config = Config {
            listen,
            database: database.clone(),
            provider,
            authy: AuthyMode::Remote {
                api_key: API_KEY.to_owned(),
                api_url: mock.base_url().to_owned(),
                public_url: public_url.clone(),
            },
            verify: Some(VerifyRemote {
                account_sid: mock_authy::DEFAULT_ACCOUNT_SID.to_owned(),
                auth_token: mock_authy::DEFAULT_AUTH_TOKEN.to_owned(),
                service_sid: mock_authy::DEFAULT_SERVICE_SID.to_owned(),
                api_url: mock.base_url().to_owned(),
                public_url: public_url.clone(),
            }),
            totp_key: Some("ab".repeat(32)),
            cheap_hashing: true,
            request_timeout: Duration::from_secs(10),
            redis: Some(redis.to_owned()),
            insecure_http_callback_on_loopback: true,
            passkey_origin: None,
        };
        started.push(demo::start(config).await.unwrap());
    }
    if provider == Provider::Authy {
        let callback = format!("{public_url}/authy/callback");
        mock.set_callback(Some((callback, CallbackMethod::Post)));
    }
    started.try_into().unwrap()
}

/// One user's browser going round: log in on `a`, prove the second factor, finish on `b`,
/// check the account page, log out; the browser keeps its cookies (its device cookie among
/// them) from one round to the next, as a person's does.
struct Person {
    kind: ProviderKind,
    email: String,
    subject: Option<u64>,
    /// The authenticator key the enrolment page showed (TOTP).
    key: Option<String>,
    browser: Browser,
    a: String,
    b: String,
}

const KINDS: [ProviderKind; 3] = [
    ProviderKind::Authy,
    ProviderKind::Verify,
    ProviderKind::Totp,
];

fn kind_index(kind: ProviderKind) -> usize {
    KINDS.iter().position(|k| *k == kind).unwrap()
}

impl Person {
    async fn round(
        &mut self,
        mock: &MockAuthy,
        tally: &Tally,
        phone_app: &tower_authy::provider::totp::TotpProvider,
    ) {
        self.browser.base = self.a.clone();
        let page = self.browser.login(&self.email, PASSWORD).await;
        tally.saw("password", page.status);
        match page.location.as_deref() {
            Some("/authy/enrol") => return self.enrol(tally, phone_app).await,
            Some("/authy/verify") => {}
            _ => return,
        }
        let done = match self.kind {
            ProviderKind::Totp => {
                let now = tower_authy::store::Clock::now(&tower_authy::store::SystemClock);
                let code = phone_app
                    .authenticator_code(self.key.as_deref().unwrap(), now)
                    .unwrap();
                self.browser.base = self.b.clone();
                self.browser.post("/authy/token", &[("token", &code)]).await
            }
            kind => {
                // Past the push limit (5 per 10 minutes), the page asks for a code instead.
                let status = self.browser.get_json("/authy/status").await;
                tally.saw("status", status.status);
                if status.status != 200 || status.json()["method"] != "onetouch" {
                    let now = tower_authy::store::Clock::now(&tower_authy::store::SystemClock);
                    let subject = self.subject.unwrap();
                    let code = test_support::app_code(kind, mock, None, subject, now).await;
                    self.browser.base = self.b.clone();
                    let done = self.browser.post("/authy/token", &[("token", &code)]).await;
                    return self.finish(done, tally).await;
                }
                let mut events = self.browser.open_events().await;
                tally.saw("events", events.status().as_u16());
                let subject = self.subject.unwrap();
                let Some(push) = newest_push(kind, mock, subject).await else {
                    return;
                };
                test_support::answer(kind, mock, &push, true).await;
                let approved = tokio::time::timeout(Duration::from_secs(10), async {
                    let mut seen = String::new();
                    while !seen.contains("\"approved\"") {
                        match events.chunk().await {
                            Ok(Some(c)) => seen.push_str(&String::from_utf8_lossy(&c)),
                            _ => return false,
                        }
                    }
                    true
                })
                .await;
                let what = if kind == ProviderKind::Authy {
                    "approved (authy)"
                } else {
                    "approved (verify)"
                };
                tally.saw(what, if approved == Ok(true) { 200 } else { 504 });
                self.browser.base = self.b.clone();
                self.browser.post("/authy/confirm", &[]).await
            }
        };
        self.finish(done, tally).await;
    }

    /// After the second factor: the account page on both instances, then the logout.
    async fn finish(&mut self, done: test_support::Page, tally: &Tally) {
        tally.saw("second factor", done.status);
        if done.location.as_deref() == Some("/account") {
            tally.logins[kind_index(self.kind)].fetch_add(1, Ordering::Relaxed);
            self.check_account(tally).await;
        }
        self.browser.base = self.a.clone();
        let out = self.browser.post("/authy/logout", &[]).await;
        tally.saw("logout", out.status);
    }

    /// Right after completing: the account page answers on both instances.
    async fn check_account(&mut self, tally: &Tally) {
        for base in [self.a.clone(), self.b.clone()] {
            self.browser.base = base;
            let page = self.browser.get("/account").await;
            tally.saw("account", page.status);
            match page.status {
                200 => {}
                503 => {
                    tally.outages.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    tally.lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }

    /// A TOTP user's first login: the key the page shows goes into the "app".
    async fn enrol(
        &mut self,
        tally: &Tally,
        phone_app: &tower_authy::provider::totp::TotpProvider,
    ) {
        let page = self
            .browser
            .post("/authy/enrol", &[("email", &self.email.clone())])
            .await;
        tally.saw("enrol", page.status);
        let Some(key) = page
            .body
            .split("data-testid=\"manual-key\">")
            .nth(1)
            .and_then(|rest| rest.split('<').next())
        else {
            return;
        };
        let now = tower_authy::store::Clock::now(&tower_authy::store::SystemClock);
        let code = phone_app.authenticator_code(key, now).unwrap();
        let done = self
            .browser
            .post("/authy/enrol/confirm", &[("token", &code)])
            .await;
        tally.saw("enrol confirm", done.status);
        if done.status == 200 {
            self.key = Some(key.to_owned());
            tally.logins[kind_index(self.kind)].fetch_add(1, Ordering::Relaxed);
            self.check_account(tally).await;
        }
    }
}

/// Signs `email` up on `demo` with `phone`: the browser, and the user's subject (none until a
/// TOTP user enrols). `None` if the sign-up was refused.
async fn sign_up(demo: &demo::Demo, email: &str, phone: &str) -> Option<(Browser, Option<u64>)> {
    let mut browser = Browser::new(&demo.url);
    let form = [
        ("name", "Soak"),
        ("email", email),
        ("password", PASSWORD),
        ("country_code", "1"),
        ("phone", phone),
    ];
    let signed_up = browser.post("/signup", &form).await;
    if signed_up.status != 303 {
        eprintln!("sign-up refused: {}", signed_up.status);
        return None;
    }
    let password = tower_authy::secret::Password::new(PASSWORD);
    let found = tower_authy::UserStore::verify_password(&demo.users, email, &password);
    let user = found.await.ok()??;
    let held = tower_authy::FactorStore::factors(&demo.users, &user.id)
        .await
        .ok()?;
    Some((browser, held.first().map(|f| f.subject)))
}

async fn newest_push(kind: ProviderKind, mock: &MockAuthy, subject: u64) -> Option<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let pending = test_support::pushes(kind, mock)
            .into_iter()
            .rfind(|p| p.subject == subject);
        if let Some(p) = pending {
            return Some(p.id);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

async fn soak(length: Duration) {
    let Some(mut redis) = RedisServer::start_with(Durability::EveryWrite).await else {
        assert!(
            std::env::var_os("REQUIRE_REDIS").is_none(),
            "redis-server is required"
        );
        println!("soak skipped: no redis-server");
        return;
    };
    let dir = std::env::temp_dir().join(format!("demo-soak-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mock = MockAuthy::builder()
        .api_key(API_KEY)
        .rate_limits(mock_authy::RateLimits::off())
        .start()
        .await
        .unwrap();
    let phone_app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([1; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();
    let tally = Arc::new(Tally::default());
    let mut instances = Vec::new();
    let mut people = Vec::new();
    for (p, (provider, kind)) in [
        (Provider::Authy, ProviderKind::Authy),
        (Provider::Verify, ProviderKind::Verify),
        (Provider::Totp, ProviderKind::Totp),
    ]
    .into_iter()
    .enumerate()
    {
        let [a, b] = pair(provider, &mock, &redis.url, &dir).await;
        for u in 0..USERS_PER_PROVIDER {
            let email = format!("user{u}@{provider:?}.example").to_lowercase();
            let phone = format!("55512{p}{u:04}");
            let (browser, subject) = sign_up(&a, &email, &phone).await.unwrap();
            if let (ProviderKind::Verify, Some(s)) = (kind, subject) {
                mock.verify_totp_factors(&format!("ta-{s:016x}"));
            }
            people.push(Person {
                kind,
                email,
                subject,
                key: None,
                browser,
                a: a.url.clone(),
                b: b.url.clone(),
            });
        }
        instances.push((a, b));
    }
    // Everyone's first login (a TOTP user's enrolment) and the keepers' sessions come before
    // the floods, which throttle this one client address: from then on the people's browsers
    // log in on their device cookies' own allowance.
    for person in &mut people {
        person.round(&mock, &tally, &phone_app).await;
    }
    let mut keepers = keep_sessions(&instances, &mock).await;
    assert_eq!(keepers.len(), 3, "a keeper per provider");
    let mock = Arc::new(mock);
    let phone_app = Arc::new(phone_app);
    let stop = Arc::new(AtomicBool::new(false));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for mut person in people {
        let (mock, tally, stop, app) = (
            Arc::clone(&mock),
            Arc::clone(&tally),
            Arc::clone(&stop),
            Arc::clone(&phone_app),
        );
        tasks.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                {
                    // A code counts once per 30-second step, and pushes are limited to five
                    // in 10 minutes: one login per person per step.
                    let now = tower_authy::store::Clock::now(&tower_authy::store::SystemClock);
                    let next = 30 - now.rem_euclid(30) + 1;
                    let sleep = tokio::time::sleep(Duration::from_secs(next as u64));
                    tokio::pin!(sleep);
                    while !stop.load(Ordering::Relaxed) {
                        tokio::select! {
                            () = &mut sleep => break,
                            () = tokio::time::sleep(Duration::from_millis(200)) => {}
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                }
                person.round(&mock, &tally, &app).await;
            }
        }));
    }
    // Floods of wrong passwords for unknown emails, on every instance, twice a second.
    let bases: Vec<String> = instances
        .iter()
        .flat_map(|(a, b)| [a.url.clone(), b.url.clone()])
        .collect();
    {
        let (tally, stop, bases) = (Arc::clone(&tally), Arc::clone(&stop), bases.clone());
        tasks.push(tokio::spawn(async move {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let round = bases
                    .iter()
                    .flat_map(|base| (0..10).map(move |i| (base.clone(), i)));
                let answers = futures_util::future::join_all(round.map(|(base, i)| {
                    let email = format!("nobody{n}-{i}@example.com");
                    async move {
                        let mut b = Browser::new(&base);
                        b.login(&email, "guess").await.status
                    }
                }))
                .await;
                for status in answers {
                    tally.saw("flood", status);
                }
                n += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
        }));
    }
    // Redis restarts, every minute (or twice in a short run), and the memory samples.
    let restart_every = std::env::var("SOAK_RESTART_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(
            (length / 5).clamp(Duration::from_secs(2), Duration::from_secs(60)),
            Duration::from_secs,
        );
    let sample_every = (length / 30).max(Duration::from_secs(1));
    let mut samples = vec![(0u64, rss_kib())];
    let mut next_restart = restart_every;
    let mut restarts = 0;
    while started.elapsed() < length {
        tokio::time::sleep(sample_every.min(length.saturating_sub(started.elapsed()))).await;
        samples.push((started.elapsed().as_secs(), rss_kib()));
        if started.elapsed() >= next_restart && started.elapsed() + Duration::from_secs(2) < length
        {
            redis.restart().await;
            restarts += 1;
            next_restart += restart_every;
        }
        for (b, what) in &mut keepers {
            let page = b.get("/account").await;
            tally.saw(what, page.status);
            match page.status {
                200 => {}
                503 => {
                    tally.outages.fetch_add(1, Ordering::Relaxed);
                }
                _ => {
                    tally.lost.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(40), t).await;
    }
    samples.push((started.elapsed().as_secs(), rss_kib()));

    let mib = |kib: u64| kib as f64 / 1024.0;
    println!(
        "soak: {:.0?}, two instances per provider on one Redis, {restarts} Redis restarts",
        started.elapsed()
    );
    let first = samples[1.min(samples.len() - 1)].1;
    println!("  RSS over time (this process: six instances, the mock, the clients)");
    for (t, kib) in &samples {
        println!(
            "    {t:>5} s  {:7.1} MiB  {:.2}",
            mib(*kib),
            *kib as f64 / first as f64
        );
    }
    let logins: Vec<u64> = tally
        .logins
        .iter()
        .map(|l| l.load(Ordering::Relaxed))
        .collect();
    println!(
        "  logins completed: Authy {}, Verify {}, TOTP {}",
        logins[0], logins[1], logins[2]
    );
    println!("  answers by status:");
    for ((what, status), n) in tally.answers.lock().unwrap().iter() {
        println!("    {what:<22} {status}  {n}");
    }
    let lost = tally.lost.load(Ordering::Relaxed);
    println!(
        "  sessions lost: {lost}; account pages answered 503 during Redis restarts: {}",
        tally.outages.load(Ordering::Relaxed)
    );
    for (a, b) in instances {
        a.stop();
        b.stop();
    }
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(lost, 0, "a verified session was lost");
    assert!(
        logins.iter().all(|&n| n > 0),
        "every provider logged someone in"
    );
}

/// A verified session per provider that the soak checks stays logged in: a user of its own,
/// logged in once (on TOTP, enrolled at that login).
async fn keep_sessions(
    instances: &[(demo::Demo, demo::Demo)],
    mock: &MockAuthy,
) -> Vec<(Browser, &'static str)> {
    let phone_app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([1; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();
    let tally = Tally::default();
    let mut kept = Vec::new();
    for (i, ((a, b), kind)) in instances.iter().zip(KINDS).enumerate() {
        let email = format!("keeper{i}@example.com");
        let phone = format!("55598{i}0000");
        let Some((browser, subject)) = sign_up(a, &email, &phone).await else {
            continue;
        };
        let mut person = Person {
            kind,
            email,
            subject,
            key: None,
            browser,
            a: a.url.clone(),
            b: b.url.clone(),
        };
        // One round without the logout.
        person.browser.base = person.a.clone();
        let page = person.browser.login(&person.email, PASSWORD).await;
        if page.location.as_deref() == Some("/authy/enrol") {
            person.enrol(&tally, &phone_app).await;
        } else if let Some(subject) = person.subject {
            let Some(push) = newest_push(kind, mock, subject).await else {
                continue;
            };
            test_support::answer(kind, mock, &push, true).await;
            person.browser.base = person.b.clone();
            let deadline = Instant::now() + Duration::from_secs(10);
            while person
                .browser
                .post("/authy/confirm", &[])
                .await
                .location
                .as_deref()
                != Some("/account")
                && Instant::now() < deadline
            {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        person.browser.base = person.a.clone();
        if person.browser.get("/account").await.status == 200 {
            kept.push((
                person.browser,
                ["keeper authy", "keeper verify", "keeper totp"][i],
            ));
        }
    }
    kept
}
