//! Shared support for the end-to-end suites: the mock-authy **binary** started as a user's CI
//! would start it, driven through its HTTP control API, and a minimal app on tower-authy.
#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

#[path = "../../tower-authy/tests/support/browser.rs"]
mod browser;

pub use browser::{Browser, Page};

use axum::Router;
use axum::routing::get;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::process::{Child, Command};
use tower_authy::{
    ApiKey, AuthyClient, ManualClock, MemoryUserStore, SystemClock, TwoFactor, TwoFactorBuilder,
    VerifiedUser,
};
use tower_sessions::MemoryStore;

pub const PASSWORD: &str = "correct horse battery staple";
pub const API_KEY: &str = "e2e-api-key";
pub const WAIT: Duration = Duration::from_secs(10);

/// The mock-authy binary built next to this test (`cargo test --workspace` builds it), or the
/// one named by `MOCK_AUTHY_BIN`.
pub fn mock_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MOCK_AUTHY_BIN") {
        return p.into();
    }
    // target/debug/deps/<test> -> target/debug/mock-authy
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join(format!("mock-authy{}", std::env::consts::EXE_SUFFIX));
    assert!(
        bin.exists(),
        "{} is missing: run `cargo build -p mock-authy` (cargo test --workspace does)",
        bin.display()
    );
    bin
}

/// A running mock-authy process on a free loopback port. Killed on drop.
#[derive(Debug)]
pub struct MockProcess {
    _child: Child,
    pub base: String,
    http: reqwest::Client,
}

impl MockProcess {
    pub async fn spawn() -> MockProcess {
        let mut child = Command::new(mock_binary())
            .args([
                "--listen",
                "127.0.0.1:0",
                "--api-key",
                API_KEY,
                "--seed",
                "5",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = tokio::time::timeout(WAIT, lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        let base = first
            .strip_prefix("mock-authy listening on ")
            .unwrap()
            .to_owned();
        // Keep draining stdout so the process never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        MockProcess {
            _child: child,
            base,
            http: reqwest::Client::new(),
        }
    }

    async fn control(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method, format!("{}/__mock{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let r = req.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn set_callback(&self, url: &str) {
        assert_eq!(
            self.control(
                reqwest::Method::PUT,
                "/callback",
                Some(json!({"url": url, "method": "POST"}))
            )
            .await
            .0,
            204
        );
    }

    pub async fn approval_requests(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/approval_requests", None)
            .await
            .1
            .as_array()
            .unwrap()
            .clone()
    }

    /// Approves, denies or expires; returns the control API's answer.
    pub async fn decide(&self, uuid: &str, action: &str) -> Value {
        let (status, body) = self
            .control(
                reqwest::Method::POST,
                &format!("/approval_requests/{uuid}/{action}"),
                None,
            )
            .await;
        assert_eq!(status, 200, "{body}");
        body
    }

    pub async fn outbox(&self, authy_id: u64) -> Vec<Value> {
        self.control(
            reqwest::Method::GET,
            &format!("/users/{authy_id}/outbox"),
            None,
        )
        .await
        .1
        .as_array()
        .unwrap()
        .clone()
    }

    pub async fn app_token(&self, authy_id: u64) -> String {
        self.control(
            reqwest::Method::GET,
            &format!("/users/{authy_id}/app_token"),
            None,
        )
        .await
        .1["token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    pub async fn set_onetouch(&self, authy_id: u64, mode: Value) {
        assert_eq!(
            self.control(
                reqwest::Method::PUT,
                &format!("/users/{authy_id}/onetouch"),
                Some(mode)
            )
            .await
            .0,
            204
        );
    }

    pub async fn add_fault(&self, fault: Value) {
        let (status, body) = self
            .control(reqwest::Method::POST, "/faults", Some(fault))
            .await;
        assert_eq!(status, 201, "{body}");
    }

    pub async fn clear_faults(&self) {
        self.control(reqwest::Method::DELETE, "/faults", None).await;
    }

    pub async fn journal(&self) -> Vec<Value> {
        self.control(reqwest::Method::GET, "/journal", None)
            .await
            .1
            .as_array()
            .unwrap()
            .clone()
    }

    /// Journal entries for one endpoint.
    pub async fn calls(&self, endpoint: &str) -> usize {
        self.journal()
            .await
            .iter()
            .filter(|e| e["endpoint"] == endpoint)
            .count()
    }

    /// Waits until the journal holds more than `n` calls to `endpoint`; returns the count.
    pub async fn calls_after(&self, endpoint: &str, n: usize) -> usize {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let c = self.calls(endpoint).await;
            if c > n || tokio::time::Instant::now() > deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub async fn advance_clock(&self, seconds: u32) {
        self.control(
            reqwest::Method::POST,
            "/clock/advance",
            Some(json!({"seconds": seconds})),
        )
        .await;
    }
}

/// A minimal app on tower-authy, pointed at a mock, on a free loopback port.
#[derive(Debug)]
pub struct App {
    pub base: String,
    pub users: MemoryUserStore,
    pub authy: AuthyClient,
    pub callback_url: String,
}

async fn account(user: VerifiedUser) -> String {
    format!("account of {}", user.user_id)
}

/// How the app is configured beyond the defaults.
pub type Configure = Box<dyn FnOnce(TwoFactorBuilder) -> TwoFactorBuilder + Send>;

impl App {
    pub async fn start(mock_base: &str, client_timeout: Duration, configure: Configure) -> App {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let callback_url = format!("{base}/authy/callback");
        let authy = AuthyClient::builder(ApiKey::new(API_KEY))
            .base_url(mock_base)
            .timeouts(client_timeout.min(Duration::from_secs(1)), client_timeout)
            .build()
            .unwrap();
        let users = MemoryUserStore::new();
        let builder = TwoFactor::builder(authy.clone(), users.clone())
            .callback_url(&callback_url)
            .default_return_to("/account")
            .with_insecure_http_for_local_demo()
            .clock(SystemClock);
        let two_factor = configure(builder).build().unwrap();
        let app = Router::new()
            .route("/account", get(account))
            .route_layer(two_factor.layer())
            .merge(two_factor.router())
            .layer(two_factor.session_layer(MemoryStore::default()));
        tokio::spawn(async move {
            axum::serve(
                axum::serve::ListenerExt::tap_io(listener, |tcp| drop(tcp.set_nodelay(true))),
                app.into_make_service_with_connect_info::<std::net::SocketAddr>(),
            )
            .await
            .unwrap()
        });
        App {
            base,
            users,
            authy,
            callback_url,
        }
    }

    /// Registers a user with the mock and the app; returns the authy_id.
    pub async fn user(&self, email: &str, phone: &str) -> u64 {
        let id = self.authy.register_user(email, phone, "1").await.unwrap();
        self.users.insert(email, PASSWORD, Some(id));
        id
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}

/// Re-exported for suites that drive expiry with a virtual clock.
pub fn manual_clock(at: i64) -> ManualClock {
    ManualClock::new(at)
}
