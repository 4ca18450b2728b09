//! A self-hosted TOTP provider: no vendor, no network. Each subject has its own random secret,
//! sealed under a key from configuration and kept by the application ([`TotpSecretStore`]);
//! users add it to any authenticator app from the enrolment QR code.
//!
//! A code counts once: the store records the time step it belonged to, and refuses that step
//! and every earlier one afterwards (RFC 6238 section 5.2), on every instance that shares the
//! store.
//!
//! The key rotates: [`TotpProviderBuilder::previous_keys`] names the keys secrets were sealed
//! under before; those secrets still open, and each is sealed again under the current key when
//! next used (or all at once with [`TotpProvider::reseal`]), after which the old key can go.

mod rfc6238;
mod seal;
mod store;

pub use rfc6238::TotpAlgorithm;
pub use seal::TotpKey;
#[cfg(feature = "memory-store")]
pub use store::MemoryTotpSecretStore;
pub use store::TotpSecretStore;

use super::{Capabilities, SecondFactorProvider};
use crate::error::ConfigError;
use crate::provider::ProviderError;
use crate::secret::Token;
use crate::store::{Clock, SystemClock};
use async_trait::async_trait;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Bytes of a new secret: 160 bits, as RFC 4226 recommends.
const SECRET_LEN: usize = 20;

/// The self-hosted TOTP provider. Cheap to clone.
///
/// ```
/// use tower_authy::{provider::totp::MemoryTotpSecretStore, provider::totp::TotpKey, provider::totp::TotpProvider};
/// let provider = TotpProvider::builder(TotpKey::from_bytes([7; 32]), MemoryTotpSecretStore::new())
///     .issuer("Example")
///     .build()
///     .unwrap();
/// # let _ = provider;
/// ```
#[derive(Clone)]
pub struct TotpProvider {
    store: Arc<dyn TotpSecretStore>,
    key: TotpKey,
    /// Keys secrets were sealed under before `key`: they open, never seal.
    previous: Vec<TotpKey>,
    clock: Arc<dyn Clock>,
    issuer: String,
    algorithm: TotpAlgorithm,
    digits: u32,
    step: u64,
    skew: u64,
}

impl std::fmt::Debug for TotpProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TotpProvider")
            .field("issuer", &self.issuer)
            .field("key", &self.key)
            .field("previous_keys", &self.previous.len())
            .field("digits", &self.digits)
            .field("step", &self.step)
            .field("skew", &self.skew)
            .finish_non_exhaustive()
    }
}

/// Builds a [`TotpProvider`].
#[must_use]
#[derive(Debug)]
pub struct TotpProviderBuilder {
    inner: TotpProvider,
}

impl TotpProvider {
    /// A builder: secrets sealed under `key`, kept in `store`. Defaults: 6-digit SHA-1 codes
    /// every 30 s, one step of skew either way, issuer `tower-authy`.
    pub fn builder(key: TotpKey, store: impl TotpSecretStore) -> TotpProviderBuilder {
        TotpProviderBuilder {
            inner: TotpProvider {
                store: Arc::new(store),
                key,
                previous: Vec::new(),
                clock: Arc::new(SystemClock),
                issuer: "tower-authy".to_owned(),
                algorithm: TotpAlgorithm::Sha1,
                digits: 6,
                step: 30,
                skew: 1,
            },
        }
    }

    /// The code an authenticator app shows for `subject` at Unix second `at`, for tests and
    /// simulators that play the user's phone.
    ///
    /// # Errors
    /// As [`verify_code`](SecondFactorProvider::verify_code) for an unknown subject or a
    /// secret that does not open.
    pub async fn code_at(&self, subject: u64, at: i64) -> Result<String, ProviderError> {
        let (secret, _) = self.secret(subject).await?;
        let step = u64::try_from(at).unwrap_or(0) / self.step;
        Ok(rfc6238::code(self.algorithm, &secret, step, self.digits))
    }

    /// The code an authenticator app shows at Unix second `at` for the base32 key a user typed
    /// in (spaces allowed), with this provider's settings: a test plays the user's phone with
    /// it. `None` when the key is not base32.
    #[cfg(feature = "test-util")]
    pub fn authenticator_code(&self, key: &str, at: i64) -> Option<String> {
        let key: String = key.chars().filter(|c| !c.is_whitespace()).collect();
        let secret = data_encoding::BASE32_NOPAD.decode(key.as_bytes()).ok()?;
        let step = u64::try_from(at).ok()? / self.step;
        Some(rfc6238::code(self.algorithm, &secret, step, self.digits))
    }

    /// Seals `subject`'s secret under the current key if an older key sealed it: `true` when
    /// it was sealed again, `false` when it already was under the current key (or changed
    /// meanwhile). Secrets are sealed again on use anyway; this is for doing all of them at
    /// once (an administrator's command walking the store) before an old key is dropped.
    ///
    /// # Errors
    /// As [`verify_code`](SecondFactorProvider::verify_code) for an unknown subject or a
    /// secret that opens under none of the keys.
    pub async fn reseal(&self, subject: u64) -> Result<bool, ProviderError> {
        let sealed = self.sealed(subject).await?;
        self.reseal_opened(subject, &sealed).await
    }

    async fn sealed(&self, subject: u64) -> Result<Vec<u8>, ProviderError> {
        self.store
            .sealed(subject)
            .await
            .map_err(ProviderError::Store)?
            .ok_or(ProviderError::CodeRejected { reused: false })
    }

    /// The plaintext of a sealed secret, and whether an older key sealed it.
    fn open(&self, subject: u64, sealed: &[u8]) -> Result<(Vec<u8>, bool), ProviderError> {
        if let Some(plain) = self.key.open(subject, sealed) {
            return Ok((plain, false));
        }
        self.previous
            .iter()
            .find_map(|k| k.open(subject, sealed))
            .map(|plain| (plain, true))
            .ok_or(ProviderError::Malformed(
                "a TOTP secret does not open under this key",
            ))
    }

    async fn reseal_opened(&self, subject: u64, sealed: &[u8]) -> Result<bool, ProviderError> {
        let (plain, old) = self.open(subject, sealed)?;
        if !old {
            return Ok(false);
        }
        let fresh = self.key.seal(subject, &plain);
        self.store
            .reseal(subject, sealed, fresh)
            .await
            .map_err(ProviderError::Store)
    }

    async fn secret(&self, subject: u64) -> Result<(Vec<u8>, String), ProviderError> {
        let sealed = self.sealed(subject).await?;
        let (plain, old) = self.open(subject, &sealed)?;
        if old {
            // Sealed again under the current key; losing a race to another instance doing the
            // same is fine.
            self.reseal_opened(subject, &sealed).await?;
        }
        if plain.len() < SECRET_LEN {
            return Err(ProviderError::Malformed("a TOTP secret is too short"));
        }
        let (secret, account) = plain.split_at(SECRET_LEN);
        Ok((
            secret.to_vec(),
            String::from_utf8_lossy(account).into_owned(),
        ))
    }
}

impl TotpProviderBuilder {
    /// Keys secrets were sealed under before the current one, newest first: secrets sealed
    /// under them still open, and are sealed again under the current key when next used. Keep
    /// an old key here until every secret has been sealed again ([`TotpProvider::reseal`]).
    pub fn previous_keys(mut self, keys: impl IntoIterator<Item = TotpKey>) -> Self {
        self.inner.previous = keys.into_iter().collect();
        self
    }

    /// The name authenticator apps show above the account.
    pub fn issuer(mut self, issuer: impl Into<String>) -> Self {
        self.inner.issuer = issuer.into();
        self
    }

    /// Code length, 6 to 8 digits.
    pub fn digits(mut self, digits: u32) -> Self {
        self.inner.digits = digits;
        self
    }

    /// Seconds per time step, 15 to 120.
    pub fn step_seconds(mut self, step: u64) -> Self {
        self.inner.step = step;
        self
    }

    /// Steps accepted either side of now, for phones whose clock is off: 0 to 2.
    pub fn skew(mut self, steps: u64) -> Self {
        self.inner.skew = steps;
        self
    }

    /// The HMAC (SHA-1 unless set; most apps know only SHA-1).
    pub fn algorithm(mut self, algorithm: TotpAlgorithm) -> Self {
        self.inner.algorithm = algorithm;
        self
    }

    /// The clock (tests use a manual one).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.inner.clock = Arc::new(clock);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ConfigError::InvalidTotp`] for digits, step or skew out of range, or an empty issuer.
    pub fn build(self) -> Result<TotpProvider, ConfigError> {
        let p = &self.inner;
        let problem = if !(6..=8).contains(&p.digits) {
            Some("digits must be 6 to 8")
        } else if !(15..=120).contains(&p.step) {
            Some("the step must be 15 to 120 seconds")
        } else if p.skew > 2 {
            Some("the skew must be 0 to 2 steps")
        } else if p.issuer.trim().is_empty() || p.issuer.contains(':') {
            Some("the issuer must be non-empty and have no colon")
        } else {
            None
        };
        match problem {
            Some(why) => Err(ConfigError::InvalidTotp(why)),
            None => Ok(self.inner),
        }
    }
}

#[async_trait]
impl SecondFactorProvider for TotpProvider {
    fn name(&self) -> &'static str {
        "totp"
    }

    fn capabilities(&self) -> Capabilities {
        Capabilities::default()
            .app_codes(true)
            .authenticator_enrolment(true)
    }

    /// Makes a new subject with a fresh secret; the email becomes the account name apps show.
    async fn register(&self, email: &str, _phone: &str, _cc: &str) -> Result<u64, ProviderError> {
        for _ in 0..4 {
            // 53 bits, so that the subject survives JSON numbers; never 0.
            let subject = (u64::from_be_bytes(crate::random::bytes::<8>()) >> 11) | 1;
            let mut plain = crate::random::bytes::<SECRET_LEN>().to_vec();
            plain.extend_from_slice(email.as_bytes());
            let sealed = self.key.seal(subject, &plain);
            if self
                .store
                .insert(subject, sealed)
                .await
                .map_err(ProviderError::Store)?
            {
                return Ok(subject);
            }
        }
        Err(ProviderError::Malformed(
            "no free subject number after four tries",
        ))
    }

    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        let given = code.expose().as_bytes();
        if given.len() != self.digits as usize {
            return Err(ProviderError::CodeRejected { reused: false });
        }
        let (secret, _) = self.secret(subject).await?;
        let now = u64::try_from(self.clock.now()).unwrap_or(0) / self.step;
        // Every step in the window is computed and compared, so timing says nothing about
        // which one matched.
        let mut matched = None;
        for step in now.saturating_sub(self.skew)..=now + self.skew {
            let expected = rfc6238::code(self.algorithm, &secret, step, self.digits);
            if bool::from(expected.as_bytes().ct_eq(given)) {
                matched = Some(step);
            }
        }
        let Some(step) = matched else {
            return Err(ProviderError::CodeRejected { reused: false });
        };
        if self
            .store
            .advance(subject, step)
            .await
            .map_err(ProviderError::Store)?
        {
            Ok(())
        } else {
            Err(ProviderError::CodeRejected { reused: true })
        }
    }

    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        let (secret, account) = self.secret(subject).await?;
        let account = if label.is_empty() { &account } else { label };
        let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let query = form_urlencoded::Serializer::new(String::new())
            .append_pair("secret", &data_encoding::BASE32_NOPAD.encode(&secret))
            .append_pair("issuer", &self.issuer)
            .append_pair("algorithm", self.algorithm.uri_name())
            .append_pair("digits", &self.digits.to_string())
            .append_pair("period", &self.step.to_string())
            .finish();
        // Form encoding writes spaces as `+`, which apps show literally; `%20` they decode.
        Ok(format!(
            "otpauth://totp/{}:{}?{}",
            encode(&self.issuer),
            encode(account),
            query
        )
        .replace('+', "%20"))
    }
}
