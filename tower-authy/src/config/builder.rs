//! [`TwoFactorBuilder`]: the settings, each with a safe default and a doc example.

use crate::limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
use crate::provider::SecondFactorProvider;
use crate::store::{ChallengeStore, Clock, SystemClock, UserStore};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// Builds a [`TwoFactor`](crate::TwoFactor). See the crate docs for a complete example.
#[must_use]
pub struct TwoFactorBuilder {
    pub(super) client: Arc<dyn SecondFactorProvider>,
    pub(super) more_providers: Vec<Arc<dyn SecondFactorProvider>>,
    pub(super) factors: Arc<dyn crate::store::factor::FactorStore>,
    pub(super) users: Arc<dyn UserStore>,
    pub(super) step_up: Option<crate::store::first_factor::StepUp>,
    pub(super) policy: crate::policy::Policy,
    pub(super) audit: Option<Arc<dyn crate::audit::AuditSink>>,
    /// The application's messages (language, Fluent source), over the shipped ones.
    pub(super) messages: Vec<(String, String)>,
    pub(super) choose_language: Option<crate::i18n::Chooser>,
    pub(super) challenges: Option<Arc<dyn ChallengeStore>>,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) prefix: String,
    pub(super) callback_url: Option<String>,
    pub(super) challenge_ttl: Duration,
    pub(super) limits: AttemptLimits,
    pub(super) sends: SendLimits,
    pub(super) nonce_window: Duration,
    pub(super) push_message: String,
    pub(super) push_details: Map<String, Value>,
    pub(super) push_logos: Vec<Value>,
    pub(super) default_return_to: String,
    pub(super) stylesheet: Option<String>,
    pub(super) layout: Option<Arc<dyn crate::layout::Layout>>,
    pub(super) changes: Option<Arc<dyn crate::store::ChangeFeed>>,
    pub(super) recovery: Option<Arc<dyn crate::store::recovery::RecoveryCodeStore>>,
    pub(super) enrolment: bool,
    pub(super) remember: Option<crate::store::remember::Remembering>,
    /// Older keys of `remember`, set apart so the order of the builder calls does not matter.
    pub(super) remember_previous: Vec<crate::store::remember::RememberKey>,
    pub(super) known_devices: Option<crate::known_device::KnownDevices>,
    pub(super) insecure_http: bool,
    pub(super) status_poll_every: Duration,
    pub(super) authy_poll_every: Duration,
    pub(super) login_throttle: LoginThrottle,
    pub(super) forwarded_hops: usize,
    pub(super) stream_limits: StreamLimits,
    pub(super) security_headers: bool,
    pub(super) body_timeout: Duration,
    #[cfg(feature = "webauthn")]
    pub(super) passkeys: Option<crate::provider::webauthn::Part>,
    #[cfg(feature = "webauthn")]
    pub(super) passkey_sign_in: bool,
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
    pub(crate) fn new(
        client: Arc<dyn SecondFactorProvider>,
        users: Arc<dyn UserStore>,
        factors: Arc<dyn crate::store::factor::FactorStore>,
    ) -> Self {
        TwoFactorBuilder {
            client,
            more_providers: Vec::new(),
            factors,
            users,
            step_up: None,
            policy: crate::policy::Policy::required(),
            audit: None,
            messages: Vec::new(),
            choose_language: None,
            #[cfg(feature = "memory-store")]
            challenges: Some(Arc::new(crate::store::MemoryChallengeStore::new())),
            #[cfg(not(feature = "memory-store"))]
            challenges: None,
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
            layout: None,
            changes: None,
            recovery: None,
            enrolment: true,
            remember: None,
            remember_previous: Vec::new(),
            known_devices: Some(crate::known_device::KnownDevices {
                key: crate::store::remember::RememberKey::random(),
                days: 180,
            }),
            insecure_http: false,
            status_poll_every: Duration::from_secs(5),
            authy_poll_every: Duration::from_secs(3),
            login_throttle: LoginThrottle::default(),
            forwarded_hops: 0,
            stream_limits: StreamLimits::default(),
            security_headers: true,
            body_timeout: Duration::from_secs(10),
            #[cfg(feature = "webauthn")]
            passkeys: None,
            #[cfg(feature = "webauthn")]
            passkey_sign_in: false,
        }
    }

    /// Adds another provider: a user may then hold factors of each (an Authy push and a
    /// self-hosted authenticator app, say), and enrolment offers each. Names
    /// ([`SecondFactorProvider::name`]) must differ.
    ///
    /// ```
    /// use tower_authy::{provider::totp::MemoryTotpSecretStore, store::MemoryUserStore, provider::totp::TotpKey, provider::totp::TotpProvider, TwoFactor};
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// let totp = TotpProvider::builder(TotpKey::from_bytes([7; 32]), MemoryTotpSecretStore::new())
    ///     .build()
    ///     .unwrap();
    /// let users = MemoryUserStore::new();
    /// let two_factor = TwoFactor::builder(authy, users.clone(), users)
    ///     .callback_url("https://app.example/authy/callback")
    ///     .provider(totp)
    ///     .build()
    ///     .unwrap();
    /// # let _ = two_factor;
    /// ```
    pub fn provider(mut self, provider: impl SecondFactorProvider) -> Self {
        self.more_providers.push(Arc::new(provider));
        self
    }

    /// Which users must prove a second factor (default: everyone, [`Policy::required`]):
    /// decides what a login does for a user without a factor, and what
    /// [`TwoFactor::layer`](crate::TwoFactor::layer) lets through. See [`Policy`].
    ///
    /// ```
    /// use tower_authy::guard::Policy;
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.policy(Policy::if_enrolled());
    /// # builder.build().unwrap();
    /// ```
    ///
    /// [`Policy`]: crate::guard::Policy
    /// [`Policy::required`]: crate::guard::Policy::required
    pub fn policy(mut self, policy: crate::policy::Policy) -> Self {
        self.policy = policy;
        self
    }

    /// Hands every audit event (password accepted or refused, second factor proved, factor
    /// added, ...) to `sink`. Default: none. See [`crate::audit`].
    pub fn audit(mut self, sink: impl crate::audit::AuditSink) -> Self {
        self.audit = Some(Arc::new(sink));
        self
    }

    /// Adds messages for `language` (a tag such as `de` or `pt-BR`), in Fluent syntax: a new
    /// language, or other wording for a shipped one (each message given replaces the shipped
    /// message of the same id; see `tower-authy/locales/en.ftl` for the ids). Messages a new
    /// language leaves out are shown in English. Checked at [`build`](Self::build).
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.messages("en", "login-title = Sign in to Example");
    /// # builder.build().unwrap();
    /// ```
    pub fn messages(mut self, language: &str, fluent: impl Into<String>) -> Self {
        self.messages.push((language.to_owned(), fluent.into()));
        self
    }

    /// Lets the application choose a request's language (a user's setting, a cookie) from its
    /// headers; `None`, or a language with no messages, leaves the choice to
    /// `Accept-Language`. Default: `Accept-Language` alone.
    pub fn choose_language(
        mut self,
        choose: impl Fn(&http::HeaderMap) -> Option<String> + Send + Sync + 'static,
    ) -> Self {
        self.choose_language = Some(Arc::new(choose));
        self
    }

    /// Where the routes are mounted. Default `/authy`.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.callback_url("https://app.example/authy/callback");
    /// # builder.build().unwrap();
    /// ```
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// The clock (tests use a [`ManualClock`](crate::store::ManualClock)). Default: the system clock.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let clock = tower_authy::store::ManualClock::new(1_700_000_000);
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// use tower_authy::limits::AttemptLimits;
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// use tower_authy::limits::SendLimits;
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.default_return_to("/account");
    /// # builder.build().unwrap();
    /// ```
    pub fn default_return_to(mut self, path: impl Into<String>) -> Self {
        self.default_return_to = path.into();
        self
    }

    /// Wraps the built-in pages in the application's own page (header, navigation, footer):
    /// see [`Layout`](crate::layout::Layout) for an example.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.layout(|page: tower_authy::layout::PageParts<'_>| {
    ///     format!("<!doctype html>{}<nav>My app</nav>{}", page.head_html(), page.content_html())
    /// });
    /// # builder.build().unwrap();
    /// ```
    pub fn layout(mut self, layout: impl crate::layout::Layout) -> Self {
        self.layout = Some(Arc::new(layout));
        self
    }

    /// A stylesheet URL for the built-in pages, linked after tower-authy's own. It must be on
    /// the same origin: the pages' Content-Security-Policy allows `style-src 'self'` only.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.stylesheet("/static/app.css");
    /// # builder.build().unwrap();
    /// ```
    pub fn stylesheet(mut self, href: impl Into<String>) -> Self {
        self.stylesheet = Some(href.into());
        self
    }

    /// How often a waiting browser's event stream re-reads the challenge store in any case.
    /// Changes reach the stream at once through the [`ChangeFeed`](crate::store::ChangeFeed); this
    /// re-read is the safety net should an announcement be lost (a Redis reconnect). Default
    /// 5 s; 100 ms to 60 s.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # use tower_authy::{secret::ApiKey, provider::authy::AuthyClient, limits::LoginThrottle, store::MemoryUserStore, TwoFactor};
    /// # use std::time::Duration;
    /// # let authy = AuthyClient::builder(ApiKey::new("k")).build().unwrap();
    /// let two_factor = TwoFactor::builder(authy, MemoryUserStore::new(), MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// (a lost callback): first after this long, then twice as long after each read, up to once
    /// a minute, so a crowd of long-waiting browsers costs Authy little. At most one read per
    /// login per interval, shared by every event stream of that login, on every instance that
    /// shares the challenge store. Default 3 s; 1 s to 60 s.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.event_streams(tower_authy::limits::StreamLimits { per_session: 2, per_challenge: 2 });
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
    /// [`TwoFactor::session_layer`](crate::TwoFactor::session_layer) issue cookies without `Secure`.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
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
}
