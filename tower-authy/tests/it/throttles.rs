//! Password throttles: per login name, per address (IPv6 by prefix, behind trusted proxies by
//! the entry they wrote), per hour and day, across instances, with the hashing bounded, and the
//! owner's own browser (the device cookie) beyond a stranger's lockout.

use crate::support::pushes;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;
use test_support::{Browser, Options, PASSWORD, World};
use tower_authy::{
    UserStore, limits::LoginThrottle, store::MemoryChallengeStore, store::MemoryUserStore,
};

/// A browser whose requests all carry this `X-Forwarded-For`.
fn behind(w: &World, forwarded_for: &str) -> Browser {
    Browser::forwarded_for(&w.base, forwarded_for)
}

/// A user store that counts its password checks and takes `delay` (on tokio's clock) for each.
#[derive(Clone)]
struct CountingUsers {
    inner: MemoryUserStore,
    checks: Arc<AtomicUsize>,
    delay: Duration,
}

impl CountingUsers {
    fn new(delay: Duration) -> Self {
        CountingUsers {
            inner: MemoryUserStore::new(),
            checks: Arc::new(AtomicUsize::new(0)),
            delay,
        }
    }
}

#[async_trait::async_trait]
impl UserStore for CountingUsers {
    async fn verify_password(
        &self,
        login: &str,
        password: &tower_authy::secret::Password,
    ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.inner.verify_password(login, password).await
    }
    async fn load(
        &self,
        id: &str,
    ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
        self.inner.load(id).await
    }
}

/// A user store that checks passwords through a one-slot [`tower_authy::store::HashLimiter`] with no
/// queue, and whose first check holds the slot until released.
struct SlowHashing {
    users: MemoryUserStore,
    hashing: tower_authy::store::HashLimiter,
    started: std::sync::Mutex<Option<std::sync::mpsc::Sender<()>>>,
    release: Arc<std::sync::Mutex<Option<std::sync::mpsc::Receiver<()>>>>,
}

#[async_trait::async_trait]
impl UserStore for SlowHashing {
    async fn verify_password(
        &self,
        login: &str,
        password: &tower_authy::secret::Password,
    ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
        let started = self.started.lock().unwrap().take();
        let release = Arc::clone(&self.release);
        self.hashing
            .run(move || {
                if let Some(started) = started {
                    started.send(()).unwrap();
                    let rx = release.lock().unwrap().take().unwrap();
                    rx.recv().unwrap();
                }
            })
            .await?;
        self.users.verify_password(login, password).await
    }

    async fn load(
        &self,
        id: &str,
    ) -> Result<Option<tower_authy::UserRecord>, tower_authy::store::StoreError> {
        self.users.load(id).await
    }
}

#[tokio::test]
async fn wrong_passwords_throttle_the_account_and_then_the_right_one_looks_wrong_and_sends_no_push()
{
    let w = World::start().await;
    w.user("ada@example.com", "5551230001").await;
    let limit = LoginThrottle::default().per_account;
    for _ in 0..limit {
        let mut b = w.browser();
        assert_eq!(b.login("ada@example.com", "guess").await.status, 401);
    }
    let wrong = w.browser().login("ada@example.com", "guess").await;
    let mut b = w.browser();
    let right = b.login("ada@example.com", PASSWORD).await;
    assert_eq!(right.status, 401, "the right password is not told apart");
    assert_eq!(right.status, wrong.status);
    assert!(right.body.contains("Wrong email or password."));
    assert_eq!(pushes(&w), 0, "a throttled attempt sends no push");

    // Case does not make a new account key.
    let mut b = w.browser();
    assert_eq!(b.login("ADA@example.com", PASSWORD).await.status, 401);

    // The lockout runs out; then the user gets in, and the push goes out.
    w.advance(LoginThrottle::default().lockout.as_secs() as i64);
    let mut b = w.browser();
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
    assert_eq!(pushes(&w), 1);
}

#[tokio::test]
async fn right_passwords_do_not_count_toward_the_throttle() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_account: 2,
            ..LoginThrottle::default()
        })
        .send_limits(tower_authy::limits::SendLimits {
            pushes_per_10_minutes: 100,
            per_login: 3,
            per_hour: 10,
        })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    assert_eq!(
        w.browser().login("ada@example.com", "typo").await.status,
        401
    );
    for _ in 0..5 {
        assert_eq!(
            w.browser().login("ada@example.com", PASSWORD).await.status,
            303
        );
    }
}

#[tokio::test]
async fn throttled_and_wrong_password_answers_are_identical() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_account: 1,
            ..LoginThrottle::default()
        })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    let mut answers = Vec::new();
    for password in ["wrong", PASSWORD] {
        let mut b = w.browser();
        let csrf = b.csrf_token().await;
        let r = b
            .http
            .post(format!("{}/authy/login", b.base))
            .header("accept", "application/json")
            .form(&[
                ("login", "ada@example.com"),
                ("password", password),
                ("csrf_token", &csrf),
            ])
            .send()
            .await
            .unwrap();
        answers.push((r.status().as_u16(), r.text().await.unwrap()));
    }
    assert_eq!(answers[0].0, 401);
    assert_eq!(answers[0], answers[1]);
}

/// In-process, on a paused tokio clock: a throttled attempt skips the password check (no hash
/// for the attacker to burn) yet takes as long as one, so timing does not tell it apart.
#[tokio::test(start_paused = true)]
async fn throttled_attempts_skip_the_password_check_but_take_as_long() {
    use axum::body::Body;
    use http::Request;
    use tower::ServiceExt as _;

    let users = CountingUsers::new(Duration::from_millis(300));
    let client =
        tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
            .base_url("http://127.0.0.1:9")
            .build()
            .unwrap();
    let factor = tower_authy::factors::Factor::of(&client, 1, 0);
    users.inner.insert("ada@example.com", PASSWORD, [factor]);
    let tf = tower_authy::TwoFactor::builder(client, users.clone(), users.inner.clone())
        .callback_url("https://app.example/authy/callback")
        .login_throttle(LoginThrottle {
            per_account: 2,
            ..LoginThrottle::default()
        })
        .build()
        .unwrap();
    let app = axum::Router::new()
        .merge(tf.router())
        .layer(tf.session_layer(tower_sessions::MemoryStore::default()));

    // The form's CSRF token and session cookie.
    let r = app
        .clone()
        .oneshot(
            Request::get("/authy/login")
                .header("accept", "application/json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    let set_cookie = r.headers()["set-cookie"].to_str().unwrap();
    let cookie = tower_sessions::cookie::Cookie::parse(set_cookie).unwrap();
    let cookie = format!("{}={}", cookie.name(), cookie.value());
    let body = axum::body::to_bytes(r.into_body(), 4096).await.unwrap();
    let csrf = serde_json::from_slice::<serde_json::Value>(&body).unwrap()["csrf_token"]
        .as_str()
        .unwrap()
        .to_owned();

    let attempt = |password: &'static str| {
        let (app, cookie, csrf) = (app.clone(), cookie.clone(), csrf.clone());
        async move {
            let started = tokio::time::Instant::now();
            let r = app
                .oneshot(
                    Request::post("/authy/login")
                        .header("cookie", cookie)
                        .header("content-type", "application/x-www-form-urlencoded")
                        .body(Body::from(format!(
                            "login=ada%40example.com&password={password}&csrf_token={csrf}"
                        )))
                        .unwrap(),
                )
                .await
                .unwrap();
            (r.status().as_u16(), started.elapsed())
        }
    };
    let (s1, wrong) = attempt("wrong").await;
    attempt("wrong").await;
    assert_eq!(users.checks.load(Ordering::SeqCst), 2);
    let (s3, throttled) = attempt("correct%20horse%20battery%20staple").await;
    assert_eq!((s1, s3), (401, 401));
    assert_eq!(
        users.checks.load(Ordering::SeqCst),
        2,
        "the throttled attempt never reached the user store"
    );
    let ms = |d: Duration| d.as_millis() as i64;
    assert!(
        (ms(throttled) - ms(wrong)).abs() <= 30,
        "throttled {throttled:?} vs wrong password {wrong:?}"
    );
}

#[tokio::test]
async fn the_address_throttle_spans_accounts_and_ignores_forwarded_for_by_default() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_address: 3,
            ..LoginThrottle::default()
        })
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    for (n, victim) in ["a@x.example", "b@x.example", "c@x.example"]
        .iter()
        .enumerate()
    {
        let mut b = behind(&w, &format!("203.0.113.{n}"));
        assert_eq!(b.login(victim, "guess").await.status, 401);
    }
    // A spoofed X-Forwarded-For does not buy another address.
    let mut b = behind(&w, "198.51.100.77");
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 401);
    assert_eq!(pushes(&w), 0);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_client_address_is_throttled_on_its_own() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_address: 2,
            ..LoginThrottle::default()
        })
        .client_address_from_forwarded_for(1)
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    for victim in ["a@x.example", "b@x.example"] {
        let mut b = behind(&w, "203.0.113.1");
        assert_eq!(b.login(victim, "guess").await.status, 401);
    }
    // The client cannot choose the entry the proxy wrote: a forged left part changes nothing.
    let mut b = behind(&w, "10.9.9.9, 203.0.113.1");
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 401);
    let mut b = behind(&w, "203.0.113.2");
    assert_eq!(b.login("ada@example.com", PASSWORD).await.status, 303);
}

#[tokio::test]
async fn the_throttle_holds_across_two_instances_sharing_a_store() {
    let store = MemoryChallengeStore::new();
    let users = MemoryUserStore::new();
    let start = |store: MemoryChallengeStore, users: MemoryUserStore| {
        World::start_with(Options {
            configure: Box::new(move |b| b.challenge_store(store)),
            factors: Some(Arc::new(users.clone())),
            users: Some(Arc::new(users)),
            ..Default::default()
        })
    };
    let a = start(store.clone(), users.clone()).await;
    let b = start(store.clone(), users.clone()).await;
    let authy_id = a.user("ada@example.com", "5551230001").await;
    users.insert("ada@example.com", PASSWORD, [a.factor(authy_id)]);
    for n in 0..LoginThrottle::default().per_account {
        let instance = if n % 2 == 0 { &a } else { &b };
        assert_eq!(
            instance
                .browser()
                .login("ada@example.com", "guess")
                .await
                .status,
            401
        );
    }
    assert_eq!(
        a.browser().login("ada@example.com", PASSWORD).await.status,
        401,
        "guesses on B count on A"
    );
    assert_eq!(pushes(&a), 0);
}

/// The figures in BENCHMARKS.md: an attacker guessing passwords with the default throttle, on a
/// virtual clock, from a new session and a new forged `X-Forwarded-For` for every guess.
/// `cargo test -p tower-authy --test it hardening::password_guesses -- --nocapture` prints them.
#[tokio::test]
async fn password_guesses_per_hour_and_per_day_are_bounded() {
    let users = CountingUsers::new(Duration::ZERO);
    let w = World::start_with(Options {
        users: Some(Arc::new(users.clone())),
        factors: Some(Arc::new(users.inner.clone())),
        ..Default::default()
    })
    .await;
    let authy_id = w.user("victim@example.com", "5551230001").await;
    users
        .inner
        .insert("victim@example.com", PASSWORD, [w.factor(authy_id)]);
    let t = LoginThrottle::default();
    let checks = || users.checks.load(Ordering::SeqCst);

    // One account, a guess every 2 s for an hour (faster gains nothing: the throttle counts
    // time, not requests).
    for n in 0..1800u32 {
        let mut b = behind(&w, &format!("198.51.{}.{}", n / 250 % 250, n % 250));
        assert_eq!(b.login("victim@example.com", "guess").await.status, 401);
        w.clock.advance(2);
    }
    let per_hour = checks();
    // Then a guess a minute for the other 23 hours.
    for n in 0..(23 * 60u32) {
        let mut b = behind(&w, &format!("203.0.{}.{}", n / 250 % 250, n % 250));
        assert_eq!(b.login("victim@example.com", "guess").await.status, 401);
        w.clock.advance(60);
    }
    let per_day = checks();

    // One address, a different account every 5 s, for an hour.
    w.clock.advance(86_400);
    let before = checks();
    for n in 0..720u32 {
        let mut b = w.browser();
        assert_eq!(
            b.login(&format!("user{n}@example.com"), "guess")
                .await
                .status,
            401
        );
        w.clock.advance(5);
    }
    let per_address_hour = checks() - before;
    println!(
        "password guessing, default throttle ({} per account, {} per address, {} s lockout): \
         {per_hour} guesses checked in the first hour and {per_day} in a day against one account \
         (of 1,800 and 3,180 sent); {per_address_hour} in an hour from one address across \
         720 accounts; pushes sent: {}",
        t.per_account,
        t.per_address,
        t.lockout.as_secs(),
        pushes(&w)
    );
    let windows_per_hour = 3600 / t.lockout.as_secs() as usize;
    assert!(per_hour <= t.per_account as usize * windows_per_hour);
    assert!(per_day <= t.per_account as usize * windows_per_hour * 24);
    assert!(per_address_hour <= t.per_address as usize * windows_per_hour);
    assert_eq!(pushes(&w), 0);
}

/// Password checks beyond the hashing bound are refused with 503 and `Retry-After` (nobody's
/// password refused, nobody let in), while the check in progress finishes normally.
#[tokio::test]
async fn password_checks_beyond_the_hashing_bound_answer_503_with_retry_after() {
    let (started_tx, started_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel();
    let store = SlowHashing {
        users: MemoryUserStore::new(),
        hashing: tower_authy::store::HashLimiter::new(1, 0, Duration::from_secs(1)),
        started: std::sync::Mutex::new(Some(started_tx)),
        release: Arc::new(std::sync::Mutex::new(Some(release_rx))),
    };
    let users = store.users.clone();
    let w = World::start_with(Options {
        users: Some(Arc::new(store)),
        factors: Some(Arc::new(users.clone())),
        ..Options::default()
    })
    .await;
    let subject = w.user("ada@example.com", "5551230001").await;
    users.insert("ada@example.com", PASSWORD, [w.factor(subject)]);

    let mut first = w.browser();
    first.csrf_token().await;
    let holding = tokio::spawn(async move { first.login("ada@example.com", PASSWORD).await });
    tokio::task::spawn_blocking(move || started_rx.recv_timeout(test_support::WAIT).unwrap())
        .await
        .unwrap();
    let mut second = w.browser();
    let page = second.login("ada@example.com", PASSWORD).await;
    assert_eq!(page.status, 503, "{}", page.body);
    assert!(page.retry_after.is_some(), "503 comes with Retry-After");
    assert_eq!(pushes(&w), 0, "nothing sent for the refused attempt");
    release_tx.send(()).unwrap();
    let page = holding.await.unwrap();
    assert_eq!(page.location.as_deref(), Some("/authy/verify"));
}

/// OWASP's device cookie: strangers who throttle an account by guessing its password
/// elsewhere do not lock its owner out of their own browser, which has a separate allowance;
/// unknown browsers keep the account's limit. Failed before the fix: the owner's right
/// password was refused like everyone's.
#[tokio::test]
async fn a_stranger_guessing_the_password_cannot_lock_the_owners_browser_out() {
    let w = World::start().await;
    let subject = w.user("ada@example.com", "5551230001").await;
    let mut mine = w.browser();
    mine.login("ada@example.com", PASSWORD).await;
    let code = w.app_code(subject).await;
    assert_eq!(
        mine.post("/authy/token", &[("token", &code)]).await.status,
        303
    );
    assert!(mine.cookie().unwrap().contains("tower-authy-known="));
    mine.post("/authy/logout", &[]).await;

    // Somebody elsewhere guesses until the account is throttled.
    let limit = LoginThrottle::default().per_account;
    for _ in 0..limit {
        let page = behind(&w, "203.0.113.9")
            .login("ada@example.com", "guess")
            .await;
        assert_eq!(page.status, 401);
    }
    let elsewhere = w.browser().login("ada@example.com", PASSWORD).await;
    assert_eq!(
        elsewhere.status, 401,
        "unknown browsers keep the account's limit"
    );

    // The owner's browser still logs in, and no push was sent for the throttled tries.
    let pushes_before = pushes(&w);
    let page = mine.login("ada@example.com", PASSWORD).await;
    assert_eq!(
        page.location.as_deref(),
        Some("/authy/verify"),
        "{}",
        page.body
    );
    assert_eq!(pushes(&w), pushes_before + 1);

    // Its own allowance is limited as well: guessing from it throttles it alone.
    let mut again = w.browser();
    again.set_cookie(
        mine.cookie()
            .unwrap()
            .split("; ")
            .find(|c| c.starts_with("tower-authy-known="))
            .unwrap(),
    );
    for _ in 0..limit {
        assert_eq!(again.login("ada@example.com", "guess").await.status, 401);
    }
    assert_eq!(again.login("ada@example.com", PASSWORD).await.status, 401);
    // The cookie is bound to the login name: for another account it is an unknown browser.
    w.user("bob@example.com", "5551230002").await;
    let bob = again.login("bob@example.com", PASSWORD).await;
    assert_eq!(bob.location.as_deref(), Some("/authy/verify"));
}

/// IPv6 clients count by their prefix: /64 by default, wider when configured, so a guesser
/// cannot buy another address by changing the low bits. Failed before the prefix was
/// configurable: /48 could not be asked for, and addresses in other /64s of one /48 counted
/// apart.
#[tokio::test]
async fn ipv6_clients_count_by_the_configured_prefix() {
    let w = World::configured(|b| {
        b.login_throttle(LoginThrottle {
            per_address: 2,
            ipv6_prefix: 48,
            ..LoginThrottle::default()
        })
        .client_address_from_forwarded_for(1)
    })
    .await;
    w.user("ada@example.com", "5551230001").await;
    for (i, from) in ["2001:db8:1:1::1", "2001:db8:1:2::1"]
        .into_iter()
        .enumerate()
    {
        let page = behind(&w, from)
            .login(&format!("x{i}@x.example"), "guess")
            .await;
        assert_eq!(page.status, 401);
    }
    // A third /64 of the same /48 is the same client: throttled, even with the right password.
    let page = behind(&w, "2001:db8:1:3::9")
        .login("ada@example.com", PASSWORD)
        .await;
    assert_eq!(page.status, 401);
    assert_eq!(pushes(&w), 0);
    // Another /48 is somebody else.
    let page = behind(&w, "2001:db8:2::1")
        .login("ada@example.com", PASSWORD)
        .await;
    assert_eq!(page.location.as_deref(), Some("/authy/verify"));
}
