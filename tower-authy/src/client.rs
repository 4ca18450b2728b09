//! An async client for the Authy API (authy-api.md part A).
//!
//! Every call has a timeout. Only idempotent reads (user status, approval-request status) are
//! retried; sending a push, an SMS or a call, and verifying a token, are never retried, so that
//! a slow Authy cannot make a user receive two codes or burn two attempts.

use crate::config::ConfigError;
use crate::secret::{ApiKey, Token};
use serde::Serialize;
use serde_json::Value;
use std::time::Duration;

/// What went wrong talking to Authy.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuthyError {
    /// No answer within the configured timeout.
    #[error("Authy did not answer in time")]
    Timeout,
    /// The request could not be sent or the answer could not be read.
    #[error("could not reach Authy")]
    Transport(#[source] reqwest::Error),
    /// Authy answered with an error status.
    #[error("Authy answered {status} (error code {code:?}): {message}")]
    Api {
        /// HTTP status.
        status: u16,
        /// Authy's `error_code` (a digit string such as `"60026"`), when present.
        code: Option<String>,
        /// Authy's message.
        message: String,
    },
    /// Authy answered, but not with what the contract promises (not JSON, or missing fields).
    #[error("Authy's answer was malformed: {0}")]
    Malformed(&'static str),
}

impl AuthyError {
    /// True when Authy itself is unavailable or misbehaving (timeouts, transport errors, 5xx,
    /// 429, malformed answers). The caller must fail closed and may ask the user to retry later.
    pub fn is_unavailable(&self) -> bool {
        match self {
            AuthyError::Timeout | AuthyError::Transport(_) | AuthyError::Malformed(_) => true,
            AuthyError::Api { status, .. } => {
                *status >= 500 || *status == 429 || *status == 401 && !self.is_token_rejection()
            }
        }
    }

    /// True when Authy rejected a token (`60020` invalid, `60019` reused).
    pub fn is_token_rejection(&self) -> bool {
        matches!(self, AuthyError::Api { status: 401, code: Some(c), .. } if c == "60020" || c == "60019")
    }

    /// Authy's `error_code`, when it sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            AuthyError::Api { code, .. } => code.as_deref(),
            _ => None,
        }
    }
}

/// A user's registration state, from `users/{id}/status`.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UserStatus {
    /// The user has the Authy app (OneTouch and app tokens are possible).
    pub registered: bool,
    /// The user has verified a token before.
    pub confirmed: bool,
    /// Device kinds (`android`, `ios`, ...).
    pub devices: Vec<String>,
}

/// What Authy did with a request to send a code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SendOutcome {
    /// The SMS was sent or the call started.
    Sent,
    /// Authy skipped it because the user has the app (only without `force`).
    Ignored,
}

/// Status of a OneTouch approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ApprovalStatus {
    /// Waiting for the user.
    Pending,
    /// Approved on the phone.
    Approved,
    /// Denied on the phone.
    Denied,
    /// Not answered in time.
    Expired,
}

/// A OneTouch push to create.
#[derive(Debug, Clone, Serialize)]
pub struct ApprovalRequest {
    /// Shown in the notification (Authy keeps 200 characters).
    pub message: String,
    /// Shown to the user in the app.
    pub details: serde_json::Map<String, Value>,
    /// Kept with the transaction, not shown.
    pub hidden_details: serde_json::Map<String, Value>,
    /// Logos as `{"res", "url"}` objects; empty for none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub logos: Vec<Value>,
    /// Seconds until Authy expires the request.
    pub seconds_to_expire: u64,
}

/// Builds an [`AuthyClient`].
#[derive(Debug, Clone)]
#[must_use]
pub struct AuthyClientBuilder {
    api_key: ApiKey,
    base_url: String,
    connect_timeout: Duration,
    timeout: Duration,
    read_retries: u32,
}

impl AuthyClientBuilder {
    /// The API base URL. Default `https://api.authy.com`; point it at a mock-authy in tests.
    ///
    /// ```
    /// let client = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k"))
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
    /// let client = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k"))
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
    /// let client = tower_authy::AuthyClient::builder(tower_authy::ApiKey::new("k"))
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
    /// use tower_authy::{ApiKey, AuthyClient, ConfigError};
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
        let base_ok = url::Url::parse(&self.base_url).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.query().is_none()
                && u.fragment().is_none()
        });
        if !base_ok {
            return Err(ConfigError::BaseUrl(self.base_url));
        }
        let sane = |d: Duration| d >= Duration::from_millis(100) && d <= Duration::from_secs(60);
        if !sane(self.connect_timeout) || !sane(self.timeout) || self.connect_timeout > self.timeout
        {
            return Err(ConfigError::ClientTimeouts);
        }
        let http = reqwest::Client::builder()
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .user_agent(concat!("tower-authy/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| {
                tracing::error!(error = %e, "the HTTP client could not be built");
                ConfigError::HttpClient
            })?;
        Ok(AuthyClient {
            http,
            api_key: self.api_key,
            base_url: self.base_url,
            read_retries: self.read_retries,
        })
    }
}

/// An Authy API client. Cheap to clone.
///
/// The API key travels in the `X-Authy-API-Key` header only, and never appears in `Debug`.
#[derive(Clone)]
pub struct AuthyClient {
    http: reqwest::Client,
    api_key: ApiKey,
    base_url: String,
    read_retries: u32,
}

impl std::fmt::Debug for AuthyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthyClient")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl AuthyClient {
    /// A builder with the given API key.
    pub fn builder(api_key: ApiKey) -> AuthyClientBuilder {
        AuthyClientBuilder {
            api_key,
            base_url: "https://api.authy.com".to_owned(),
            connect_timeout: Duration::from_secs(2),
            timeout: Duration::from_secs(5),
            read_retries: 1,
        }
    }

    /// The API key, for checking callback signatures.
    pub(crate) fn api_key(&self) -> &ApiKey {
        &self.api_key
    }

    /// Registers a user and returns their `authy_id`. Re-registering a phone returns the same id.
    ///
    /// # Errors
    /// [`AuthyError::Api`] with code `60027` for invalid fields; see [`AuthyError`].
    pub async fn register_user(
        &self,
        email: &str,
        cellphone: &str,
        country_code: &str,
    ) -> Result<u64, AuthyError> {
        let form = [
            ("user[email]", email),
            ("user[cellphone]", cellphone),
            ("user[country_code]", country_code),
            ("send_install_link_via_sms", "false"),
        ];
        let body = self
            .send(
                self.http
                    .post(self.url("/protected/json/users/new"))
                    .form(&form),
            )
            .await?;
        body.pointer("/user/id")
            .and_then(Value::as_u64)
            .ok_or(AuthyError::Malformed("users/new without user.id"))
    }

    /// Reads a user's status. Retried on transient failure (it changes nothing).
    ///
    /// # Errors
    /// [`AuthyError::Api`] with code `60026` for an unknown user; see [`AuthyError`].
    pub async fn user_status(&self, authy_id: u64) -> Result<UserStatus, AuthyError> {
        let url = self.url(&format!("/protected/json/users/{authy_id}/status"));
        let body = self.read(|| self.http.get(&url)).await?;
        let status = body
            .get("status")
            .ok_or(AuthyError::Malformed("status without a status object"))?;
        let flag = |k: &str| {
            status
                .get(k)
                .and_then(Value::as_bool)
                .ok_or(AuthyError::Malformed("status field missing"))
        };
        Ok(UserStatus {
            registered: flag("registered")?,
            confirmed: flag("confirmed")?,
            devices: status
                .get("devices")
                .and_then(Value::as_array)
                .map(|d| {
                    d.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect()
                })
                .unwrap_or_default(),
        })
    }

    /// Sends a code by SMS. With `force`, Authy sends it even to users who have the app.
    ///
    /// # Errors
    /// See [`AuthyError`].
    pub async fn request_sms(&self, authy_id: u64, force: bool) -> Result<SendOutcome, AuthyError> {
        self.send_code("sms", authy_id, force).await
    }

    /// Starts a voice call that reads out a code.
    ///
    /// # Errors
    /// See [`AuthyError`].
    pub async fn request_call(
        &self,
        authy_id: u64,
        force: bool,
    ) -> Result<SendOutcome, AuthyError> {
        self.send_code("call", authy_id, force).await
    }

    async fn send_code(
        &self,
        channel: &str,
        authy_id: u64,
        force: bool,
    ) -> Result<SendOutcome, AuthyError> {
        let url = self.url(&format!("/protected/json/{channel}/{authy_id}"));
        let body = self
            .send(
                self.http
                    .get(url)
                    .query(&[("force", if force { "true" } else { "false" })]),
            )
            .await?;
        Ok(
            if body.get("ignored").and_then(Value::as_bool) == Some(true) {
                SendOutcome::Ignored
            } else {
                SendOutcome::Sent
            },
        )
    }

    /// Verifies a token, always with `force=true` (without it Authy accepts any token for a user
    /// who never confirmed one). Success means HTTP 200 **and** `"token": "is valid"`.
    ///
    /// # Errors
    /// An [`AuthyError`] for which [`is_token_rejection`](AuthyError::is_token_rejection) is true
    /// when the token is wrong or reused; other variants when Authy is unavailable.
    pub async fn verify_token(&self, authy_id: u64, token: &Token) -> Result<(), AuthyError> {
        let url = self.url(&format!(
            "/protected/json/verify/{}/{authy_id}",
            token.expose()
        ));
        let body = self
            .send(self.http.get(url).query(&[("force", "true")]))
            .await?;
        if body.get("token").and_then(Value::as_str) == Some("is valid") {
            Ok(())
        } else {
            Err(AuthyError::Malformed(
                "verify answered 200 without \"token\": \"is valid\"",
            ))
        }
    }

    /// Creates a OneTouch approval request and returns its uuid.
    ///
    /// # Errors
    /// [`AuthyError::Api`] with a 4xx when the user cannot receive pushes; see [`AuthyError`].
    pub async fn create_approval_request(
        &self,
        authy_id: u64,
        request: &ApprovalRequest,
    ) -> Result<String, AuthyError> {
        let url = self.url(&format!(
            "/onetouch/json/users/{authy_id}/approval_requests"
        ));
        let body = self.send(self.http.post(url).json(request)).await?;
        body.pointer("/approval_request/uuid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .ok_or(AuthyError::Malformed(
                "approval_requests without approval_request.uuid",
            ))
    }

    /// Reads an approval request's status. Retried on transient failure.
    ///
    /// # Errors
    /// [`AuthyError::Api`] with code `60049` for an unknown uuid; see [`AuthyError`].
    pub async fn approval_request_status(&self, uuid: &str) -> Result<ApprovalStatus, AuthyError> {
        if uuid.is_empty() || !uuid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(AuthyError::Malformed(
                "approval uuid has unexpected characters",
            ));
        }
        let url = self.url(&format!("/onetouch/json/approval_requests/{uuid}"));
        let body = self.read(|| self.http.get(&url)).await?;
        match body
            .pointer("/approval_request/status")
            .and_then(Value::as_str)
        {
            Some("pending") => Ok(ApprovalStatus::Pending),
            Some("approved") => Ok(ApprovalStatus::Approved),
            Some("denied") => Ok(ApprovalStatus::Denied),
            Some("expired") => Ok(ApprovalStatus::Expired),
            _ => Err(AuthyError::Malformed(
                "approval request without a known status",
            )),
        }
    }

    /// Removes a user from the Authy application.
    ///
    /// # Errors
    /// See [`AuthyError`].
    pub async fn delete_user(&self, authy_id: u64) -> Result<(), AuthyError> {
        self.send(
            self.http
                .post(self.url(&format!("/protected/json/users/{authy_id}/remove"))),
        )
        .await
        .map(drop)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    /// Retries an idempotent read on timeouts, transport errors and 5xx.
    async fn read(
        &self,
        request: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<Value, AuthyError> {
        let mut attempt = 0;
        loop {
            match self.send(request()).await {
                Err(e) if attempt < self.read_retries && is_transient(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    /// Sends once and decodes Authy's envelope.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, AuthyError> {
        let response = request
            .header("X-Authy-API-Key", self.api_key.expose())
            .send()
            .await
            .map_err(classify)?;
        let status = response.status().as_u16();
        let bytes = response.bytes().await.map_err(classify)?;
        decode(status, &bytes)
    }
}

fn is_transient(e: &AuthyError) -> bool {
    match e {
        AuthyError::Timeout | AuthyError::Transport(_) => true,
        AuthyError::Api { status, .. } => *status >= 500,
        AuthyError::Malformed(_) => false,
    }
}

/// Drops the URL from transport errors: the verify URL carries the token.
fn classify(e: reqwest::Error) -> AuthyError {
    if e.is_timeout() {
        AuthyError::Timeout
    } else {
        AuthyError::Transport(e.without_url())
    }
}

/// Decodes an answer: any status other than 200 is an error; 200 must be a JSON object whose
/// `success` (bool or string) is true.
#[doc(hidden)]
pub fn decode(status: u16, bytes: &[u8]) -> Result<Value, AuthyError> {
    let body: Option<Value> = serde_json::from_slice(bytes).ok().filter(Value::is_object);
    if status != 200 {
        let body = body.unwrap_or(Value::Null);
        let message = body
            .get("message")
            .and_then(Value::as_str)
            .or_else(|| body.pointer("/errors/message").and_then(Value::as_str))
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect();
        let code = body.get("error_code").and_then(|c| match c {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        });
        return Err(AuthyError::Api {
            status,
            code,
            message,
        });
    }
    let body = body.ok_or(AuthyError::Malformed("not a JSON object"))?;
    let success = match body.get("success") {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    };
    if !success {
        return Err(AuthyError::Malformed("HTTP 200 without success: true"));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn success_may_be_a_bool_or_a_string() {
        assert!(decode(200, br#"{"success":true}"#).is_ok());
        assert!(decode(200, br#"{"success":"true"}"#).is_ok());
        for bad in [
            &br#"{"success":false}"#[..],
            br#"{"success":"false"}"#,
            br#"{}"#,
            br#"[1]"#,
            b"<html>",
            br#"{"message":"Token is valid.","token":"is valid","success":"#,
        ] {
            assert!(
                matches!(decode(200, bad), Err(AuthyError::Malformed(_))),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
    }

    #[test]
    fn errors_keep_authys_code_as_a_string() {
        let e = decode(404, br#"{"message":"User not found.","success":false,"errors":{"message":"User not found."},"error_code":"60026"}"#).unwrap_err();
        assert_eq!(e.code(), Some("60026"));
        assert!(!e.is_unavailable());
        let e = decode(
            401,
            br#"{"errors":{"message":"Token is invalid"},"error_code":60020}"#,
        )
        .unwrap_err();
        assert!(e.is_token_rejection());
        assert!(!e.is_unavailable());
        let e = decode(503, b"<html>down</html>").unwrap_err();
        assert!(e.is_unavailable());
        assert_eq!(e.code(), None);
        assert!(
            decode(429, br#"{"error_code":"60003"}"#)
                .unwrap_err()
                .is_unavailable()
        );
        // A rejected API key is our misconfiguration, and nobody gets in.
        assert!(
            decode(401, br#"{"error_code":"60001"}"#)
                .unwrap_err()
                .is_unavailable()
        );
    }

    #[tokio::test]
    async fn transport_errors_never_show_the_token_in_the_url() {
        // Nothing listens on a port we just released.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let client = AuthyClient::builder(ApiKey::new("k"))
            .base_url(format!("http://127.0.0.1:{port}"))
            .build()
            .unwrap();
        let e = client
            .verify_token(42, &Token::parse("7654321").unwrap())
            .await
            .unwrap_err();
        assert!(e.is_unavailable());
        let shown = format!("{e:?} {e}");
        assert!(!shown.contains("7654321"), "{shown}");
    }

    #[test]
    fn bad_base_urls_and_timeouts_are_config_errors() {
        let b = || AuthyClient::builder(ApiKey::new("k"));
        for url in [
            "api.authy.com",
            "ftp://api.authy.com",
            "https://",
            "https://k@api.authy.com",
            "https://api.authy.com/?x=1",
            "",
        ] {
            assert!(
                matches!(b().base_url(url).build(), Err(ConfigError::BaseUrl(_))),
                "{url}"
            );
        }
        for (connect, total) in [(0, 5_000), (2_000, 0), (5_000, 1_000), (1_000, 61_000)] {
            assert!(matches!(
                b().timeouts(Duration::from_millis(connect), Duration::from_millis(total))
                    .build(),
                Err(ConfigError::ClientTimeouts)
            ));
        }
        assert!(b().base_url("http://127.0.0.1:3031/").build().is_ok());
    }

    #[test]
    fn debug_never_shows_the_key() {
        let client = AuthyClient::builder(ApiKey::new("super-secret-key"))
            .build()
            .unwrap();
        let shown = format!("{client:?}");
        assert!(!shown.contains("super-secret-key"), "{shown}");
        assert!(shown.contains("[redacted]"));
    }
}
