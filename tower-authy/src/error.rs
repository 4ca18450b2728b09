//! [`ConfigError`]: one variant per configuration mistake.

/// A configuration mistake, reported by [`TwoFactorBuilder::build`](crate::TwoFactorBuilder::build).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A catalogue given to `TwoFactorBuilder::messages` is not usable.
    #[error("messages: {0}")]
    Messages(#[from] crate::i18n::MessagesError),
    /// Two providers have the same name: factors name their provider by it.
    #[error("two providers are called {0:?}: give the builder one of each")]
    DuplicateProvider(&'static str),
    /// The path prefix must look like `/authy`: a leading slash, no trailing slash, no `?` or `#`.
    #[error("the path prefix {0:?} must start with '/', not end with '/', and hold no '?' or '#'")]
    Prefix(String),
    /// No challenge store was given, and the `memory-store` feature (the default one) is off.
    #[error("a challenge store is required (the memory-store feature is off)")]
    MissingChallengeStore,
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
    /// The application's login URL for step-up mode must be a local path.
    #[error("the application's login URL must be a local path such as /login, not {0:?}")]
    StepUpLoginUrl(String),
    /// [`RememberDevice`](crate::remember::RememberDevice) out of range.
    #[error("devices are remembered for 1 to 365 days, 1 to 100 per user")]
    RememberDevice,
    /// A TOTP provider setting is out of range.
    #[error("TOTP provider: {0}")]
    InvalidTotp(&'static str),
    /// A Verify provider setting has the wrong shape.
    #[error("Verify provider: {0}")]
    InvalidVerify(&'static str),
    /// Passkey sign-in needs passkeys turned on and tower-authy's own login (not step-up).
    #[error(
        "passkey sign-in needs passkeys turned on and tower-authy's own login (not step-up mode)"
    )]
    PasskeySignIn,
}
