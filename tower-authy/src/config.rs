//! [`TwoFactor`]: the configured component, built once with secure defaults and checked when
//! built, never at request time.

use crate::client::AuthyClient;
use crate::limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
use crate::store::{ChallengeStore, Clock, MemoryChallengeStore, SystemClock, UserStore};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::broadcast;

/// A configuration mistake, reported by [`TwoFactorBuilder::build`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The path prefix must look like `/authy`: a leading slash, no trailing slash, no `?` or `#`.
    #[error("the path prefix {0:?} must start with '/', not end with '/', and hold no '?' or '#'")]
    Prefix(String),
    /// No callback URL was given; Authy's signature covers it, so it must be known exactly.
    #[error("a callback URL is required (the public URL Authy posts OneTouch callbacks to)")]
    MissingCallbackUrl,
    /// The callback URL is not `https://…` (or `http://…` with the insecure opt-out), or its path
    /// is not the prefix followed by `/callback`.
    #[error("the callback URL {url:?} must be https:// and end with the path {expected_path:?}")]
    CallbackUrl {
        /// What was given.
        url: String,
        /// The path the callback route is mounted at.
        expected_path: String,
    },
    /// Pending approvals expire within 30 s to 10 minutes.
    #[error("the challenge lifetime must be between 30 s and 600 s")]
    ChallengeTtl,
    /// Attempt limits must be 1 to 100 (at most 100 per account, NIST SP 800-63B), with a
    /// lockout of 1 s to 1 day.
    #[error("attempt limits must be between 1 and 100, and the lockout between 1 s and 1 day")]
    AttemptLimits,
    /// Send limits must be 1 to 100.
    #[error("push, SMS and call limits must be between 1 and 100")]
    SendLimits,
    /// `default_return_to` must be a same-origin path such as `/account`.
    #[error("the default return path {0:?} must be a same-origin path such as /account")]
    DefaultReturnTo(String),
    /// A callback's nonce may be 1 s to 1 hour from now.
    #[error("the callback freshness window must be between 1 s and 3600 s")]
    CallbackFreshness,
    /// The event stream re-reads the store every 100 ms to 60 s.
    #[error("the status poll interval must be between 100 ms and 60 s")]
    StatusPollInterval,
    /// The Authy base URL must be an absolute `http(s)://host[:port][/path]` URL without query
    /// or fragment.
    #[error("the Authy base URL {0:?} must be an absolute http(s) URL without query or fragment")]
    BaseUrl(String),
    /// The Authy client's timeouts must be 100 ms to 60 s, the connect one no longer than the
    /// total.
    #[error("the Authy client's timeouts must be 100 ms to 60 s, connect no longer than total")]
    ClientTimeouts,
    /// The HTTP client could not be built (TLS set-up failed).
    #[error("the HTTP client could not be built")]
    HttpClient,
    /// The push message must be 1 to 200 characters.
    #[error("the push message must be 1 to 200 characters")]
    PushMessage,
    /// The password throttle allows 1 to 100 failures per account, 1 to 10,000 per address,
    /// and locks for 1 s to 1 day.
    #[error(
        "the login throttle must allow 1-100 failures per account, 1-10000 per address, and lock for 1 s to 1 day"
    )]
    LoginThrottle,
    /// Event streams are capped at 1 to 100 per session and per login.
    #[error("event stream limits must be between 1 and 100")]
    StreamLimits,
    /// Authy is asked about a pending push every 1 s to 60 s.
    #[error("the Authy status poll interval must be between 1 s and 60 s")]
    AuthyPollInterval,
    /// Request bodies must arrive within 1 s to 60 s.
    #[error("the request body timeout must be between 1 s and 60 s")]
    BodyTimeout,
}

/// Everything the routes and the layer share.
pub(crate) struct Shared {
    pub(crate) client: AuthyClient,
    pub(crate) users: Arc<dyn UserStore>,
    pub(crate) challenges: Arc<dyn ChallengeStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) prefix: String,
    pub(crate) callback_url: String,
    pub(crate) challenge_ttl: i64,
    pub(crate) limits: AttemptLimits,
    pub(crate) sends: SendLimits,
    pub(crate) push_window_secs: i64,
    pub(crate) nonce_window_secs: i64,
    pub(crate) push_message: String,
    pub(crate) push_details: Map<String, Value>,
    pub(crate) push_logos: Vec<Value>,
    pub(crate) default_return_to: String,
    pub(crate) stylesheet: Option<String>,
    pub(crate) secure_cookies: bool,
    pub(crate) status_poll_every: Duration,
    pub(crate) authy_poll_secs: i64,
    pub(crate) login_throttle: LoginThrottle,
    pub(crate) forwarded_hops: usize,
    pub(crate) stream_limits: StreamLimits,
    pub(crate) security_headers: bool,
    pub(crate) body_timeout: Duration,
    /// How long a password check takes (moving average, nanoseconds): throttled attempts wait
    /// this long, so timing does not tell them from wrong passwords.
    pub(crate) password_cost_ns: AtomicU64,
    /// Event streams open now, per `s:<session>` and `c:<challenge>`.
    pub(crate) open_streams: Mutex<HashMap<String, u32>>,
    /// Challenge ids whose state just changed, for the server-sent events.
    pub(crate) changes: broadcast::Sender<String>,
}

impl Shared {
    pub(crate) fn path(&self, tail: &str) -> String {
        format!("{}{tail}", self.prefix)
    }
}

/// Builds a [`TwoFactor`]. See the crate docs for a complete example.
#[must_use]
pub struct TwoFactorBuilder {
    client: AuthyClient,
    users: Arc<dyn UserStore>,
    challenges: Arc<dyn ChallengeStore>,
    clock: Arc<dyn Clock>,
    prefix: String,
    callback_url: Option<String>,
    challenge_ttl: Duration,
    limits: AttemptLimits,
    sends: SendLimits,
    nonce_window: Duration,
    push_message: String,
    push_details: Map<String, Value>,
    push_logos: Vec<Value>,
    default_return_to: String,
    stylesheet: Option<String>,
    insecure_http: bool,
    status_poll_every: Duration,
    authy_poll_every: Duration,
    login_throttle: LoginThrottle,
    forwarded_hops: usize,
    stream_limits: StreamLimits,
    security_headers: bool,
    body_timeout: Duration,
}

impl std::fmt::Debug for TwoFactorBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactorBuilder")
            .field("prefix", &self.prefix)
            .field("callback_url", &self.callback_url)
            .finish_non_exhaustive()
    }
}

impl TwoFactorBuilder {
    pub(crate) fn new(client: AuthyClient, users: Arc<dyn UserStore>) -> Self {
        TwoFactorBuilder {
            client,
            users,
            challenges: Arc::new(MemoryChallengeStore::new()),
            clock: Arc::new(SystemClock),
            prefix: "/authy".to_owned(),
            callback_url: None,
            challenge_ttl: Duration::from_secs(300),
            limits: AttemptLimits::default(),
            sends: SendLimits::default(),
            nonce_window: Duration::from_secs(300),
            push_message: "Log in request".to_owned(),
            push_details: Map::new(),
            push_logos: Vec::new(),
            default_return_to: "/".to_owned(),
            stylesheet: None,
            insecure_http: false,
            status_poll_every: Duration::from_secs(1),
            authy_poll_every: Duration::from_secs(3),
            login_throttle: LoginThrottle::default(),
            forwarded_hops: 0,
            stream_limits: StreamLimits::default(),
            security_headers: true,
            body_timeout: Duration::from_secs(10),
        }
    }

    /// Where the routes are mounted. Default `/authy`.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.prefix("/2fa").callback_url("https://app.example/2fa/callback");
    /// # builder.build().unwrap();
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The public URL Authy posts callbacks to, exactly as configured in the Authy console
    /// (its path must be the prefix followed by `/callback`). Signatures are checked against
    /// this URL, never against the request's `Host` or `X-Forwarded-*` headers.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.callback_url("https://app.example/authy/callback");
    /// # builder.build().unwrap();
    /// ```
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Shares challenges, counters and nonces between instances. Default: in memory.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.challenge_store(tower_authy::MemoryChallengeStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn challenge_store(mut self, store: impl ChallengeStore) -> Self {
        self.challenges = Arc::new(store);
        self
    }

    /// The clock (tests use a [`ManualClock`](crate::ManualClock)). Default: the system clock.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let clock = tower_authy::ManualClock::new(1_700_000_000);
    /// let builder = builder.clock(clock.clone());
    /// # builder.build().unwrap();
    /// ```
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long a login may wait for its second factor; also sent as `seconds_to_expire`.
    /// Default 5 minutes; 30 s to 10 minutes.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.challenge_ttl(std::time::Duration::from_secs(120));
    /// # builder.build().unwrap();
    /// ```
    pub fn challenge_ttl(mut self, ttl: Duration) -> Self {
        self.challenge_ttl = ttl;
        self
    }

    /// Limits on wrong codes: per login, per account before it locks, and how long the lock
    /// lasts (see [`AttemptLimits`] for the defaults).
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// use tower_authy::AttemptLimits;
    /// let builder = builder.attempt_limits(AttemptLimits { per_account: 5, ..AttemptLimits::default() });
    /// # builder.build().unwrap();
    /// ```
    pub fn attempt_limits(mut self, limits: AttemptLimits) -> Self {
        self.limits = limits;
        self
    }

    /// Limits on pushes, SMS and calls (see [`SendLimits`]).
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// use tower_authy::SendLimits;
    /// let builder = builder.send_limits(SendLimits { per_hour: 5, ..SendLimits::default() });
    /// # builder.build().unwrap();
    /// ```
    pub fn send_limits(mut self, limits: SendLimits) -> Self {
        self.sends = limits;
        self
    }

    /// How far a callback's nonce (a Unix time) may be from now. Default 300 s.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.callback_freshness(std::time::Duration::from_secs(120));
    /// # builder.build().unwrap();
    /// ```
    pub fn callback_freshness(mut self, window: Duration) -> Self {
        self.nonce_window = window;
        self
    }

    /// The push: message, extra details shown on the phone, and logos (`{"res", "url"}`).
    /// The login and a matching code are always added to the details.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let mut details = serde_json::Map::new();
    /// details.insert("Site".into(), "app.example".into());
    /// let builder = builder.push("Log in to app.example?", details, vec![]);
    /// # builder.build().unwrap();
    /// ```
    pub fn push(
        mut self,
        message: impl Into<String>,
        details: Map<String, Value>,
        logos: Vec<Value>,
    ) -> Self {
        self.push_message = message.into();
        self.push_details = details;
        self.push_logos = logos;
        self
    }

    /// Where to go after login when no (safe) `return_to` was given. Default `/`.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.default_return_to("/account");
    /// # builder.build().unwrap();
    /// ```
    pub fn default_return_to(mut self, path: impl Into<String>) -> Self {
        self.default_return_to = path.into();
        self
    }

    /// A stylesheet URL for the built-in pages.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.stylesheet("/static/app.css");
    /// # builder.build().unwrap();
    /// ```
    pub fn stylesheet(mut self, href: impl Into<String>) -> Self {
        self.stylesheet = Some(href.into());
        self
    }

    /// How often a waiting browser's event stream re-reads the challenge store, for callbacks
    /// that land on another instance. Default 1 s.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.status_poll_every(std::time::Duration::from_millis(500));
    /// # builder.build().unwrap();
    /// ```
    pub fn status_poll_every(mut self, every: Duration) -> Self {
        self.status_poll_every = every;
        self
    }

    /// The first-factor throttle (on by default; see [`LoginThrottle`] for the figures).
    ///
    /// ```
    /// # use tower_authy::{ApiKey, AuthyClient, LoginThrottle, MemoryUserStore, TwoFactor};
    /// # use std::time::Duration;
    /// # let authy = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
    /// let two_factor = TwoFactor::builder(authy, MemoryUserStore::new())
    ///     .callback_url("https://app.example/authy/callback")
    ///     .login_throttle(LoginThrottle { per_account: 3, lockout: Duration::from_secs(3600), ..LoginThrottle::default() })
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn login_throttle(mut self, throttle: LoginThrottle) -> Self {
        self.login_throttle = throttle;
        self
    }

    /// Takes the client address for the per-address throttle from `X-Forwarded-For`, behind
    /// exactly `trusted_proxies` proxies that each append the address they saw (the usual load
    /// balancer is 1). Default 0: the connection's peer address (`axum::extract::ConnectInfo`),
    /// and `X-Forwarded-For` is ignored, since anyone can send it. Without `ConnectInfo` and
    /// without this setting there is no address, and only the per-account throttle applies.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// // One load balancer in front, which appends the address it saw.
    /// let builder = builder.client_address_from_forwarded_for(1);
    /// # builder.build().unwrap();
    /// ```
    pub fn client_address_from_forwarded_for(mut self, trusted_proxies: usize) -> Self {
        self.forwarded_hops = trusted_proxies;
        self
    }

    /// How often a pending push's status is read from Authy when no callback has settled it
    /// (a lost callback). One read per login per interval, shared by every event stream of that
    /// login, on every instance that shares the challenge store. Default 3 s; 1 s to 60 s.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.authy_poll_every(std::time::Duration::from_secs(5));
    /// # builder.build().unwrap();
    /// ```
    pub fn authy_poll_every(mut self, every: Duration) -> Self {
        self.authy_poll_every = every;
        self
    }

    /// Caps on concurrent event streams (see [`StreamLimits`]).
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.event_streams(tower_authy::StreamLimits { per_session: 2, per_challenge: 2 });
    /// # builder.build().unwrap();
    /// ```
    pub fn event_streams(mut self, limits: StreamLimits) -> Self {
        self.stream_limits = limits;
        self
    }

    /// How long a request body may take to arrive (whole body, not per read). Slower requests
    /// get `408`; a declared body over 64 KiB gets `413` before it is read. Default 10 s.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.body_timeout(std::time::Duration::from_secs(5));
    /// # builder.build().unwrap();
    /// ```
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// Leaves out the security headers tower-authy adds to its own responses
    /// (`Cache-Control: no-store`, `X-Frame-Options: DENY`,
    /// `Content-Security-Policy: frame-ancestors 'none'`, `X-Content-Type-Options: nosniff`,
    /// `Referrer-Policy: no-referrer`), for applications that set their own on every response.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// // The application sets its own headers on every response.
    /// let builder = builder.without_security_headers();
    /// # builder.build().unwrap();
    /// ```
    pub fn without_security_headers(mut self) -> Self {
        self.security_headers = false;
        self
    }

    /// **For plain-http local demos only**: accepts an `http://` callback URL and makes
    /// [`TwoFactor::session_layer`] issue cookies without `Secure`.
    ///
    /// ```
    /// # let authy = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder
    ///     .callback_url("http://127.0.0.1:3000/authy/callback")
    ///     .with_insecure_http_for_local_demo();
    /// # builder.build().unwrap();
    /// ```
    pub fn with_insecure_http_for_local_demo(mut self) -> Self {
        self.insecure_http = true;
        self
    }

    /// Checks the configuration and builds.
    ///
    /// # Errors
    /// [`ConfigError`] for the first mistake found.
    pub fn build(self) -> Result<TwoFactor, ConfigError> {
        let p = &self.prefix;
        if !p.starts_with('/') || p.len() < 2 || p.ends_with('/') || p.contains(['?', '#', ' ']) {
            return Err(ConfigError::Prefix(p.clone()));
        }
        let url = self.callback_url.ok_or(ConfigError::MissingCallbackUrl)?;
        let expected_path = format!("{p}/callback");
        let callback_ok = url::Url::parse(&url).is_ok_and(|u| {
            let scheme_ok = u.scheme() == "https" || (self.insecure_http && u.scheme() == "http");
            scheme_ok
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
                && u.path() == expected_path
                // The URL is signed as written: it must already be in canonical form.
                && u.as_str().trim_end_matches('/') == url.trim_end_matches('/')
        });
        if !callback_ok {
            return Err(ConfigError::CallbackUrl { url, expected_path });
        }
        if !(30..=600).contains(&self.challenge_ttl.as_secs()) {
            return Err(ConfigError::ChallengeTtl);
        }
        let l = &self.limits;
        if !(1..=100).contains(&l.per_challenge)
            || !(1..=100).contains(&l.per_account)
            || !(1..=86_400).contains(&l.lockout_secs)
        {
            return Err(ConfigError::AttemptLimits);
        }
        let sl = &self.sends;
        if ![sl.pushes_per_10_minutes, sl.per_login, sl.per_hour]
            .iter()
            .all(|n| (1..=100).contains(n))
        {
            return Err(ConfigError::SendLimits);
        }
        if self.push_message.trim().is_empty() || self.push_message.chars().count() > 200 {
            return Err(ConfigError::PushMessage);
        }
        if crate::session::safe_return_to(&self.default_return_to).is_none() {
            return Err(ConfigError::DefaultReturnTo(self.default_return_to));
        }
        if !(1..=3600).contains(&self.nonce_window.as_secs()) {
            return Err(ConfigError::CallbackFreshness);
        }
        let poll = self.status_poll_every;
        if poll < Duration::from_millis(100) || poll > Duration::from_secs(60) {
            return Err(ConfigError::StatusPollInterval);
        }
        let t = &self.login_throttle;
        if !(1..=100).contains(&t.per_account)
            || !(1..=10_000).contains(&t.per_address)
            || !(1..=86_400).contains(&t.lockout.as_secs())
        {
            return Err(ConfigError::LoginThrottle);
        }
        let st = &self.stream_limits;
        if !(1..=100).contains(&st.per_session) || !(1..=100).contains(&st.per_challenge) {
            return Err(ConfigError::StreamLimits);
        }
        if !(1..=60).contains(&self.authy_poll_every.as_secs()) {
            return Err(ConfigError::AuthyPollInterval);
        }
        if !(1..=60).contains(&self.body_timeout.as_secs()) {
            return Err(ConfigError::BodyTimeout);
        }
        let (changes, _) = broadcast::channel(1024);
        Ok(TwoFactor {
            shared: Arc::new(Shared {
                client: self.client,
                users: self.users,
                challenges: self.challenges,
                clock: self.clock,
                callback_url: url,
                prefix: self.prefix,
                challenge_ttl: i64::try_from(self.challenge_ttl.as_secs()).unwrap_or(600),
                limits: self.limits,
                sends: self.sends,
                push_window_secs: 600,
                nonce_window_secs: i64::try_from(self.nonce_window.as_secs()).unwrap_or(300),
                push_message: self.push_message,
                push_details: self.push_details,
                push_logos: self.push_logos,
                default_return_to: self.default_return_to,
                stylesheet: self.stylesheet,
                secure_cookies: !self.insecure_http,
                status_poll_every: self.status_poll_every,
                authy_poll_secs: i64::try_from(self.authy_poll_every.as_secs()).unwrap_or(3),
                login_throttle: self.login_throttle,
                forwarded_hops: self.forwarded_hops,
                stream_limits: self.stream_limits,
                security_headers: self.security_headers,
                body_timeout: self.body_timeout,
                password_cost_ns: AtomicU64::new(0),
                open_streams: Mutex::new(HashMap::new()),
                changes,
            }),
        })
    }
}

/// The configured second factor: a [`router`](Self::router) with the login, callback, status,
/// token, SMS, confirm and logout routes, and a [`layer`](Self::layer) that guards your routes.
#[derive(Clone)]
pub struct TwoFactor {
    pub(crate) shared: Arc<Shared>,
}

impl std::fmt::Debug for TwoFactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TwoFactor")
            .field("prefix", &self.shared.prefix)
            .field("callback_url", &self.shared.callback_url)
            .finish_non_exhaustive()
    }
}

impl TwoFactor {
    /// Starts configuring: an Authy client and the application's users.
    pub fn builder(client: AuthyClient, users: impl UserStore) -> TwoFactorBuilder {
        TwoFactorBuilder::new(client, Arc::new(users))
    }

    /// The path prefix the routes live under.
    pub fn prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// This session's CSRF token, for the application's own forms (a logout button, a sign-up
    /// form): submit it as the `csrf_token` field.
    ///
    /// # Errors
    /// [`StoreError`](crate::StoreError) when the session store fails.
    pub async fn csrf_token(
        &self,
        session: &tower_sessions::Session,
    ) -> Result<String, crate::StoreError> {
        crate::session::csrf_token(session).await
    }

    /// Whether `given` is this session's CSRF token (compared in constant time).
    ///
    /// # Errors
    /// [`StoreError`](crate::StoreError) when the session store fails.
    pub async fn csrf_matches(
        &self,
        session: &tower_sessions::Session,
        given: Option<&str>,
    ) -> Result<bool, crate::StoreError> {
        crate::session::csrf_ok(session, given).await
    }

    /// A session layer over `store` with this crate's cookie policy: `HttpOnly`,
    /// `SameSite=Lax` (the login redirect must carry the cookie), `Secure` unless the insecure
    /// local-demo opt-out was chosen, and sessions that end with the browser.
    pub fn session_layer<St: tower_sessions::SessionStore + Clone>(
        &self,
        store: St,
    ) -> tower_sessions::SessionManagerLayer<St> {
        tower_sessions::SessionManagerLayer::new(store)
            .with_name("tower_authy_session")
            .with_http_only(true)
            .with_same_site(tower_sessions::cookie::SameSite::Lax)
            .with_secure(self.shared.secure_cookies)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ApiKey, MemoryUserStore};

    fn builder() -> TwoFactorBuilder {
        let client = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
        TwoFactor::builder(client, MemoryUserStore::new())
            .callback_url("https://app.example/authy/callback")
    }

    #[test]
    fn secure_defaults_build() {
        let tf = builder().build().unwrap();
        assert!(tf.shared.secure_cookies);
        assert_eq!(tf.shared.challenge_ttl, 300);
        assert!(tf.shared.limits.per_account <= 100);
    }

    #[test]
    fn mistakes_are_reported_when_building() {
        let err = |b: TwoFactorBuilder| b.build().unwrap_err();
        for bad in ["authy", "/", "/authy/", "/a?b", "/a b"] {
            assert_eq!(
                err(builder().prefix(bad)),
                ConfigError::Prefix(bad.into()),
                "{bad}"
            );
        }
        let client = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
        assert_eq!(
            err(TwoFactor::builder(client, MemoryUserStore::new())),
            ConfigError::MissingCallbackUrl
        );
        for url in [
            "http://app.example/authy/callback",
            "https://app.example/other/callback",
            "https://app.example/authy/callback/",
            "app.example/authy/callback",
            "https://app.example/authy/callback?x=1",
            "https://user:pw@app.example/authy/callback",
            "https:///authy/callback",
            "https://app.example/authy/../authy/callback",
        ] {
            assert!(
                matches!(
                    err(builder().callback_url(url)),
                    ConfigError::CallbackUrl { .. }
                ),
                "{url}"
            );
        }
        assert!(
            builder()
                .callback_url("http://127.0.0.1:3000/authy/callback")
                .with_insecure_http_for_local_demo()
                .build()
                .is_ok()
        );
        assert_eq!(
            err(builder().challenge_ttl(Duration::from_secs(601))),
            ConfigError::ChallengeTtl
        );
        assert_eq!(
            err(builder().challenge_ttl(Duration::from_secs(5))),
            ConfigError::ChallengeTtl
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                per_account: 101,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                per_challenge: 0,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().send_limits(SendLimits {
                pushes_per_10_minutes: 0,
                ..SendLimits::default()
            })),
            ConfigError::SendLimits
        );
        assert_eq!(
            err(builder().push("", Map::new(), vec![])),
            ConfigError::PushMessage
        );
        assert_eq!(
            err(builder().push("x".repeat(201), Map::new(), vec![])),
            ConfigError::PushMessage
        );
    }

    #[test]
    fn new_limits_are_checked_when_building() {
        let err = |b: TwoFactorBuilder| b.build().unwrap_err();
        let throttle = LoginThrottle::default();
        for bad in [
            LoginThrottle {
                per_account: 0,
                ..throttle
            },
            LoginThrottle {
                per_account: 101,
                ..throttle
            },
            LoginThrottle {
                per_address: 0,
                ..throttle
            },
            LoginThrottle {
                lockout: Duration::ZERO,
                ..throttle
            },
            LoginThrottle {
                lockout: Duration::from_secs(86_401),
                ..throttle
            },
        ] {
            assert_eq!(
                err(builder().login_throttle(bad)),
                ConfigError::LoginThrottle,
                "{bad:?}"
            );
        }
        assert_eq!(
            err(builder().event_streams(StreamLimits {
                per_session: 0,
                per_challenge: 4
            })),
            ConfigError::StreamLimits
        );
        assert_eq!(
            err(builder().authy_poll_every(Duration::from_millis(500))),
            ConfigError::AuthyPollInterval
        );
        assert_eq!(
            err(builder().body_timeout(Duration::from_secs(61))),
            ConfigError::BodyTimeout
        );
        assert_eq!(
            err(builder().attempt_limits(AttemptLimits {
                lockout_secs: 0,
                ..AttemptLimits::default()
            })),
            ConfigError::AttemptLimits
        );
        for unsafe_path in ["https://evil.example/", "//evil.example", "account", ""] {
            assert_eq!(
                err(builder().default_return_to(unsafe_path)),
                ConfigError::DefaultReturnTo(unsafe_path.into())
            );
        }
        for window in [Duration::ZERO, Duration::from_secs(3601)] {
            assert_eq!(
                err(builder().callback_freshness(window)),
                ConfigError::CallbackFreshness
            );
        }
        for every in [Duration::ZERO, Duration::from_secs(61)] {
            assert_eq!(
                err(builder().status_poll_every(every)),
                ConfigError::StatusPollInterval
            );
        }
        let tf = builder().build().unwrap();
        assert_eq!(tf.shared.login_throttle, LoginThrottle::default());
        assert!(
            tf.shared.security_headers,
            "security headers are on by default"
        );
        assert_eq!(
            tf.shared.forwarded_hops, 0,
            "X-Forwarded-For is not trusted by default"
        );
    }

    #[test]
    fn insecure_opt_out_drops_secure_cookies_only_when_asked() {
        let tf = builder()
            .with_insecure_http_for_local_demo()
            .build()
            .unwrap();
        assert!(!tf.shared.secure_cookies);
    }
}
