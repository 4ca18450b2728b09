//! The demo as a CI pipeline runs it: two instances on one Redis, against a separately started
//! mock-authy binary over plain http on loopback (the loudly named local-testing switch).

#![allow(clippy::unwrap_used)]

use demo::{AuthyMode, Config, StartError};
use mock_authy::CallbackMethod;
use std::net::SocketAddr;
use std::time::Duration;
use test_support::{API_KEY, Browser, MockProcess, RedisServer, read_events_until};

fn config(listen: SocketAddr, database: &std::path::Path, mock: &str, public_url: &str) -> Config {
    Config {
        provider: demo::Provider::Authy,
        verify: None,
        totp_key: None,
        listen,
        database: database.to_owned(),
        authy: AuthyMode::Remote {
            api_key: API_KEY.to_owned(),
            api_url: mock.to_owned(),
            public_url: public_url.to_owned(),
        },
        cheap_hashing: true,
        request_timeout: Duration::from_secs(10),
        redis: None,
        insecure_http_callback_on_loopback: true,
        passkey_origin: None,
    }
}

/// Ada's sign-up form.
const ADA: [(&str, &str); 5] = [
    ("name", "Ada"),
    ("email", "ada@example.com"),
    ("password", "a long enough password"),
    ("country_code", "1"),
    ("phone", "5551230001"),
];

fn free_port() -> SocketAddr {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_demo_instances_on_one_redis_share_a_login() {
    let Some(redis) = RedisServer::start().await else {
        return;
    };
    let mock = MockProcess::spawn().await;
    let dir = std::env::temp_dir().join(format!("demo-instances-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("users.sqlite3");
    // B's address is the public one: Authy's callbacks reach it.
    let b_addr = free_port();
    let public_url = format!("http://{b_addr}");
    let mut instances = Vec::new();
    for listen in ["127.0.0.1:0".parse().unwrap(), b_addr] {
        let mut c = config(listen, &database, &mock.base, &public_url);
        c.redis = Some(redis.url.clone());
        instances.push(demo::start(c).await.unwrap());
    }
    let (a, b) = (&instances[0], &instances[1]);
    mock.set_callback(Some((
        &format!("{public_url}/authy/callback"),
        CallbackMethod::Post,
    )))
    .await
    .unwrap();

    let mut on_a = Browser::new(&a.url);
    assert_eq!(on_a.post("/signup", &ADA).await.status, 303);
    let login = on_a
        .login("ada@example.com", "a long enough password")
        .await;
    assert_eq!(login.location.as_deref(), Some("/authy/verify"));
    let mut events = on_a.open_events().await;
    read_events_until(&mut events, r#""status":"pending""#).await;
    let uuid = mock.newest_uuid().await.unwrap();
    let decision = mock.approve(&uuid).await.unwrap();
    assert!(decision.callback.unwrap().delivered, "B took the callback");
    read_events_until(&mut events, r#""status":"approved""#).await;
    let mut on_b = on_a.clone();
    on_b.base = b.url.clone();
    let confirmed = on_b.post("/authy/confirm", &[]).await;
    assert_eq!(confirmed.location.as_deref(), Some("/account"));
    let account = on_a.get("/account").await;
    assert_eq!(account.status, 200);
    assert!(account.body.contains("Welcome, Ada"));
    // The header says who is logged in and offers no second sign-up or login; the page says
    // which ways to sign in are set up.
    assert!(
        account
            .body
            .contains("data-testid=\"logged-in-as\">Logged in as <strong>ada@example.com</strong>")
            && !account.body.contains("href=\"/signup\""),
        "{}",
        account.body
    );
    assert!(
        account.body.contains("data-testid=\"account-factors\"")
            && account.body.contains("The Authy app"),
        "{}",
        account.body
    );
    drop(std::fs::remove_dir_all(&dir));
}

#[tokio::test]
async fn an_http_callback_is_allowed_on_loopback_only_and_only_when_asked() {
    let dir = std::env::temp_dir().join(format!("demo-insecure-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("users.sqlite3");
    let listen = "127.0.0.1:0".parse().unwrap();
    let mock = "http://127.0.0.1:9";
    let elsewhere = config(listen, &database, mock, "http://demo.example");
    assert!(matches!(
        demo::start(elsewhere).await,
        Err(StartError::InsecureCallbackNotLoopback)
    ));
    let mut not_asked = config(listen, &database, mock, "http://127.0.0.1:3000");
    not_asked.insecure_http_callback_on_loopback = false;
    assert!(matches!(
        demo::start(not_asked).await,
        Err(StartError::Config(_))
    ));
    let asked = config(listen, &database, mock, "http://localhost:3000");
    demo::start(asked).await.unwrap().stop();
    drop(std::fs::remove_dir_all(&dir));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restarting_the_demo_logs_nobody_out() {
    let dir = std::env::temp_dir().join(format!("demo-restart-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("demo.sqlite3");
    let embedded = || {
        let mut c = demo::embedded_config("127.0.0.1:0".parse().unwrap(), database.clone());
        c.cheap_hashing = true;
        c
    };
    let first = demo::start(embedded()).await.unwrap();
    let mut b = Browser::new(&first.url);
    assert_eq!(b.post("/signup", &ADA).await.status, 303);
    b.login("ada@example.com", "a long enough password").await;
    let mock = first.mock.as_ref().unwrap();
    let uuid = mock.approval_requests().last().unwrap().uuid.clone();
    assert!(mock.approve(&uuid).await.unwrap().unwrap().delivered);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    assert_eq!(b.get("/account").await.status, 200);
    first.stop();

    // A new process on the same file: the session is still there.
    let second = demo::start(embedded()).await.unwrap();
    b.base = second.url.clone();
    let account = b.get("/account").await;
    assert_eq!(account.status, 200, "still logged in after the restart");
    assert!(account.body.contains("Welcome, Ada"));
    second.stop();
    drop(std::fs::remove_dir_all(&dir));
}

#[test]
fn the_configuration_prints_no_key_and_no_redis_password() {
    let mut c = config(
        "127.0.0.1:0".parse().unwrap(),
        std::path::Path::new(":memory:"),
        "http://127.0.0.1:9",
        "http://127.0.0.1:3000",
    );
    c.redis = Some("redis://user:hunter2@10.0.0.5:6379".into());
    let printed = format!("{c:?}");
    assert!(!printed.contains(API_KEY), "{printed}");
    assert!(!printed.contains("hunter2"), "{printed}");
    assert!(
        printed.contains("http://127.0.0.1:9"),
        "the rest is shown: {printed}"
    );
}

/// Signs `email` up on the demo at `base` (TOTP), enrols an authenticator app and returns the
/// key it shows.
async fn enrolled(base: &str, email: &str) -> String {
    let mut b = Browser::new(base);
    let form = [
        ("name", "Someone"),
        ("email", email),
        ("password", "a long enough password"),
        ("country_code", "1"),
        ("phone", "5551230001"),
    ];
    assert_eq!(b.post("/signup", &form).await.status, 303);
    let login = b.login(email, "a long enough password").await;
    assert_eq!(login.location.as_deref(), Some("/authy/enrol"));
    let page = b.post("/authy/enrol", &[("email", email)]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    let key = page
        .body
        .split("data-testid=\"manual-key\">")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap()
        .to_owned();
    let code = app_code(&key, 0);
    let done = b.post("/authy/enrol/confirm", &[("token", &code)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    key
}

/// The code an authenticator app holding `key` shows `steps` time steps from now.
fn app_code(key: &str, steps: i64) -> String {
    let app = tower_authy::provider::totp::TotpProvider::builder(
        tower_authy::provider::totp::TotpKey::from_bytes([0; 32]),
        tower_authy::provider::totp::MemoryTotpSecretStore::new(),
    )
    .build()
    .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    app.authenticator_code(key, i64::try_from(now).unwrap() + steps * 30)
        .unwrap()
}

/// Logs `email` in on the demo at `base` with the app's next code: the status of the answer.
async fn log_in_with_app(base: &str, email: &str, key: &str) -> Option<String> {
    let mut b = Browser::new(base);
    b.login(email, "a long enough password").await;
    let done = b
        .post("/authy/token", &[("token", &app_code(key, 1))])
        .await;
    done.location
}

/// With no DEMO_TOTP_KEY the demo makes its TOTP key once, in a file beside the database
/// (mode 0600), so a restart keeps enrolled apps working; `demo admin rotate-totp-key` seals
/// every secret again under a new key, and the apps keep working. Failed before the fix: each
/// run sealed under a random key, and after a restart every TOTP login answered 503.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn totp_keys_outlive_a_restart_and_rotate() {
    let dir = std::env::temp_dir().join(format!("demo-keys-it-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("demo.sqlite3");
    let totp = || {
        let mut c = demo::embedded_config("127.0.0.1:0".parse().unwrap(), database.clone());
        c.provider = demo::Provider::Totp;
        c.cheap_hashing = true;
        c
    };
    let first = demo::start(totp()).await.unwrap();
    let ada = enrolled(&first.url, "ada@example.com").await;
    let bob = enrolled(&first.url, "bob@example.com").await;
    first.stop();
    let key_file = demo::keys::file_for(&database).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the key file is the owner's alone");
    }

    let second = demo::start(totp()).await.unwrap();
    assert_eq!(
        log_in_with_app(&second.url, "ada@example.com", &ada)
            .await
            .as_deref(),
        Some("/account"),
        "the app still works after a restart"
    );
    second.stop();

    let before = std::fs::read_to_string(&key_file).unwrap();
    let done = demo::keys::rotate_totp_key(&database).await.unwrap();
    assert_eq!((done.resealed, done.unreadable), (2, 0));
    let after = std::fs::read_to_string(&key_file).unwrap();
    let keys = |text: &str| -> Vec<String> {
        text.lines()
            .filter(|l| l.starts_with("totp "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(keys(&after).len(), 2);
    assert_eq!(
        keys(&after)[1],
        keys(&before)[0],
        "the replaced key is kept second"
    );

    // On the new key alone (the old one dropped from the file), Bob's app still works.
    std::fs::write(&key_file, format!("{}\n", keys(&after)[0])).unwrap();
    let third = demo::start(totp()).await.unwrap();
    assert_eq!(
        log_in_with_app(&third.url, "bob@example.com", &bob)
            .await
            .as_deref(),
        Some("/account"),
        "every secret was sealed again under the new key"
    );
    third.stop();
    drop(std::fs::remove_dir_all(&dir));
}

/// `demo admin status` and `demo admin reset-2fa` on the running demo's file: the reset clears
/// the sign-up Authy id, ends the user's session, and the next login enrols again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_administrator_resets_a_users_second_factor() {
    let dir = std::env::temp_dir().join(format!("demo-admin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("demo.sqlite3");
    let mut c = demo::embedded_config("127.0.0.1:0".parse().unwrap(), database.clone());
    c.cheap_hashing = true;
    let running = demo::start(c).await.unwrap();
    let mut b = Browser::new(&running.url);
    assert_eq!(b.post("/signup", &ADA).await.status, 303);
    b.login("ada@example.com", "a long enough password").await;
    let mock = running.mock.as_ref().unwrap();
    let uuid = mock.approval_requests().last().unwrap().uuid.clone();
    assert!(mock.approve(&uuid).await.unwrap().unwrap().delivered);
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    // The account page lists what just happened, newest first, with where from.
    let account = b.get("/account").await;
    assert_eq!(account.status, 200);
    let listed = account
        .body
        .split("data-testid=\"security-activity\"")
        .nth(1)
        .unwrap_or_default();
    let order = [
        "Signed in: login request approved",
        "Login request approved on your phone",
        "Login request sent to your phone",
        "Password accepted · ",
    ];
    let at: Vec<Option<usize>> = order.iter().map(|w| listed.find(w)).collect();
    assert!(
        at.iter().all(Option::is_some) && at.windows(2).all(|p| p[0] < p[1]),
        "{order:?} in order in {listed}"
    );
    assert!(listed.contains("from 127.0.0.1"), "{listed}");
    assert!(
        !account.body.contains("data-testid=\"mailbox\""),
        "no notice yet"
    );

    let before = demo::admin::status(&database, "ada@example.com")
        .await
        .unwrap();
    assert_eq!(before.factors.len(), 1, "the phone from sign-up");
    let activity = |id: String| {
        let users = running.users.clone();
        async move {
            let entries = users.recent_activity(&id, 10).await.unwrap();
            entries.into_iter().map(|e| e.what).collect::<Vec<_>>()
        }
    };
    // A passkey credential of hers (as registering one keeps it): the reset forgets it too.
    use tower_authy::provider::webauthn::{PasskeyStore, StoredCredential};
    let held = StoredCredential {
        user_id: before.user_id.clone(),
        credential_id: vec![9; 16],
        credential: b"{}".to_vec(),
        counter: 0,
    };
    assert!(running.users.register(77, held).await.unwrap());
    let done = demo::admin::reset(&database, "ada@example.com")
        .await
        .unwrap();
    assert_eq!(done.factors_removed, 1);
    assert_eq!(running.users.get(77).await.unwrap(), None, "forgotten");
    let after = demo::admin::status(&database, "ada@example.com")
        .await
        .unwrap();
    assert!(after.factors.is_empty());
    let listed = activity(after.user_id.clone()).await;
    // Newest first: the reset, and the raised epoch its removal made.
    assert_eq!(
        listed.get(..2),
        Some(
            &[
                "Signed out everywhere else".to_owned(),
                "An administrator reset your second factors".to_owned()
            ][..]
        ),
        "{listed:?}"
    );
    assert_eq!(
        running.users.mailbox(&after.user_id, 5).await.unwrap(),
        ["An administrator reset your second factors"]
    );
    assert!(matches!(
        demo::admin::status(&database, "nobody@example.com").await,
        Err(demo::admin::AdminError::NoSuchUser(_))
    ));

    assert_eq!(b.get("/account").await.status, 303, "the session ended");
    let again = Browser::new(&running.url)
        .login("ada@example.com", "a long enough password")
        .await;
    assert_eq!(again.location.as_deref(), Some("/authy/enrol"));
    running.stop();
    drop(std::fs::remove_dir_all(&dir));
}

/// The demo on its embedded mock and the SQLite file `database`.
async fn embedded_on(database: &std::path::Path) -> demo::Demo {
    let mut c = config(
        "127.0.0.1:0".parse().unwrap(),
        database,
        "http://unused",
        "http://unused",
    );
    c.authy = AuthyMode::Embedded;
    demo::start(c).await.unwrap()
}

/// The browser's remembered-device cookie, `name=value`.
fn device_cookie(b: &Browser) -> String {
    let cookies = b.cookie().unwrap_or_default();
    let found = cookies
        .split("; ")
        .find(|c| c.contains("tower-authy-device="));
    found.expect("a device cookie").to_owned()
}

/// Password alone from a browser holding only the device cookie `device`: where it is sent,
/// and the device cookie it holds after.
async fn password_alone(demo: &demo::Demo, device: &str) -> (Option<String>, String) {
    let mut b = Browser::new(&demo.url);
    b.set_cookie(device);
    let page = b.login("ada@example.com", "a long enough password").await;
    (page.location, device_cookie(&b))
}

/// `demo admin rotate-remember-key`: devices remembered under the old key keep skipping the
/// second factor (their cookie signed again with the new key at that login) until the next
/// rotation, which drops the old key.
#[tokio::test]
async fn a_rotated_remember_key_keeps_remembered_devices_until_the_next_rotation() {
    let dir = std::env::temp_dir().join(format!("demo-remember-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let database = dir.join("users.sqlite3");
    let first = embedded_on(&database).await;
    let mut b = Browser::new(&first.url);
    assert_eq!(b.post("/signup", &ADA).await.status, 303);
    let login = b
        .post(
            "/authy/login",
            &[
                ("login", "ada@example.com"),
                ("password", "a long enough password"),
                ("remember", "1"),
            ],
        )
        .await;
    assert_eq!(login.location.as_deref(), Some("/authy/verify"));
    let mock = first.mock.as_ref().unwrap();
    let uuid = mock.approval_requests().last().unwrap().uuid.clone();
    mock.approve(&uuid).await.unwrap();
    assert_eq!(b.post("/authy/confirm", &[]).await.status, 303);
    let remembered = device_cookie(&b);
    let ada = demo::admin::status(&database, "ada@example.com")
        .await
        .unwrap()
        .user_id;
    assert_eq!(
        first.users.mailbox(&ada, 5).await.unwrap(),
        ["A browser was remembered for your account"],
        "a new remembered device is a notice"
    );

    first.users.rotate_remember_key().await.unwrap();
    let rotated = embedded_on(&database).await;
    let (to, signed_again) = password_alone(&rotated, &remembered).await;
    assert_eq!(to.as_deref(), Some("/account"), "the old key still counts");
    assert_ne!(signed_again, remembered, "and the cookie is signed again");

    first.users.rotate_remember_key().await.unwrap();
    let again = embedded_on(&database).await;
    assert_eq!(
        password_alone(&again, &signed_again).await.0.as_deref(),
        Some("/account"),
        "signed with the key now previous"
    );
    assert_eq!(
        password_alone(&again, &remembered).await.0.as_deref(),
        Some("/authy/verify"),
        "the first key is gone"
    );
    drop(std::fs::remove_dir_all(&dir));
}
