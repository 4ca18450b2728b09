//! Twilio's "Two-Factor Authentication with Authy" tutorial app, rebuilt on tower-authy.
//!
//! With no configuration it runs fully offline: an embedded mock-authy plays Authy, and its
//! virtual phone page plays the user's phone. With `AUTHY_API_KEY` it talks to a real Authy.

pub mod activity;
pub mod admin;
mod db;
mod factors;
mod handlers;
pub mod keys;
pub mod metrics;
pub mod pages;
mod passkey_store;
mod provider;
mod serve;
pub mod sessions;
mod totp_store;
pub mod users;

use axum::Router;
use axum::http::header::HeaderName;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::get;
use handlers::{account, home, signup, signup_form};
use mock_authy::MockAuthy;
pub use pages::SignupForm;
pub use provider::{Provider, VerifyRemote};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tower_authy::{
    ChallengeStore, SecondFactorProvider, TwoFactor, store::MemoryChallengeStore,
    store::RedisChallengeStore, store::RedisChangeFeed,
};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::sensitive_headers::SetSensitiveHeadersLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use tower_sessions::SessionStore;
use tower_sessions_redis_store::RedisStore;
use users::SqliteUsers;

/// Where Authy is. Its `Debug` leaves out the API key.
#[derive(Clone)]
pub enum AuthyMode {
    /// An embedded mock-authy on a free loopback port (the default).
    Embedded,
    /// A real (or separately running) Authy.
    Remote {
        /// API key.
        api_key: String,
        /// Base URL, `https://api.authy.com` by default.
        api_url: String,
        /// The app's public `https://` URL, which Authy's callbacks reach.
        public_url: String,
    },
}

impl std::fmt::Debug for AuthyMode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AuthyMode::Embedded => f.write_str("Embedded"),
            AuthyMode::Remote {
                api_url,
                public_url,
                ..
            } => f
                .debug_struct("Remote")
                .field("api_key", &"[redacted]")
                .field("api_url", api_url)
                .field("public_url", public_url)
                .finish(),
        }
    }
}

/// How to run the demo. Its `Debug` leaves out the API key and the Redis URL (which can hold
/// a password).
#[derive(Clone)]
pub struct Config {
    /// Where the app listens.
    pub listen: SocketAddr,
    /// The SQLite file (`:memory:` for none).
    pub database: PathBuf,
    /// Which provider proves the second factor.
    pub provider: Provider,
    /// Where Authy is (with [`Provider::Authy`]).
    pub authy: AuthyMode,
    /// A real Verify service (with [`Provider::Verify`]); `None`: the embedded mock's.
    pub verify: Option<VerifyRemote>,
    /// 64 hex digits sealing TOTP secrets (with [`Provider::Totp`]), older keys that still open
    /// after commas; `None`: the key file beside the database (made on first start).
    pub totp_key: Option<String>,
    /// Small Argon2 parameters, for tests and benchmarks only.
    pub cheap_hashing: bool,
    /// How long a client may take to send its request headers, and a request to the demo's own
    /// pages (body included) to be answered. Default 10 s.
    pub request_timeout: Duration,
    /// A Redis URL: challenges, counters, sessions and change notifications live there, so
    /// several demo instances serve one set of users. `None`: in this process.
    pub redis: Option<String>,
    /// For local testing only: with a [`AuthyMode::Remote`] mock, let the public callback URL
    /// be plain `http://` on a loopback address.
    pub insecure_http_callback_on_loopback: bool,
    /// The origin passkeys are bound to (`https://demo.example`, or `http://localhost:<port>`);
    /// `None`: `http://localhost:<the listening port>`.
    pub passkey_origin: Option<String>,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("database", &self.database)
            .field("provider", &self.provider)
            .field("authy", &self.authy)
            .field("verify", &self.verify)
            .field("totp_key", &self.totp_key.as_ref().map(|_| "[redacted]"))
            .field("cheap_hashing", &self.cheap_hashing)
            .field("request_timeout", &self.request_timeout)
            .field("redis", &self.redis.as_ref().map(|_| "[redacted]"))
            .field(
                "insecure_http_callback_on_loopback",
                &self.insecure_http_callback_on_loopback,
            )
            .field("passkey_origin", &self.passkey_origin)
            .finish()
    }
}

/// A running demo.
#[derive(Debug)]
pub struct Demo {
    /// The app's URL.
    pub url: String,
    /// The origin passkeys work at (`http://localhost:<port>` unless configured): browsers
    /// allow WebAuthn on plain http at `localhost` only, not at `127.0.0.1`.
    pub passkey_origin: String,
    /// The embedded mock, when there is one.
    pub mock: Option<MockAuthy>,
    /// The users database.
    pub users: SqliteUsers,
    server: tokio::task::JoinHandle<()>,
}

impl Demo {
    /// The virtual phone's URL, with the embedded mock.
    pub fn phone_url(&self) -> Option<String> {
        self.mock
            .as_ref()
            .map(|m| format!("{}/__mock/phone", m.base_url()))
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.abort();
    }
}

/// Why the demo could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding an address failed.
    #[error("cannot listen: {0}")]
    Listen(#[from] std::io::Error),
    /// The database could not be opened.
    #[error("cannot open the database: {0}")]
    Database(#[from] tower_authy::store::StoreError),
    /// tower-authy rejected the configuration (the Authy client's or the second factor's).
    #[error("configuration: {0}")]
    Config(#[from] tower_authy::ConfigError),
    /// The provider could not be set up (Verify's webhook subscription).
    #[error("cannot set up the provider: {0}")]
    Provider(#[source] tower_authy::provider::ProviderError),
    /// The TOTP keys (DEMO_TOTP_KEY, or the key file beside the database) cannot be read or
    /// made.
    #[error("TOTP keys: {0}")]
    TotpKeys(#[from] keys::KeyError),
    /// The passkey origin is not one browsers allow WebAuthn on.
    #[error("passkeys: {0}")]
    Passkeys(#[from] tower_authy::provider::webauthn::RelyingPartyError),
    /// Redis could not be reached.
    #[error("cannot reach Redis: {0}")]
    Redis(#[source] tower_authy::store::StoreError),
    /// An `http://` callback URL was allowed for a host that is not loopback.
    #[error(
        "--insecure-http-callback-on-loopback allows http:// on 127.0.0.1, [::1] or localhost only"
    )]
    InsecureCallbackNotLoopback,
}

#[derive(Clone)]
struct AppState {
    two_factor: TwoFactor,
    users: SqliteUsers,
    provider: Arc<dyn SecondFactorProvider>,
    /// tower-authy's store, also counting sign-ups per phone and per address.
    limits: Arc<dyn ChallengeStore>,
    /// The `Host` values this app answers to.
    hosts: Arc<Vec<String>>,
    request_timeout: Duration,
}

/// Sign-ups per phone number per hour (each one texts or calls that phone).
const SIGNUPS_PER_PHONE: u32 = 3;
/// Sign-ups per client address per hour.
const SIGNUPS_PER_ADDRESS: u32 = 10;

/// Starts the demo: database, Authy (embedded or remote), and the app.
///
/// # Errors
/// [`StartError`] when something cannot be set up.
pub async fn start(config: Config) -> Result<Demo, StartError> {
    let users = SqliteUsers::open(&config.database, config.cheap_hashing)?;
    let listener = TcpListener::bind(config.listen).await?;
    let url = format!("http://{}", listener.local_addr()?);
    let mut hosts = vec![authority(&url)];
    if listener.local_addr()?.ip().is_loopback() {
        hosts.push(format!("localhost:{}", listener.local_addr()?.port()));
    }
    if let AuthyMode::Remote { public_url, .. } = &config.authy {
        hosts.push(authority(public_url));
    }
    if let Some(v) = &config.verify {
        hosts.push(authority(&v.public_url));
    }
    let provider::Setup {
        mock,
        provider,
        callback_url,
    } = provider::setup(&config, &url, &users).await?;
    let insecure_ok = match &mock {
        Some(_) => true,
        None if config.insecure_http_callback_on_loopback => {
            if !is_loopback_url(&callback_url) {
                return Err(StartError::InsecureCallbackNotLoopback);
            }
            tracing::warn!("INSECURE: plain http callbacks allowed on loopback, for local testing");
            true
        }
        None => false,
    };
    let pushes = provider.capabilities().push;
    let (remember_key, previous_remember_key) = users.remember_keys().await?;
    let port = listener.local_addr()?.port();
    let passkey_origin = config
        .passkey_origin
        .clone()
        .unwrap_or_else(|| format!("http://localhost:{port}"));
    let passkeys = relying_party(&passkey_origin)?;
    // The users and, beside them in SQLite, their factors.
    let mut builder = TwoFactor::builder(Arc::clone(&provider), users.clone(), users.clone())
        .push(
            "Request to log in to the Twilio demo app",
            serde_json::Map::new(),
            vec![],
        )
        .default_return_to("/account")
        // Every security event lands in the account page's "recent security activity".
        .audit(activity::Activity::new(users.clone()))
        .stylesheet("/static/app.css")
        .layout(pages::layout)
        // Recovery codes and remembered devices live beside the users too.
        .recovery_codes(users.clone())
        .remember_devices(
            tower_authy::remember::RememberDevice::default(),
            remember_key.clone(),
            users.clone(),
        )
        // After `demo admin rotate-remember-key`, devices remembered under the old key too.
        .previous_remember_keys(previous_remember_key)
        // The device cookie (a browser that logged in before keeps its own password allowance)
        // is signed with the same key, kept beside the users: every instance knows it.
        .device_cookie_key(remember_key)
        // Passkeys beside the users, and sign-in with a passkey alone.
        .passkeys(passkeys, users.clone())
        .passkey_sign_in();
    // Beside a vendor, authenticator apps of the demo's own: a user may hold both.
    if config.provider != Provider::Totp {
        builder = builder.provider(provider::totp(&config, &users)?);
    }
    // A provider without pushes sends no webhooks, so needs no callback URL.
    if pushes {
        builder = builder.callback_url(callback_url);
    }
    if insecure_ok {
        builder = builder.with_insecure_http_for_local_demo();
    }
    let state = |two_factor, limits| AppState {
        two_factor,
        users: users.clone(),
        provider: Arc::clone(&provider),
        limits,
        hosts: Arc::new(hosts.clone()),
        request_timeout: config.request_timeout,
    };
    let app = match &config.redis {
        None => {
            let limits = MemoryChallengeStore::new();
            let two_factor = builder.challenge_store(limits.clone()).build()?;
            // In the SQLite file: a restart logs nobody out.
            app(state(two_factor, Arc::new(limits)), users.sessions()?)
        }
        Some(url) => {
            let store = RedisChallengeStore::connect(url, 4)
                .await
                .map_err(StartError::Redis)?;
            let sessions = RedisStore::new(store.pool().clone());
            let feed = RedisChangeFeed::connect(url, "tower-authy:")
                .await
                .map_err(StartError::Redis)?;
            let two_factor = builder
                .challenge_store(store.clone())
                .change_feed(feed)
                .build()?;
            app(state(two_factor, Arc::new(store)), sessions)
        }
    };
    let server = tokio::spawn(serve::serve(listener, app, config.request_timeout));
    Ok(Demo {
        url,
        passkey_origin,
        mock,
        users,
        server,
    })
}

/// The relying party of `origin`: its host is the id.
fn relying_party(origin: &str) -> Result<tower_authy::provider::webauthn::Passkeys, StartError> {
    use tower_authy::provider::webauthn::{Passkeys, RelyingParty, RelyingPartyError};
    let id = url::Url::parse(origin)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .ok_or_else(|| RelyingPartyError::NotAnOrigin(origin.to_owned()))?;
    let rp = RelyingParty {
        id,
        name: "Twilio two-factor demo".into(),
        origins: vec![origin.to_owned()],
    };
    Ok(Passkeys::new(&rp)?)
}

fn app<S: SessionStore + Clone>(state: AppState, sessions: S) -> Router {
    let two_factor = state.two_factor.clone();
    let hosts = Arc::clone(&state.hosts);
    // The demo's own pages answer within the timeout, slow bodies included (tower-authy's
    // routes have their own body deadline, and the event stream must stay open).
    let own_pages = Router::new()
        .route("/account", get(account))
        .route_layer(two_factor.layer())
        .route("/", get(home))
        .route("/signup", get(signup_form).post(signup))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            state.request_timeout,
        ))
        .layer(RequestBodyLimitLayer::new(16 * 1024));
    // Static files, from the crate's `static/` folder; cacheable, unlike the pages.
    let assets = Router::new()
        .nest_service(
            "/static",
            ServeDir::new(concat!(env!("CARGO_MANIFEST_DIR"), "/static")),
        )
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("max-age=300"),
        ));
    let mut router = own_pages
        .merge(assets)
        .merge(two_factor.router())
        .with_state(state)
        .layer(two_factor.session_layer(sessions));
    // The same headers as tower-authy's own pages, on every page of the demo.
    for (name, value) in tower_authy::hardening::security_headers() {
        router = router.layer(SetResponseHeaderLayer::if_not_present(name, value));
    }
    router
        .layer(axum::middleware::from_fn(move |req, next| {
            serve::only_our_host(Arc::clone(&hosts), req, next)
        }))
        // Traced (at debug level) with cookies and keys hidden from the logs.
        .layer(TraceLayer::new_for_http())
        .layer(SetSensitiveHeadersLayer::new([
            header::COOKIE,
            header::SET_COOKIE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-authy-api-key"),
        ]))
}

/// The `Host` value browsers send for a URL: `host[:port]`, the port only when not the
/// scheme's default. Empty for a URL that does not parse (then nothing matches it).
fn authority(url: &str) -> String {
    url::Url::parse(url)
        .ok()
        .and_then(|u| {
            let host = u.host_str()?.to_owned();
            Some(u.port().map_or(host.clone(), |p| format!("{host}:{p}")))
        })
        .unwrap_or_default()
}

/// Whether `url` is `http(s)://` on 127.0.0.0/8, `[::1]` or `localhost`.
fn is_loopback_url(url: &str) -> bool {
    url::Url::parse(url).is_ok_and(|u| match u.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    })
}

/// Shared so `main` and the tests build the demo the same way.
pub fn embedded_config(listen: SocketAddr, database: PathBuf) -> Config {
    Config {
        listen,
        database,
        provider: Provider::Authy,
        authy: AuthyMode::Embedded,
        verify: None,
        totp_key: None,
        cheap_hashing: false,
        request_timeout: Duration::from_secs(10),
        redis: None,
        insecure_http_callback_on_loopback: false,
        passkey_origin: None,
    }
}
