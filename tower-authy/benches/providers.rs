//! Complete logins per second on each provider, in one run so that the figures compare:
//! the push flow (password, push, the phone approves after 5 ms, signed callback or webhook,
//! server-sent event, confirm, protected page) on Authy and on Verify, and the code flow
//! (password, code from the app, protected page) on Authy, Verify and self-hosted TOTP, and the
//! passkey flow (password, the request options, the software authenticator's assertion,
//! protected page). Each code login uses a user not used before, so no code is refused as
//! already used.
//!
//! `cargo bench -p tower-authy --bench providers`

#![allow(clippy::unwrap_used, missing_docs)]

#[path = "support/browser.rs"]
mod browser;
use browser::{Browser, until_approved};

use mock_authy::{CallbackMethod, MockAuthy, OneTouchBehaviour};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use test_support::ProviderKind;
use tower_authy::{
    TwoFactor, store::Clock, store::MemoryChallengeStore, store::MemoryUserStore,
    store::SystemClock,
};
use tower_sessions::MemoryStore;

const CLIENTS: usize = 32;
/// Under `cargo test` (no `--bench`), every part runs briefly, as a check that it works.
static QUICK: AtomicBool = AtomicBool::new(false);

fn quick() -> bool {
    QUICK.load(Ordering::Relaxed)
}

struct Stack {
    mock: MockAuthy,
    base: String,
    kind: ProviderKind,
    totp: Option<tower_authy::provider::totp::TotpProvider>,
    subjects: Vec<u64>,
}

async fn stack(kind: ProviderKind, users: usize, phones: OneTouchBehaviour) -> Stack {
    let mock = MockAuthy::builder()
        .seed(4)
        .default_onetouch(phones)
        .start()
        .await
        .unwrap();
    let server = test_support::Server::bind().await;
    let callback_url = format!("{}/authy/callback", server.base);
    mock.set_callback(Some((callback_url.clone(), CallbackMethod::Post)));
    let (provider, _, totp) = test_support::build_provider(
        kind,
        mock.base_url(),
        mock.api_key(),
        Duration::from_secs(5),
        SystemClock,
        &callback_url,
    )
    .await;
    let store_users = MemoryUserStore::new();
    let mut subjects = Vec::with_capacity(users);
    for i in 0..users {
        let s = provider
            .register(&format!("u{i}@example.com"), &format!("555{i:07}"), "1")
            .await
            .unwrap();
        if kind == ProviderKind::Verify {
            // The user has set up their authenticator app.
            mock.verify_totp_factors(&format!("ta-{s:016x}"));
        }
        let factor = tower_authy::factors::Factor::of(&provider, s, 0);
        store_users.insert(&format!("u{i}@example.com"), "pw", [factor]);
        subjects.push(s);
    }
    let two_factor = TwoFactor::builder(provider, store_users.clone(), store_users)
        .callback_url(&callback_url)
        .with_insecure_http_for_local_demo()
        .challenge_store(MemoryChallengeStore::new())
        .send_limits(tower_authy::limits::SendLimits {
            pushes_per_10_minutes: 100,
            per_login: 3,
            per_hour: 10,
        })
        .login_throttle(tower_authy::limits::LoginThrottle {
            per_address: 10_000,
            ..tower_authy::limits::LoginThrottle::default()
        })
        .build()
        .unwrap();
    let base = server.serve(test_support::app_router(
        &two_factor,
        MemoryStore::default(),
    ));
    Stack {
        mock,
        base,
        kind,
        totp,
        subjects,
    }
}

/// Complete logins per second with `CLIENTS` browsers, for up to `secs` seconds or until
/// `limit` logins; `login(n)` runs login number `n`.
async fn measure<F, Fut>(limit: usize, secs: u64, login: F) -> f64
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let login = Arc::new(login);
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let t0 = Instant::now();
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let (login, next, stop) = (Arc::clone(&login), Arc::clone(&next), Arc::clone(&stop));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= limit {
                        break;
                    }
                    login(n).await;
                }
            })
        })
        .collect();
    let timer = {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_secs(secs)).await;
            stop.store(true, Ordering::Relaxed);
        })
    };
    for t in tasks {
        t.await.unwrap();
    }
    timer.abort();
    let done = next.load(Ordering::Relaxed).min(limit);
    // Logins started when the clock ran out finish before this; count them all.
    done as f64 / t0.elapsed().as_secs_f64()
}

async fn push_logins(kind: ProviderKind) -> f64 {
    let users = if quick() { 20 } else { 1000 };
    let phones = OneTouchBehaviour::AutoApprove { after_ms: 5 };
    let s = Arc::new(stack(kind, users, phones).await);
    let http = http();
    let secs = if quick() { 1 } else { 8 };
    let st = Arc::clone(&s);
    let rate = measure(usize::MAX, secs, move |n| {
        let (s, http) = (Arc::clone(&st), http.clone());
        async move {
            let email = format!("u{}@example.com", n % s.subjects.len());
            let mut b = Browser::begin(&http, &s.base).await;
            b.password(&email).await;
            let mut events = b
                .req(reqwest::Method::GET, "/authy/events")
                .send()
                .await
                .unwrap();
            until_approved(&mut events).await;
            drop(events);
            b.post("/authy/confirm", None).await;
            b.protected_page().await;
        }
    })
    .await;
    drop(s);
    rate
}

async fn code_logins(kind: ProviderKind) -> f64 {
    let users = if quick() { 40 } else { 6000 };
    // Phones without the app: no push is sent, the code is the second factor.
    let s = Arc::new(stack(kind, users, OneTouchBehaviour::NoDevice).await);
    let http = http();
    let secs = if quick() { 1 } else { 8 };
    let st = Arc::clone(&s);
    let rate = measure(users, secs, move |n| {
        let (s, http) = (Arc::clone(&st), http.clone());
        async move {
            let email = format!("u{n}@example.com");
            let mut b = Browser::begin(&http, &s.base).await;
            b.password(&email).await;
            let now = SystemClock.now();
            let code =
                test_support::app_code(s.kind, &s.mock, s.totp.as_ref(), s.subjects[n], now).await;
            b.post("/authy/token", Some(("token", &code))).await;
            b.protected_page().await;
        }
    })
    .await;
    drop(s);
    rate
}

/// Password, then a passkey (a software authenticator per user, P-256, user verified): the
/// options (JSON), the assertion (signed in the client, outside the server's time but inside
/// the measured login), the protected page.
async fn passkey_logins() -> f64 {
    use tower_authy::provider::webauthn::{
        MemoryPasskeyStore, Passkeys, RelyingParty, RequestChallengeResponse, Uuid,
    };
    use webauthn_authenticator_rs::WebauthnAuthenticator;
    use webauthn_authenticator_rs::softpasskey::SoftPasskey;
    let users = if quick() { 20 } else { 500 };
    let origin = url::Url::parse("http://localhost:3000").unwrap();
    let rp = RelyingParty {
        id: "localhost".into(),
        name: "Bench".into(),
        origins: vec![origin.to_string().trim_end_matches('/').to_owned()],
    };
    let passkeys = Passkeys::new(&rp).unwrap();
    let credentials = MemoryPasskeyStore::new();
    let ceremonies = MemoryChallengeStore::new();
    let store_users = MemoryUserStore::new();
    let mut keys = Vec::with_capacity(users);
    for i in 0..users {
        let mut key = SoftPasskey::new(true);
        let options = passkeys
            .start_registration(
                &ceremonies,
                "r",
                Uuid::from_u128(i as u128),
                "u",
                Vec::new(),
                60,
                0,
            )
            .await
            .unwrap();
        let answer = key.do_registration(origin.clone(), options).unwrap();
        let passkey = passkeys
            .finish_registration(&ceremonies, "r", &answer, 1)
            .await
            .unwrap();
        let user = store_users.insert(&format!("u{i}@example.com"), "pw", []);
        let subject = 1 + i as u64;
        passkeys
            .keep(&credentials, subject, &user, &passkey)
            .await
            .unwrap();
        let factor = tower_authy::factors::Factor {
            id: format!("pk{i}"),
            kind: tower_authy::factors::FactorKind::Passkey,
            provider: tower_authy::factors::PASSKEY_PROVIDER.into(),
            subject,
            label: "Passkey".into(),
            phone: None,
            created_at: 0,
            last_used_at: None,
        };
        use tower_authy::FactorStore;
        assert!(store_users.add(&user, factor, &[]).await.unwrap());
        keys.push(tokio::sync::Mutex::new(key));
    }
    let totp = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([1; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();
    let two_factor = TwoFactor::builder(totp, store_users.clone(), store_users)
        .with_insecure_http_for_local_demo()
        .challenge_store(MemoryChallengeStore::new())
        .passkeys(passkeys, credentials)
        .login_throttle(tower_authy::limits::LoginThrottle {
            per_address: 10_000,
            ..tower_authy::limits::LoginThrottle::default()
        })
        .build()
        .unwrap();
    let server = test_support::Server::bind().await;
    let base = Arc::new(server.serve(test_support::app_router(
        &two_factor,
        MemoryStore::default(),
    )));
    let keys = Arc::new(keys);
    let http = http();
    let secs = if quick() { 1 } else { 8 };
    measure(usize::MAX, secs, move |n| {
        let (base, keys, http, origin) = (
            Arc::clone(&base),
            Arc::clone(&keys),
            http.clone(),
            origin.clone(),
        );
        async move {
            let i = n % keys.len();
            // One login at a time per authenticator: two at once could reach the server in
            // the other order than they were signed, which it refuses as a possible clone.
            let mut key = keys[i].lock().await;
            let mut b = Browser::begin(&http, &base).await;
            b.password(&format!("u{i}@example.com")).await;
            let r = b
                .req(reqwest::Method::POST, "/authy/passkey/options")
                .form(&[("csrf_token", b.csrf.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 200);
            let options: RequestChallengeResponse = r.json().await.unwrap();
            let answer = key.do_authentication(origin, options).unwrap();
            let answer = serde_json::to_string(&answer).unwrap();
            b.post("/authy/passkey", Some(("credential", &answer)))
                .await;
            b.protected_page().await;
        }
    })
    .await
}

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(64)
        .build()
        .unwrap()
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    QUICK.store(!std::env::args().any(|a| a == "--bench"), Ordering::Relaxed);
    rt.block_on(async {
        let baseline = push_logins(ProviderKind::Authy).await;
        let mut rows = vec![("push", ProviderKind::Authy, baseline)];
        rows.push((
            "push",
            ProviderKind::Verify,
            push_logins(ProviderKind::Verify).await,
        ));
        for kind in ProviderKind::ALL {
            rows.push(("code", kind, code_logins(kind).await));
        }
        let passkey = passkey_logins().await;
        // The baseline again, so that drift on a shared machine shows.
        let again = push_logins(ProviderKind::Authy).await;
        println!(
            "complete logins per second, {CLIENTS} concurrent browsers, one instance in memory:"
        );
        for (flow, kind, rate) in &rows {
            println!(
                "  {flow:<4} {:<7} {rate:>7.0} /s   {:.2} x Authy push",
                format!("{kind:?}"),
                rate / baseline
            );
        }
        println!(
            "  passkey (self)  {passkey:>7.0} /s   {:.2} x Authy push",
            passkey / baseline
        );
        println!(
            "  push Authy (again) {again:>7.0} /s   {:.2} x",
            again / baseline
        );
        assert!(
            passkey > 0.0 && rows.iter().all(|r| r.2 > 0.0),
            "every flow completed logins"
        );
    });
}
