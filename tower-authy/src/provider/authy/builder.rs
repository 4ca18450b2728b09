//! [`AuthyClientBuilder`]: the client's settings, checked when built.

use super::AuthyClient;
use crate::error::ConfigError;
use crate::provider::http_client;
use crate::secret::ApiKey;
use std::time::Duration;

/// Builds an [`AuthyClient`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthyClientBuilder {
    pub(super) api_key: ApiKey,
    pub(super) base_url: String,
    pub(super) connect_timeout: Duration,
    pub(super) timeout: Duration,
    pub(super) read_retries: u32,
}

impl AuthyClientBuilder {
    /// The API base URL. Default `https://api.authy.com`; point it at a mock-authy in tests.
    ///
    /// ```
    /// let client = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
    ///     .base_url("http://127.0.0.1:3031")
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Connect timeout (default 2 s) and total timeout per call (default 5 s); each 100 ms to
    /// 60 s, connect no longer than total.
    ///
    /// ```
    /// use std::time::Duration;
    /// let client = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
    ///     .timeouts(Duration::from_secs(1), Duration::from_secs(3))
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// Extra attempts for idempotent reads after a timeout, transport error or 5xx (default 1,
    /// at most 3).
    ///
    /// ```
    /// let client = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k"))
    ///     .read_retries(2)
    ///     .build()
    ///     .unwrap();
    /// ```
    pub fn read_retries(mut self, n: u32) -> Self {
        self.read_retries = n.min(3);
        self
    }

    /// Checks the settings and builds the client.
    ///
    /// ```
    /// use std::time::Duration;
    /// use tower_authy::{secret::ApiKey, provider::authy::AuthyClient, ConfigError};
    /// let client = AuthyClient::builder(ApiKey::new("key"))
    ///     .base_url("http://127.0.0.1:3031")
    ///     .timeouts(Duration::from_secs(1), Duration::from_secs(3))
    ///     .build()?;
    /// assert!(matches!(
    ///     AuthyClient::builder(ApiKey::new("key")).base_url("api.authy.com").build(),
    ///     Err(ConfigError::BaseUrl(_))
    /// ));
    /// # Ok::<(), ConfigError>(())
    /// ```
    ///
    /// # Errors
    /// [`ConfigError::BaseUrl`], [`ConfigError::ClientTimeouts`], or
    /// [`ConfigError::HttpClient`] when the HTTP client cannot be built (TLS set-up).
    pub fn build(self) -> Result<AuthyClient, ConfigError> {
        let http = http_client(&self.base_url, self.connect_timeout, self.timeout)?;
        Ok(AuthyClient {
            http,
            api_key: self.api_key,
            base_url: self.base_url,
            read_retries: self.read_retries,
        })
    }
}
