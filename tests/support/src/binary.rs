//! The mock-authy **binary** started as a user's CI would start it, driven through its typed
//! control client, and an app on tower-authy pointed at it.

use crate::ProviderKind;
use crate::{Browser, PASSWORD, Server, WAIT, app_router};
use mock_authy::{ControlClient, Endpoint};
use std::ops::Deref;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::AtomicUsize;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};
use tower_authy::{
    SecondFactorProvider, TwoFactor, TwoFactorBuilder, store::MemoryUserStore, store::SystemClock,
};
use tower_sessions::MemoryStore;

/// The API key the binary is started with.
pub const API_KEY: &str = "e2e-api-key";

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

/// A running mock-authy process on a free loopback port, killed on drop. Derefs to its
/// [`ControlClient`].
#[derive(Debug)]
pub struct MockProcess {
    _child: Child,
    /// The mock's base URL.
    pub base: String,
    control: ControlClient,
}

impl Deref for MockProcess {
    type Target = ControlClient;
    fn deref(&self) -> &ControlClient {
        &self.control
    }
}

impl MockProcess {
    /// Starts the binary (seed 5, key [`API_KEY`]) and waits for its address.
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
        let control = ControlClient::new(&base).unwrap();
        MockProcess {
            _child: child,
            base,
            control,
        }
    }

    /// Waits until the journal holds more than `n` calls to `endpoint`; returns the count
    /// (`n` or fewer after [`WAIT`]).
    pub async fn calls_after(&self, endpoint: Endpoint, n: usize) -> usize {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let c = self.calls(endpoint).await.unwrap();
            if c > n || tokio::time::Instant::now() > deadline {
                return c;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The uuid of the newest approval request.
    pub async fn newest_uuid(&self) -> Option<String> {
        let requests = self.approval_requests().await.unwrap();
        requests.last().map(|a| a.uuid.clone())
    }
}

/// A minimal app on tower-authy, pointed at a mock, on a free loopback port.
#[derive(Debug)]
pub struct App {
    /// The app's base URL.
    pub base: String,
    /// Its users.
    pub users: MemoryUserStore,
    /// Which provider it uses.
    pub provider: ProviderKind,
    /// The provider, for registering users.
    pub second_factor: Arc<dyn SecondFactorProvider>,
    /// The TOTP provider, when that is the one.
    pub totp: Option<tower_authy::provider::totp::TotpProvider>,
    /// Code checks that reached the provider.
    pub checks: Arc<AtomicUsize>,
    /// Where the mock should send callbacks.
    pub callback_url: String,
    /// The mock's control API.
    control: ControlClient,
}

/// How the app is configured beyond the defaults.
pub type Configure = Box<dyn FnOnce(TwoFactorBuilder) -> TwoFactorBuilder + Send>;

impl App {
    /// Starts the app against the mock at `mock_base` (key [`API_KEY`]), on the system clock.
    pub async fn start(mock_base: &str, client_timeout: Duration, configure: Configure) -> App {
        App::start_with_users(mock_base, client_timeout, MemoryUserStore::new(), configure).await
    }

    /// As [`App::start`], with `users` (which `configure` may also hand to the builder).
    pub async fn start_with_users(
        mock_base: &str,
        client_timeout: Duration,
        users: MemoryUserStore,
        configure: Configure,
    ) -> App {
        App::on(
            ProviderKind::Authy,
            mock_base,
            client_timeout,
            users,
            SystemClock,
            configure,
        )
        .await
    }

    /// As [`App::start_with_users`], on `provider`.
    pub async fn on(
        provider: ProviderKind,
        mock_base: &str,
        client_timeout: Duration,
        users: MemoryUserStore,
        clock: impl tower_authy::store::Clock + Clone,
        configure: Configure,
    ) -> App {
        let server = Server::bind().await;
        let callback_url = format!("{}/authy/callback", server.base);
        let (second_factor, checks, totp) = crate::provider::provider(
            provider,
            mock_base,
            API_KEY,
            client_timeout,
            clock,
            &callback_url,
        )
        .await;
        let builder = TwoFactor::builder(Arc::clone(&second_factor), users.clone(), users.clone())
            .callback_url(&callback_url)
            .default_return_to("/account")
            .with_insecure_http_for_local_demo()
            .clock(SystemClock);
        let two_factor = configure(builder).build().unwrap();
        let base = server.serve(app_router(&two_factor, MemoryStore::default()));
        App {
            base,
            users,
            provider,
            second_factor,
            totp,
            checks,
            callback_url,
            control: ControlClient::new(mock_base).unwrap(),
        }
    }

    /// Registers a user with the provider and the app; returns the subject.
    pub async fn user(&self, email: &str, phone: &str) -> u64 {
        let id = self
            .second_factor
            .register(email, phone, "1")
            .await
            .unwrap();
        // A Verify user has proved their phone and set up their authenticator app too.
        if self.provider == ProviderKind::Verify {
            let entity = format!("ta-{id:016x}");
            let proved = serde_json::json!({ "phone": format!("+1{phone}") });
            self.control
                .set_verify_totp_metadata(&entity, &proved)
                .await
                .unwrap();
            self.control.verify_totp_factors(&entity).await.unwrap();
        }
        let factor = tower_authy::factors::Factor::of(self.second_factor.as_ref(), id, 0);
        self.users.insert(email, PASSWORD, [factor]);
        id
    }

    /// Code checks that reached the provider so far.
    pub fn code_checks(&self) -> usize {
        self.checks.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// A fresh browser for the app.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }
}
