//! [`TwoFactor`]: the configured component, built once with secure defaults and checked when
//! built, never at request time. `builder` holds the settings, `build` checks them, `error`
//! names each mistake.

mod build;
mod builder;
mod state;

pub use builder::TwoFactorBuilder;

use crate::limits::{AttemptLimits, LoginThrottle, SendLimits, StreamLimits};
use crate::provider::SecondFactorProvider;
use crate::store::{ChallengeStore, Clock, UserStore};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Everything the routes and the layer share: the stores and providers every step needs, then
/// each capability's part (recovery codes, remembered devices, enrolment, step-up, the push,
/// the event streams, the password step's defences, the responses' HTTP settings).
pub(crate) struct Shared {
    /// The first provider: enrolment without a choice uses it.
    pub(crate) client: Arc<dyn SecondFactorProvider>,
    /// Every provider, the first one first; factors name theirs.
    pub(crate) providers: Vec<Arc<dyn SecondFactorProvider>>,
    /// Where each user's factors are kept.
    pub(crate) factors: Arc<dyn crate::store::factor::FactorStore>,
    pub(crate) users: Arc<dyn UserStore>,
    /// Step-up mode: the application's login is the first factor.
    pub(crate) step_up: Option<crate::store::first_factor::StepUp>,
    /// Who must prove a second factor: the login's rule and [`TwoFactor::layer`]'s.
    pub(crate) policy: crate::policy::Policy,
    /// Where audit events go, when anywhere.
    pub(crate) audit: crate::audit::Auditor,
    /// The pages' messages, in every language.
    pub(crate) messages: crate::i18n::Messages,
    pub(crate) challenges: Arc<dyn ChallengeStore>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) prefix: String,
    pub(crate) callback_url: String,
    pub(crate) challenge_ttl: i64,
    pub(crate) limits: AttemptLimits,
    pub(crate) sends: SendLimits,
    pub(crate) nonce_window_secs: i64,
    pub(crate) default_return_to: String,
    pub(crate) stylesheet: Option<String>,
    pub(crate) layout: Option<Arc<dyn crate::layout::Layout>>,
    /// Passkeys and security keys, when they are on.
    #[cfg(feature = "webauthn")]
    pub(crate) passkeys: Option<crate::provider::webauthn::Part>,
    /// Where recovery codes are kept, when they are on.
    pub(crate) recovery: Option<Arc<dyn crate::store::recovery::RecoveryCodeStore>>,
    /// Whether users set up their own factors (enrolment and the factors page's "add").
    pub(crate) enrolment: bool,
    /// Remembered devices, when they are on.
    pub(crate) remember: Option<crate::store::remember::Remembering>,
    /// The login's push.
    pub(crate) push: Push,
    /// The waiting page's event streams.
    pub(crate) streams: Streams,
    /// The password step's defences.
    pub(crate) passwords: Passwords,
    /// What tower-authy's responses and cookies carry.
    pub(crate) http: Http,
}

/// The login's push: what it shows, and how often the provider is asked about it.
pub(crate) struct Push {
    pub(crate) message: String,
    pub(crate) details: Map<String, Value>,
    pub(crate) logos: Vec<Value>,
    /// Pushes per account are counted over this many seconds.
    pub(crate) window_secs: i64,
    /// Seconds before a waiting stream first asks the provider about its push.
    pub(crate) poll_secs: i64,
}

/// The waiting page's event streams, and what wakes them.
pub(crate) struct Streams {
    /// How often a stream re-reads the store, whatever the feed says.
    pub(crate) poll_every: Duration,
    pub(crate) limits: StreamLimits,
    /// Streams open now, per `s:<session>` and `c:<challenge>`.
    pub(crate) open: Mutex<HashMap<String, u32>>,
    /// Challenge ids whose state just changed.
    pub(crate) changes: Arc<dyn crate::store::ChangeFeed>,
    /// The challenges this instance's streams wait on.
    pub(crate) watchers: crate::watchers::Watchers,
}

/// The password step's defences.
pub(crate) struct Passwords {
    pub(crate) throttle: LoginThrottle,
    /// Trusted proxies in front, for the client address the throttle counts.
    pub(crate) forwarded_hops: usize,
    /// How long a password check takes (moving average, nanoseconds): throttled attempts wait
    /// this long, so timing does not tell them from wrong passwords.
    pub(crate) cost_ns: AtomicU64,
    /// The device cookie that exempts a user's own browsers from their account's password
    /// lockout; `None` when turned off.
    pub(crate) known_devices: Option<crate::known_device::KnownDevices>,
}

/// What tower-authy's responses and cookies carry.
pub(crate) struct Http {
    /// Cookies are `Secure` (and `__Host-`): unless plain HTTP was allowed for a local demo.
    pub(crate) secure_cookies: bool,
    pub(crate) security_headers: bool,
    /// How long a request body may take to arrive.
    pub(crate) body_timeout: Duration,
}

impl Shared {
    /// The provider called `name` (`""`: the first one); `None` for one not configured.
    pub(crate) fn provider_named(&self, name: &str) -> Option<&Arc<dyn SecondFactorProvider>> {
        if name.is_empty() {
            return Some(&self.client);
        }
        self.providers.iter().find(|p| p.name() == name)
    }

    /// Whether login can prove factor `f`: its provider is configured (for a passkey,
    /// passkeys are on).
    pub(crate) fn offers(&self, f: &crate::store::factor::Factor) -> bool {
        if f.provider == crate::store::factor::PASSKEY_PROVIDER {
            return f.kind == crate::store::factor::FactorKind::Passkey && self.passkeys_on();
        }
        self.provider_named(&f.provider).is_some()
    }

    /// Whether passkeys are on.
    pub(crate) fn passkeys_on(&self) -> bool {
        #[cfg(feature = "webauthn")]
        return self.passkeys.is_some();
        #[cfg(not(feature = "webauthn"))]
        false
    }

    /// Whether a passkey alone signs in.
    pub(crate) fn passkey_sign_in(&self) -> bool {
        #[cfg(feature = "webauthn")]
        return self.passkeys.as_ref().is_some_and(|p| p.sign_in);
        #[cfg(not(feature = "webauthn"))]
        false
    }

    /// Whether users set up their own factors.
    pub(crate) fn enrols(&self) -> bool {
        self.enrolment
    }

    /// The provider of a challenge's factor; `None` when it is no longer configured.
    pub(crate) fn provider_of(
        &self,
        c: &crate::store::Challenge,
    ) -> Option<&Arc<dyn SecondFactorProvider>> {
        self.provider_named(&c.provider)
    }

    pub(crate) fn path(&self, tail: &str) -> String {
        format!("{}{tail}", self.prefix)
    }

    /// Where a person starts (over): tower-authy's login, or in step-up mode its step-up page.
    pub(crate) fn start_path(&self) -> String {
        self.path(if self.step_up.is_some() {
            "/step-up"
        } else {
            "/login"
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
    /// Starts configuring: a provider (an [`AuthyClient`](crate::provider::authy::AuthyClient), or any
    /// [`SecondFactorProvider`]; [`provider`](TwoFactorBuilder::provider) adds more), the
    /// application's users (the first factor), and where each user's second factors are kept
    /// (often the same store: [`MemoryUserStore`](crate::store::MemoryUserStore) is both).
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// let users = tower_authy::store::MemoryUserStore::new();
    /// let two_factor = tower_authy::TwoFactor::builder(authy, users.clone(), users)
    ///     .callback_url("https://app.example/authy/callback")
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn builder(
        client: impl SecondFactorProvider,
        users: impl UserStore,
        factors: impl crate::store::factor::FactorStore,
    ) -> TwoFactorBuilder {
        TwoFactorBuilder::new(Arc::new(client), Arc::new(users), Arc::new(factors))
    }

    /// Starts configuring step-up mode, for an application that already has a login: it says
    /// who is logged in through `first_factor`, and tower-authy adds the second factor, one of
    /// the user's in `factors`. Its
    /// own login routes are not mounted; the guard sends a request with nobody logged in to
    /// `login_url` (a local path, given `return_to`), and a logged-in user without a second
    /// factor in this session to the step-up page (`GET`/`POST <prefix>/step-up`), which sends
    /// the push. Logging out of the application ends the second factor with it.
    ///
    /// ```
    /// # use tower_authy::{step_up::FirstFactor, store::StoreError, UserRecord};
    /// # struct AppLogin;
    /// # #[async_trait::async_trait]
    /// # impl FirstFactor for AppLogin {
    /// #     async fn current_user(&self, _: &http::request::Parts) -> Result<Option<UserRecord>, StoreError> { Ok(None) }
    /// # }
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// let factors = tower_authy::store::MemoryUserStore::new();
    /// let two_factor = tower_authy::TwoFactor::step_up(authy, AppLogin, factors, "/login")
    ///     .callback_url("https://app.example/authy/callback")
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn step_up(
        client: impl SecondFactorProvider,
        first_factor: impl crate::store::first_factor::FirstFactor,
        factors: impl crate::store::factor::FactorStore,
        login_url: &str,
    ) -> TwoFactorBuilder {
        let mut builder = TwoFactorBuilder::new(
            Arc::new(client),
            Arc::new(crate::store::first_factor::NoPasswords),
            Arc::new(factors),
        );
        builder.step_up = Some(crate::store::first_factor::StepUp {
            first_factor: Arc::new(first_factor),
            login_url: login_url.to_owned(),
        });
        builder
    }

    /// The path prefix the routes live under.
    pub fn prefix(&self) -> &str {
        &self.shared.prefix
    }

    /// This session's CSRF token, for the application's own forms (a logout button, a sign-up
    /// form): submit it as the `csrf_token` field.
    ///
    /// # Errors
    /// [`StoreError`](crate::store::StoreError) when the session store fails.
    pub async fn csrf_token(
        &self,
        session: &tower_sessions::Session,
    ) -> Result<String, crate::store::StoreError> {
        crate::session::csrf_token(session).await
    }

    /// Whether `given` is this session's CSRF token (compared in constant time).
    ///
    /// # Errors
    /// [`StoreError`](crate::store::StoreError) when the session store fails.
    pub async fn csrf_matches(
        &self,
        session: &tower_sessions::Session,
        given: Option<&str>,
    ) -> Result<bool, crate::store::StoreError> {
        crate::session::csrf_ok(session, given).await
    }

    /// A session layer over `store` with this crate's cookie policy: `HttpOnly`,
    /// `SameSite=Lax` (the login redirect must carry the cookie), `Secure` unless the insecure
    /// local-demo opt-out was chosen, and sessions that end with the browser. A `Secure`
    /// cookie is named `__Host-tower_authy_session`: browsers then accept it only from this
    /// origin over https, for the whole site, so no sibling subdomain can plant or overwrite
    /// it (session fixation).
    pub fn session_layer<St: tower_sessions::SessionStore + Clone>(
        &self,
        store: St,
    ) -> tower_sessions::SessionManagerLayer<St> {
        let name = if self.shared.http.secure_cookies {
            "__Host-tower_authy_session"
        } else {
            "tower_authy_session"
        };
        tower_sessions::SessionManagerLayer::new(store)
            .with_name(name)
            .with_path("/")
            .with_http_only(true)
            .with_same_site(tower_sessions::cookie::SameSite::Lax)
            .with_secure(self.shared.http.secure_cookies)
    }
}
