//! [`TwoFactor`]: the configured component, built once with secure defaults and checked when
//! built, never at request time.

use crate::client::AuthyClient;
use crate::store::{
    AttemptLimits, ChallengeStore, Clock, MemoryChallengeStore, SystemClock, UserStore,
};
use serde_json::{Map, Value};
use std::sync::Arc;
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
    /// Attempt limits must be at least 1, and at most 100 per account (NIST SP 800-63B).
    #[error("attempt limits must be between 1 and 100")]
    AttemptLimits,
    /// The push message must be 1 to 200 characters.
    #[error("the push message must be 1 to 200 characters")]
    PushMessage,
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
    pub(crate) pushes_per_window: u32,
    pub(crate) sends_per_challenge: u32,
    pub(crate) sends_per_hour: u32,
    pub(crate) push_window_secs: i64,
    pub(crate) nonce_window_secs: i64,
    pub(crate) push_message: String,
    pub(crate) push_details: Map<String, Value>,
    pub(crate) push_logos: Vec<Value>,
    pub(crate) default_return_to: String,
    pub(crate) stylesheet: Option<String>,
    pub(crate) secure_cookies: bool,
    pub(crate) status_poll_every: Duration,
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
    pushes_per_window: u32,
    sends_per_challenge: u32,
    sends_per_hour: u32,
    nonce_window: Duration,
    push_message: String,
    push_details: Map<String, Value>,
    push_logos: Vec<Value>,
    default_return_to: String,
    stylesheet: Option<String>,
    insecure_http: bool,
    status_poll_every: Duration,
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
            limits: AttemptLimits {
                per_challenge: 5,
                per_account: 10,
                lockout_secs: 900,
            },
            pushes_per_window: 5,
            sends_per_challenge: 3,
            sends_per_hour: 10,
            nonce_window: Duration::from_secs(300),
            push_message: "Log in request".to_owned(),
            push_details: Map::new(),
            push_logos: Vec::new(),
            default_return_to: "/".to_owned(),
            stylesheet: None,
            insecure_http: false,
            status_poll_every: Duration::from_secs(1),
        }
    }

    /// Where the routes are mounted. Default `/authy`.
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The public URL Authy posts callbacks to, exactly as configured in the Authy console
    /// (its path must be the prefix followed by `/callback`). Signatures are checked against
    /// this URL, never against the request's `Host` or `X-Forwarded-*` headers.
    pub fn callback_url(mut self, url: impl Into<String>) -> Self {
        self.callback_url = Some(url.into());
        self
    }

    /// Shares challenges, counters and nonces between instances. Default: in memory.
    pub fn challenge_store(mut self, store: impl ChallengeStore) -> Self {
        self.challenges = Arc::new(store);
        self
    }

    /// The clock (tests use a [`ManualClock`](crate::ManualClock)). Default: the system clock.
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// How long a login may wait for its second factor; also sent as `seconds_to_expire`.
    /// Default 5 minutes; 30 s to 10 minutes.
    pub fn challenge_ttl(mut self, ttl: Duration) -> Self {
        self.challenge_ttl = ttl;
        self
    }

    /// Token attempts per login (default 5), consecutive failures per account before it locks
    /// (default 10, at most 100), and how long the lock lasts (default 15 minutes).
    pub fn attempt_limits(
        mut self,
        per_challenge: u32,
        per_account: u32,
        lockout: Duration,
    ) -> Self {
        self.limits = AttemptLimits {
            per_challenge,
            per_account,
            lockout_secs: i64::try_from(lockout.as_secs()).unwrap_or(i64::MAX),
        };
        self
    }

    /// Pushes per account per 10 minutes (default 5; past it, logins fall back to a token),
    /// SMS or calls per login (default 3) and per account per hour (default 10).
    pub fn send_limits(
        mut self,
        pushes_per_10_minutes: u32,
        sends_per_login: u32,
        sends_per_hour: u32,
    ) -> Self {
        self.pushes_per_window = pushes_per_10_minutes;
        self.sends_per_challenge = sends_per_login;
        self.sends_per_hour = sends_per_hour;
        self
    }

    /// How far a callback's nonce (a Unix time) may be from now. Default 300 s.
    pub fn callback_freshness(mut self, window: Duration) -> Self {
        self.nonce_window = window;
        self
    }

    /// The push: message, extra details shown on the phone, and logos (`{"res", "url"}`).
    /// The login and a matching code are always added to the details.
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
    pub fn default_return_to(mut self, path: impl Into<String>) -> Self {
        self.default_return_to = path.into();
        self
    }

    /// A stylesheet URL for the built-in pages.
    pub fn stylesheet(mut self, href: impl Into<String>) -> Self {
        self.stylesheet = Some(href.into());
        self
    }

    /// How often a waiting browser's event stream re-reads the challenge store, for callbacks
    /// that land on another instance. Default 1 s.
    pub fn status_poll_every(mut self, every: Duration) -> Self {
        self.status_poll_every = every;
        self
    }

    /// **For plain-http local demos only**: accepts an `http://` callback URL and makes
    /// [`TwoFactor::session_layer`] issue cookies without `Secure`.
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
        let scheme_ok =
            url.starts_with("https://") || (self.insecure_http && url.starts_with("http://"));
        let path = url
            .split_once("://")
            .and_then(|(_, rest)| rest.find('/').map(|i| &rest[i..]));
        if !scheme_ok || path != Some(expected_path.as_str()) {
            return Err(ConfigError::CallbackUrl { url, expected_path });
        }
        if !(30..=600).contains(&self.challenge_ttl.as_secs()) {
            return Err(ConfigError::ChallengeTtl);
        }
        let l = &self.limits;
        let limits_ok = [
            l.per_challenge,
            l.per_account,
            self.pushes_per_window,
            self.sends_per_challenge,
            self.sends_per_hour,
        ]
        .iter()
        .all(|n| (1..=100).contains(n))
            && l.lockout_secs > 0;
        if !limits_ok {
            return Err(ConfigError::AttemptLimits);
        }
        if self.push_message.trim().is_empty() || self.push_message.chars().count() > 200 {
            return Err(ConfigError::PushMessage);
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
                pushes_per_window: self.pushes_per_window,
                sends_per_challenge: self.sends_per_challenge,
                sends_per_hour: self.sends_per_hour,
                push_window_secs: 600,
                nonce_window_secs: i64::try_from(self.nonce_window.as_secs()).unwrap_or(300),
                push_message: self.push_message,
                push_details: self.push_details,
                push_logos: self.push_logos,
                default_return_to: self.default_return_to,
                stylesheet: self.stylesheet,
                secure_cookies: !self.insecure_http,
                status_poll_every: self.status_poll_every,
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
            err(builder().attempt_limits(5, 101, Duration::from_secs(60))),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().attempt_limits(0, 10, Duration::from_secs(60))),
            ConfigError::AttemptLimits
        );
        assert_eq!(
            err(builder().send_limits(0, 3, 10)),
            ConfigError::AttemptLimits
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
    fn insecure_opt_out_drops_secure_cookies_only_when_asked() {
        let tf = builder()
            .with_insecure_http_for_local_demo()
            .build()
            .unwrap();
        assert!(!tf.shared.secure_cookies);
    }
}
