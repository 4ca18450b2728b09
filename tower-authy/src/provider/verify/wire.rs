//! [`VerifyProvider`]'s settings and its HTTP: HTTP Basic, form bodies, Twilio's error answers.

use crate::error::ConfigError;
use crate::provider::{ProviderError, classify, http_client, is_transient};
use crate::secret::ApiKey;
use crate::store::{Clock, SystemClock};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;

/// The Twilio Verify v2 provider. Cheap to clone.
///
/// The auth token (and an API key's secret) never appear in `Debug`.
///
/// ```
/// use tower_authy::{secret::ApiKey, provider::verify::VerifyProvider};
/// let verify = VerifyProvider::builder(
///     "AC0123456789abcdef0123456789abcdef",
///     ApiKey::new("the account's auth token"),
///     "VA0123456789abcdef0123456789abcdef",
/// )
/// .build()
/// .unwrap();
/// # let _ = verify;
/// ```
#[derive(Clone)]
pub struct VerifyProvider {
    http: reqwest::Client,
    service_url: String,
    user: String,
    secret: ApiKey,
    auth_token: ApiKey,
    read_retries: u32,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for VerifyProvider {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyProvider")
            .field("service_url", &self.service_url)
            .field("user", &self.user)
            .field("auth_token", &self.auth_token)
            .finish_non_exhaustive()
    }
}

/// Builds a [`VerifyProvider`].
#[must_use]
pub struct VerifyProviderBuilder {
    account_sid: String,
    auth_token: ApiKey,
    service_sid: String,
    api_key: Option<(String, ApiKey)>,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    read_retries: u32,
    clock: Arc<dyn Clock>,
}

impl std::fmt::Debug for VerifyProviderBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerifyProviderBuilder")
            .field("service_sid", &self.service_sid)
            .field("base_url", &self.base_url)
            .finish_non_exhaustive()
    }
}

impl VerifyProvider {
    /// A builder for the account (`AC…`), its auth token (which also signs webhooks) and the
    /// Verify service (`VA…`).
    pub fn builder(
        account_sid: impl Into<String>,
        auth_token: ApiKey,
        service_sid: impl Into<String>,
    ) -> VerifyProviderBuilder {
        VerifyProviderBuilder {
            account_sid: account_sid.into(),
            auth_token,
            service_sid: service_sid.into(),
            api_key: None,
            base_url: "https://verify.twilio.com".to_owned(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            read_retries: 1,
            clock: Arc::new(SystemClock),
        }
    }

    pub(super) fn now(&self) -> i64 {
        self.clock.now()
    }

    pub(super) fn webhook_key(&self) -> &[u8] {
        self.auth_token.expose().as_bytes()
    }

    /// Reads `path` under the service, retrying transient failures.
    pub(super) async fn read(&self, path: &str) -> Result<Value, ProviderError> {
        let url = format!("{}{path}", self.service_url);
        let mut attempt = 0;
        loop {
            match self.send(self.http.get(&url)).await {
                Err(e) if attempt < self.read_retries && is_transient(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    /// Posts a form to `path` under the service, once.
    pub(super) async fn write<V: serde::Serialize>(
        &self,
        path: &str,
        form: &[(&str, V)],
    ) -> Result<Value, ProviderError> {
        let url = format!("{}{path}", self.service_url);
        self.send(self.http.post(url).form(form)).await
    }

    /// Deletes `path` under the service, once.
    pub(super) async fn delete(&self, path: &str) -> Result<(), ProviderError> {
        let url = format!("{}{path}", self.service_url);
        match self.send(self.http.delete(url)).await {
            Ok(_) | Err(ProviderError::Api { status: 404, .. }) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ProviderError> {
        let response = request
            .basic_auth(&self.user, Some(self.secret.expose()))
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(classify)?;
        decode(status, &bytes)
    }
}

/// A 2xx answer's JSON (`null` for 204), or Twilio's error as [`ProviderError::Api`].
fn decode(status: u16, bytes: &[u8]) -> Result<Value, ProviderError> {
    let body: Option<Value> = serde_json::from_slice(bytes).ok();
    if (200..300).contains(&status) {
        return match body {
            Some(v @ Value::Object(_)) => Ok(v),
            _ if status == 204 => Ok(Value::Null),
            _ => Err(ProviderError::Malformed(
                "Verify answered without a JSON object",
            )),
        };
    }
    let body = body.unwrap_or(Value::Null);
    Err(ProviderError::Api {
        status,
        code: body
            .get("code")
            .and_then(Value::as_u64)
            .map(|c| c.to_string()),
        message: body
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect(),
    })
}

/// Unix seconds as RFC 3339 (`2026-11-29T01:30:00Z`).
pub(super) fn rfc3339(t: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| {
            d.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_default()
}

impl VerifyProviderBuilder {
    /// Authenticates API calls with an API key (`SK…`) and its secret instead of the account's
    /// auth token. Webhooks are still signed with the auth token.
    pub fn api_key(mut self, sid: impl Into<String>, secret: ApiKey) -> Self {
        self.api_key = Some((sid.into(), secret));
        self
    }

    /// Where Verify is (the mock, in tests). Default `https://verify.twilio.com`.
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = url.into().trim_end_matches('/').to_owned();
        self
    }

    /// Connect and total timeouts per request (defaults 2 s and 5 s).
    pub fn timeouts(mut self, connect: Duration, total: Duration) -> Self {
        self.connect_timeout = connect;
        self.timeout = total;
        self
    }

    /// Retries of reads (factors, challenge status) after a transient failure. Default 1.
    pub fn read_retries(mut self, n: u32) -> Self {
        self.read_retries = n;
        self
    }

    /// The clock that dates challenges' expiry (tests use a manual one).
    pub fn clock(mut self, clock: impl Clock) -> Self {
        self.clock = Arc::new(clock);
        self
    }

    /// Checks the settings.
    ///
    /// # Errors
    /// [`ConfigError::InvalidVerify`] for SIDs of the wrong shape; [`ConfigError::BaseUrl`] and
    /// [`ConfigError::ClientTimeouts`] as for the Authy client.
    pub fn build(self) -> Result<VerifyProvider, ConfigError> {
        let sid = |s: &str, prefix: &str| {
            s.len() == 34 && s.starts_with(prefix) && s[2..].bytes().all(|b| b.is_ascii_hexdigit())
        };
        if !sid(&self.account_sid, "AC") {
            return Err(ConfigError::InvalidVerify(
                "the account SID must be AC and 32 hex digits",
            ));
        }
        if !sid(&self.service_sid, "VA") {
            return Err(ConfigError::InvalidVerify(
                "the service SID must be VA and 32 hex digits",
            ));
        }
        if self.api_key.as_ref().is_some_and(|(s, _)| !sid(s, "SK")) {
            return Err(ConfigError::InvalidVerify(
                "an API key SID must be SK and 32 hex digits",
            ));
        }
        let http = http_client(&self.base_url, self.connect_timeout, self.timeout)?;
        let (user, secret) = match self.api_key {
            Some((sid, secret)) => (sid, secret),
            None => (self.account_sid, self.auth_token.clone()),
        };
        Ok(VerifyProvider {
            http,
            service_url: format!("{}/v2/Services/{}", self.base_url, self.service_sid),
            user,
            secret,
            auth_token: self.auth_token,
            read_retries: self.read_retries,
            clock: self.clock,
        })
    }
}
