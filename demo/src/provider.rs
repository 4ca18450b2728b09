//! Which provider proves the second factor, set up from the configuration: the Authy API, Twilio
//! Verify v2 (each on the embedded mock, or the real service), or self-hosted TOTP. Switching
//! is configuration only; the pages, limits and stores stay the same.

use crate::users::SqliteUsers;
use crate::{AuthyMode, Config, StartError};
use mock_authy::{CallbackMethod, MockAuthy};
use std::sync::Arc;
use std::time::Duration;
use tower_authy::{
    SecondFactorProvider, provider::authy::AuthyClient, provider::totp::TotpProvider,
    provider::verify::VerifyProvider, secret::ApiKey,
};

/// The second-factor provider (`--provider`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Provider {
    /// The Authy API (the tutorial's).
    #[default]
    Authy,
    /// Twilio Verify v2: SMS, calls, authenticator apps and Verify Push.
    Verify,
    /// Self-hosted TOTP: authenticator apps only, no vendor.
    Totp,
}

/// A real Verify service. Its `Debug` leaves out the auth token.
#[derive(Clone)]
pub struct VerifyRemote {
    /// `AC…`.
    pub account_sid: String,
    /// The account's auth token (also signs the webhooks).
    pub auth_token: String,
    /// `VA…`.
    pub service_sid: String,
    /// Base URL, `https://verify.twilio.com` by default.
    pub api_url: String,
    /// The app's public `https://` URL, which Verify's webhooks reach.
    pub public_url: String,
}

impl std::fmt::Debug for VerifyRemote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyRemote")
            .field("account_sid", &self.account_sid)
            .field("auth_token", &"[redacted]")
            .field("service_sid", &self.service_sid)
            .field("api_url", &self.api_url)
            .field("public_url", &self.public_url)
            .finish()
    }
}

/// The provider, the embedded mock when there is one, and where callbacks arrive.
pub(crate) struct Setup {
    pub(crate) mock: Option<MockAuthy>,
    pub(crate) provider: Arc<dyn SecondFactorProvider>,
    pub(crate) callback_url: String,
}

fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    getrandom::getrandom(&mut b).expect("the OS random source works");
    data_encoding::HEXLOWER.encode(&b)
}

/// An embedded mock on a free loopback port, with fresh credentials: the published defaults
/// would let anyone who can reach the port act as this app.
async fn embedded_mock(callback_url: &str) -> std::io::Result<MockAuthy> {
    MockAuthy::builder()
        .api_key(random_hex(24))
        .twilio_credentials(mock_authy::DEFAULT_ACCOUNT_SID, random_hex(24))
        .app_name("Authy demo")
        .callback(callback_url, CallbackMethod::Post)
        .start()
        .await
}

pub(crate) async fn setup(
    config: &Config,
    url: &str,
    users: &SqliteUsers,
) -> Result<Setup, StartError> {
    let local_callback = format!("{url}/authy/callback");
    let timeouts = (Duration::from_secs(2), Duration::from_secs(5));
    let setup = match config.provider {
        Provider::Authy => {
            let (mock, key, base, callback_url) = match &config.authy {
                AuthyMode::Embedded => {
                    let mock = embedded_mock(&local_callback).await?;
                    let (key, base) = (mock.api_key().to_owned(), mock.base_url().to_owned());
                    (Some(mock), key, base, local_callback)
                }
                AuthyMode::Remote {
                    api_key,
                    api_url,
                    public_url,
                } => (
                    None,
                    api_key.clone(),
                    api_url.clone(),
                    format!("{}/authy/callback", public_url.trim_end_matches('/')),
                ),
            };
            let authy = AuthyClient::builder(ApiKey::new(key))
                .base_url(base)
                .timeouts(timeouts.0, timeouts.1)
                .build()?;
            Setup {
                mock,
                provider: Arc::new(authy),
                callback_url,
            }
        }
        Provider::Verify => {
            let (mock, verify, callback_url) = match &config.verify {
                None => {
                    let mock = embedded_mock(&local_callback).await?;
                    let verify = VerifyProvider::builder(
                        mock.twilio_account_sid(),
                        ApiKey::new(mock.twilio_auth_token()),
                        mock_authy::DEFAULT_SERVICE_SID,
                    )
                    .base_url(mock.base_url())
                    .timeouts(timeouts.0, timeouts.1)
                    .build()?;
                    (Some(mock), verify, local_callback)
                }
                Some(remote) => {
                    let verify = VerifyProvider::builder(
                        &remote.account_sid,
                        ApiKey::new(remote.auth_token.clone()),
                        &remote.service_sid,
                    )
                    .base_url(&remote.api_url)
                    .timeouts(timeouts.0, timeouts.1)
                    .build()?;
                    let callback =
                        format!("{}/authy/callback", remote.public_url.trim_end_matches('/'));
                    (None, verify, callback)
                }
            };
            verify
                .ensure_webhook(&callback_url)
                .await
                .map_err(StartError::Provider)?;
            Setup {
                mock,
                provider: Arc::new(verify),
                callback_url,
            }
        }
        Provider::Totp => {
            let totp = totp(config, users)?;
            Setup {
                mock: None,
                provider: Arc::new(totp),
                callback_url: local_callback,
            }
        }
    };
    // A database from before the factor model: each user's Authy id becomes a factor.
    let adopted = users
        .adopt_legacy_authy_ids(setup.provider.as_ref())
        .await?;
    if adopted > 0 {
        tracing::info!("moved {adopted} user(s)' Authy id from sign-up into their factors");
    }
    if setup.mock.is_some() {
        // The embedded mock forgets everything on restart; the database does not.
        let n = users.reregister_all(setup.provider.as_ref()).await?;
        if n > 0 {
            tracing::info!("registered {n} existing user(s) with the embedded mock");
        }
    }
    Ok(setup)
}

/// The self-hosted TOTP provider on the users' file, its secrets sealed under the keys from
/// DEMO_TOTP_KEY or the key file beside the database (made on first start).
pub(crate) fn totp(config: &Config, users: &SqliteUsers) -> Result<TotpProvider, StartError> {
    let keys = match (&config.totp_key, crate::keys::file_for(&config.database)) {
        (Some(value), _) => crate::keys::from_value(value)?,
        (None, Some(path)) => {
            let (keys, created) = crate::keys::load_or_create(&path)?;
            let said = if created { "made" } else { "read" };
            tracing::info!(key_file = %path.display(), "TOTP keys {said}: keep this file secret and with the database");
            keys
        }
        (None, None) => {
            tracing::warn!("no DEMO_TOTP_KEY and no database file: a random key for this run");
            crate::keys::TotpKeys {
                current: crate::keys::random_key(),
                previous: Vec::new(),
            }
        }
    };
    Ok(TotpProvider::builder(keys.current.key(), users.clone())
        .previous_keys(keys.previous_keys())
        .issuer("Authy demo")
        .build()?)
}
