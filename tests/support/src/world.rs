//! A real app on tower-authy, a real mock Authy (in process, on a virtual clock), all on
//! loopback.

use crate::provider::ProviderKind;
use crate::{Browser, PASSWORD, Server, WAIT, app_router};
use mock_authy::{CallbackMethod, MockAuthy};
use std::collections::HashMap;
use std::sync::atomic::AtomicUsize;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tower_authy::audit::{AuditEvent, AuditSink};
use tower_authy::{
    FactorStore, SecondFactorProvider, TwoFactor, TwoFactorBuilder, UserStore, factors::Factor,
    provider::totp::TotpProvider, store::ManualClock, store::MemoryChallengeStore,
    store::MemoryUserStore,
};
use tower_sessions::MemoryStore;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

/// The virtual clocks' start, Unix seconds.
pub const T0: i64 = 1_750_000_000;

/// A session store that keeps a copy of everything saved, so tests can read what is stored:
/// in memory, or over another store (Redis).
#[derive(Debug, Clone)]
pub struct RecordingStore {
    inner: Arc<dyn SessionStore>,
    /// Every record saved, as JSON.
    pub saved: Arc<Mutex<Vec<String>>>,
}

impl Default for RecordingStore {
    fn default() -> Self {
        RecordingStore::over(MemoryStore::default())
    }
}

impl RecordingStore {
    /// Records what is saved in `inner`.
    pub fn over(inner: impl SessionStore) -> Self {
        RecordingStore {
            inner: Arc::new(inner),
            saved: Arc::default(),
        }
    }
}

#[async_trait::async_trait]
impl SessionStore for RecordingStore {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.saved
            .lock()
            .unwrap()
            .push(serde_json::to_string(&record.data).unwrap());
        self.inner.create(record).await
    }
    async fn save(&self, record: &Record) -> session_store::Result<()> {
        self.saved
            .lock()
            .unwrap()
            .push(serde_json::to_string(&record.data).unwrap());
        self.inner.save(record).await
    }
    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        self.inner.load(id).await
    }
    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.inner.delete(id).await
    }
}

/// An audit sink that keeps every event, for tests to read.
#[derive(Debug, Clone, Default)]
pub struct AuditLog(Arc<Mutex<Vec<AuditEvent>>>);

impl AuditSink for AuditLog {
    fn record(&self, event: &AuditEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

impl AuditLog {
    /// Every event so far, oldest first.
    pub fn events(&self) -> Vec<AuditEvent> {
        self.0.lock().unwrap().clone()
    }

    /// The events' kinds as their JSON names (`password_accepted`, ...), oldest first, and
    /// forgets them.
    pub fn take_names(&self) -> Vec<String> {
        let taken = std::mem::take(&mut *self.0.lock().unwrap());
        taken
            .iter()
            .map(|e| {
                serde_json::to_value(&e.kind).unwrap()["event"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect()
    }
}

/// An app on tower-authy and the in-process mock it talks to.
#[derive(Debug)]
pub struct World {
    /// The app's sessions.
    pub sessions: RecordingStore,
    /// The mock.
    pub mock: MockAuthy,
    /// The app's base URL.
    pub base: String,
    /// The app's users (unless [`Options::users`] replaced them).
    pub users: MemoryUserStore,
    /// The app's clock.
    pub clock: ManualClock,
    /// Where the mock sends OneTouch callbacks.
    pub callback_url: String,
    /// Which provider the app uses.
    pub provider: ProviderKind,
    /// The app's provider, for registering users.
    pub(crate) second_factor: Arc<dyn SecondFactorProvider>,
    /// The TOTP provider, when that is the one.
    pub totp: Option<TotpProvider>,
    /// Code checks that reached the provider.
    pub(crate) checks: Arc<AtomicUsize>,
    /// Each subject's phone in E.164, as registered.
    pub(crate) phones: Mutex<HashMap<u64, String>>,
    /// Every audit event the app emitted.
    pub audit: AuditLog,
}

/// How a [`World`] differs from the default.
#[allow(missing_debug_implementations)]
pub struct Options {
    /// Builder settings on top of the defaults.
    pub configure: Box<dyn FnOnce(TwoFactorBuilder) -> TwoFactorBuilder + Send>,
    /// Another user store.
    pub users: Option<Arc<dyn UserStore>>,
    /// Another factor store (default: [`World::users`]).
    pub factors: Option<Arc<dyn FactorStore>>,
    /// The Authy client's total timeout.
    pub client_timeout: Duration,
    /// How the mock sends callbacks.
    pub callback_method: CallbackMethod,
    /// Sessions that outlive this app (a restart keeps them in a shared store).
    pub sessions: Option<RecordingStore>,
    /// Which provider the app uses.
    pub provider: ProviderKind,
    /// Users without a second factor enrol (else `TwoFactorBuilder::without_enrolment`).
    pub enrolment: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            configure: Box::new(|b| b),
            users: None,
            factors: None,
            client_timeout: Duration::from_secs(2),
            callback_method: CallbackMethod::Post,
            sessions: None,
            provider: ProviderKind::Authy,
            enrolment: false,
        }
    }
}

impl World {
    /// A world with the default options.
    pub async fn start() -> World {
        World::start_with(Options::default()).await
    }

    /// A world with the default options on `provider`.
    pub async fn on(provider: ProviderKind) -> World {
        World::start_with(Options {
            provider,
            ..Options::default()
        })
        .await
    }

    /// A world whose app is built with `configure` on top of the defaults.
    pub async fn configured(
        configure: impl FnOnce(TwoFactorBuilder) -> TwoFactorBuilder + Send + 'static,
    ) -> World {
        World::start_with(Options {
            configure: Box::new(configure),
            ..Options::default()
        })
        .await
    }

    /// A world with `opts`.
    pub async fn start_with(opts: Options) -> World {
        let mock = MockAuthy::builder()
            .seed(21)
            .frozen_clock(T0)
            .start()
            .await
            .unwrap();
        let server = Server::bind().await;
        let callback_url = format!("{}/authy/callback", server.base);
        mock.set_callback(Some((callback_url.clone(), opts.callback_method)));

        let clock = ManualClock::new(T0);
        let (client, checks, totp) = crate::provider::provider(
            opts.provider,
            mock.base_url(),
            mock.api_key(),
            opts.client_timeout,
            clock.clone(),
            &callback_url,
        )
        .await;
        let users = MemoryUserStore::new();
        let factors = opts
            .factors
            .unwrap_or_else(|| Arc::new(users.clone()) as Arc<dyn FactorStore>);
        let builder = match opts.users {
            Some(custom) => TwoFactor::builder(Arc::clone(&client), custom, factors),
            None => TwoFactor::builder(Arc::clone(&client), users.clone(), factors),
        };
        let builder = if opts.enrolment {
            builder
        } else {
            builder.without_enrolment()
        };
        let audit = AuditLog::default();
        let two_factor = (opts.configure)(
            builder
                .audit(audit.clone())
                .callback_url(&callback_url)
                .clock(clock.clone())
                .challenge_store(MemoryChallengeStore::new())
                .default_return_to("/account")
                .with_insecure_http_for_local_demo(),
        )
        .build()
        .unwrap();
        let sessions = opts.sessions.unwrap_or_default();
        let base = server.serve(app_router(&two_factor, sessions.clone()));
        World {
            sessions,
            mock,
            base,
            users,
            clock,
            callback_url,
            provider: opts.provider,
            second_factor: client,
            totp,
            checks,
            phones: Mutex::default(),
            audit,
        }
    }

    /// Registers a user (country code 1) with the provider and the app; their subject.
    pub async fn user(&self, email: &str, phone: &str) -> u64 {
        let subject = self
            .second_factor
            .register(email, phone, "1")
            .await
            .unwrap();
        // A Verify user has proved their phone and set up their authenticator app too (the
        // enrolment tests do both through the pages).
        if self.provider == ProviderKind::Verify {
            let entity = format!("ta-{subject:016x}");
            let proved = serde_json::json!({ "phone": format!("+1{phone}") });
            self.mock.set_verify_totp_metadata(&entity, &proved);
            self.mock.verify_totp_factors(&entity);
        }
        self.phones
            .lock()
            .unwrap()
            .insert(subject, format!("+1{phone}"));
        let factor = Factor::of(self.second_factor.as_ref(), subject, 0);
        self.users.insert(email, PASSWORD, [factor]);
        subject
    }

    /// The factor the world's provider knows as `subject`, as a user store holds it.
    pub fn factor(&self, subject: u64) -> Factor {
        Factor::of(self.second_factor.as_ref(), subject, 0)
    }

    /// A fresh browser for the app.
    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// Advances the app's and the mock's clocks together.
    pub fn advance(&self, secs: i64) {
        self.clock.advance(secs);
        self.mock.advance_clock(Duration::from_secs(secs as u64));
    }

    /// How many token checks reached the mock.
    pub fn verify_calls(&self) -> usize {
        self.mock
            .journal()
            .iter()
            .filter(|e| e.endpoint == "verify")
            .count()
    }
}

/// Reads a server-sent event stream until `needle` shows up; fails after [`WAIT`].
pub async fn read_events_until(events: &mut reqwest::Response, needle: &str) {
    let mut seen = String::new();
    while !seen.contains(needle) {
        let chunk = tokio::time::timeout(WAIT, events.chunk())
            .await
            .unwrap_or_else(|_| panic!("no {needle:?} within {WAIT:?}; saw {seen:?}"))
            .unwrap()
            .expect("stream open");
        seen.push_str(&String::from_utf8_lossy(&chunk));
    }
}
