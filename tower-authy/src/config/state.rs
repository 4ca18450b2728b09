//! The builder's settings for where shared state lives: the challenge store, the change feed,
//! the recovery codes and the remembered devices. With several instances, all must be shared (for example Redis).

use super::TwoFactorBuilder;
use crate::{ChallengeStore, store::ChangeFeed};
use std::sync::Arc;

impl TwoFactorBuilder {
    /// Shares challenges, counters and nonces between instances. Default: in memory.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.challenge_store(tower_authy::store::MemoryChallengeStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn challenge_store(mut self, store: impl ChallengeStore) -> Self {
        self.challenges = Some(Arc::new(store));
        self
    }

    /// Carries "this challenge changed" to the waiting browsers' streams: on every instance
    /// with a shared feed such as `RedisChangeFeed` (`redis` feature). Default: this
    /// instance only ([`LocalChangeFeed`](crate::store::LocalChangeFeed)).
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.change_feed(tower_authy::store::LocalChangeFeed::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn change_feed(mut self, feed: impl ChangeFeed) -> Self {
        self.changes = Some(Arc::new(feed));
        self
    }

    /// Turns on recovery codes, kept (as hashes) in `store`: a verified user generates ten
    /// single-use codes at `{prefix}/recovery-codes` (shown once; generating again replaces
    /// them), and each is accepted once in place of a token on the code form, under the same
    /// attempt limits. Default: off. With several instances, the store must be shared.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let builder = builder.recovery_codes(tower_authy::recovery::MemoryRecoveryCodeStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn recovery_codes(mut self, store: impl crate::store::recovery::RecoveryCodeStore) -> Self {
        self.recovery = Some(Arc::new(store));
        self
    }

    /// Turns on "remember this device": a login form box (off unless ticked) that, once both
    /// factors are proved, gives the browser a signed HttpOnly cookie; for `settings.days` the
    /// password alone then logs that user in from that browser. The cookie is signed with
    /// `key` (the same on every instance), bound to the user and their
    /// [`credential_epoch`](crate::UserRecord::credential_epoch), and counts only while
    /// `store` lists the device: users see and forget theirs at `{prefix}/devices`, and only
    /// the newest `settings.per_user` are kept. Default: off.
    ///
    /// ```
    /// use tower_authy::{remember::MemoryDeviceStore, remember::RememberDevice, remember::RememberKey};
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let key = RememberKey::from_bytes([42; 32]); // from your configuration, never from code
    /// let builder = builder.remember_devices(RememberDevice::default(), key, MemoryDeviceStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn remember_devices(
        mut self,
        settings: crate::store::remember::RememberDevice,
        key: crate::store::remember::RememberKey,
        store: impl crate::store::remember::DeviceStore,
    ) -> Self {
        self.remember = Some(crate::store::remember::Remembering {
            settings,
            key,
            previous: Vec::new(),
            store: Arc::new(store),
        });
        self
    }

    /// Rotates the key of [`remember_devices`](Self::remember_devices): cookies signed with
    /// one of these older keys still count, and a browser that logs in with one gets it signed
    /// again with the current key (same device, same day of expiry). Keep an old key here as
    /// long as the devices it signed may still be remembered (their `days`), then drop it.
    ///
    /// ```
    /// use tower_authy::remember::{MemoryDeviceStore, RememberDevice, RememberKey};
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let (new, old) = (RememberKey::from_bytes([43; 32]), RememberKey::from_bytes([42; 32]));
    /// let builder = builder
    ///     .remember_devices(RememberDevice::default(), new, MemoryDeviceStore::new())
    ///     .previous_remember_keys([old]);
    /// # builder.build().unwrap();
    /// ```
    pub fn previous_remember_keys(
        mut self,
        keys: impl IntoIterator<Item = crate::store::remember::RememberKey>,
    ) -> Self {
        self.remember_previous = keys.into_iter().collect();
        self
    }

    /// Signs the device cookie with `key`, the same on every instance. On by default with a
    /// random key per instance (a browser known to one instance is then unknown to the others,
    /// which only means the usual limits there).
    ///
    /// The device cookie is OWASP's defence against lockout by strangers: after a login
    /// completed with both factors, the browser gets a signed `HttpOnly`, `SameSite=Strict`
    /// cookie for 180 days, bound to the login name. Password attempts for that login name from
    /// that browser count against the browser alone, with the per-account limit of
    /// [`LoginThrottle`](crate::limits::LoginThrottle), so somebody guessing the password elsewhere
    /// (which throttles the login name and their address) cannot lock the owner out. The cookie
    /// never skips a factor; unknown browsers keep the usual limits.
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let key = tower_authy::remember::RememberKey::from_bytes([7; 32]); // from configuration
    /// let builder = builder.device_cookie_key(key);
    /// # builder.build().unwrap();
    /// ```
    pub fn device_cookie_key(mut self, key: crate::store::remember::RememberKey) -> Self {
        self.known_devices = Some(crate::known_device::KnownDevices { key, days: 180 });
        self
    }

    /// Turns the device cookie off (see [`device_cookie_key`](Self::device_cookie_key)):
    /// every password attempt counts per login name and per address. It is also off in
    /// step-up mode, where the application's own login takes passwords.
    pub fn without_device_cookie(mut self) -> Self {
        self.known_devices = None;
        self
    }

    /// Turns enrolment off: users do not set up their own second factor (the application
    /// registers factors itself, with [`factors::adopt`](crate::factors::adopt) say). A user
    /// without one whom the policy requires is then refused with a page saying so, and the
    /// factors page lists, renames and removes factors but adds none. Default: on (a user
    /// without a factor who passes the first is sent to `{prefix}/enrol`, where they register
    /// with a provider and prove it with a code before the factor is written).
    ///
    /// ```
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// let users = tower_authy::store::MemoryUserStore::new();
    /// let two_factor = tower_authy::TwoFactor::builder(authy, users.clone(), users)
    ///     .callback_url("https://app.example/authy/callback")
    ///     .without_enrolment()
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn without_enrolment(mut self) -> Self {
        self.enrolment = false;
        self
    }
}

#[cfg(feature = "webauthn")]
impl TwoFactorBuilder {
    /// Turns on passkeys and security keys (WebAuthn) as second factors: a user adds one from
    /// the factors page (or at enrolment), and a login offers it first. Credentials are kept
    /// in `store` (shared between instances, as the challenge store must be); the ceremonies'
    /// state waits in the challenge store, taken once. Default: off.
    ///
    /// ```
    /// use tower_authy::provider::webauthn::{MemoryPasskeyStore, Passkeys, RelyingParty};
    /// # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
    /// # let builder = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
    /// #     .callback_url("https://app.example/authy/callback");
    /// let rp = RelyingParty {
    ///     id: "app.example".into(),
    ///     name: "Example".into(),
    ///     origins: vec!["https://app.example".into()],
    /// };
    /// let builder = builder.passkeys(Passkeys::new(&rp).unwrap(), MemoryPasskeyStore::new());
    /// # builder.build().unwrap();
    /// ```
    pub fn passkeys(
        mut self,
        passkeys: crate::provider::webauthn::Passkeys,
        store: impl crate::provider::webauthn::PasskeyStore,
    ) -> Self {
        self.passkeys = Some(crate::provider::webauthn::Part {
            ceremonies: passkeys,
            store: Arc::new(store),
            sign_in: false,
        });
        self
    }

    /// Lets a passkey stand for both factors: the login page offers "Sign in with a passkey",
    /// which asks the browser for a discoverable credential with user verification (the
    /// person unlocks it with a PIN or biometrics) and logs its owner in without a password.
    /// Passkeys registered while this is on are asked to be discoverable. Needs
    /// [`passkeys`](Self::passkeys) and tower-authy's own login (not step-up mode). Default:
    /// off.
    pub fn passkey_sign_in(mut self) -> Self {
        self.passkey_sign_in = true;
        self
    }
}
