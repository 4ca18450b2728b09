//! Authy as a provider (the `authy` feature): an async client for the Authy API (authy-api.md
//! part A), its wire format, and its OneTouch callback and signature (part B).
//!
//! Every call has a timeout. Only idempotent reads (user status, approval-request status) are
//! retried; sending a push, an SMS or a call, and verifying a token, are never retried, so that
//! a slow Authy cannot make a user receive two codes or burn two attempts.
//!
//! `builder` checks the settings, `wire` decodes Authy's envelope, `provider` makes the client
//! a [`SecondFactorProvider`](crate::SecondFactorProvider) and checks its callbacks,
//! `signature` the callbacks' `X-Authy-Signature`.

mod authenticator;
mod builder;
mod wire;

mod provider;
pub(crate) mod signature;

pub use builder::AuthyClientBuilder;
#[cfg(feature = "fuzzing")]
pub use provider::parse_for_fuzzing;
pub(crate) use wire::decode;

use crate::provider::{
    ProviderError, PushRequest, PushStatus, SendOutcome, classify, is_transient,
};

use crate::secret::{ApiKey, Token};
use serde_json::Value;
use std::time::Duration;

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
    /// [`ProviderError::Api`] with code `60027` for invalid fields; see [`ProviderError`].
    pub async fn register_user(
        &self,
        email: &str,
        cellphone: &str,
        country_code: &str,
    ) -> Result<u64, ProviderError> {
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
            .ok_or(ProviderError::Malformed("users/new without user.id"))
    }

    /// Reads a user's status. Retried on transient failure (it changes nothing).
    ///
    /// # Errors
    /// [`ProviderError::Api`] with code `60026` for an unknown user; see [`ProviderError`].
    pub async fn user_status(&self, authy_id: u64) -> Result<UserStatus, ProviderError> {
        let url = self.url(&format!("/protected/json/users/{authy_id}/status"));
        let body = self.read(|| self.http.get(&url)).await?;
        let status = body
            .get("status")
            .ok_or(ProviderError::Malformed("status without a status object"))?;
        let flag = |k: &str| {
            status
                .get(k)
                .and_then(Value::as_bool)
                .ok_or(ProviderError::Malformed("status field missing"))
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
    /// See [`ProviderError`].
    pub async fn request_sms(
        &self,
        authy_id: u64,
        force: bool,
    ) -> Result<SendOutcome, ProviderError> {
        self.send_code("sms", authy_id, force).await
    }

    /// Starts a voice call that reads out a code.
    ///
    /// # Errors
    /// See [`ProviderError`].
    pub async fn request_call(
        &self,
        authy_id: u64,
        force: bool,
    ) -> Result<SendOutcome, ProviderError> {
        self.send_code("call", authy_id, force).await
    }

    async fn send_code(
        &self,
        channel: &str,
        authy_id: u64,
        force: bool,
    ) -> Result<SendOutcome, ProviderError> {
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
    /// An [`ProviderError`] for which [`is_token_rejection`](ProviderError::is_token_rejection) is true
    /// when the token is wrong or reused; other variants when Authy is unavailable.
    pub async fn verify_token(&self, authy_id: u64, token: &Token) -> Result<(), ProviderError> {
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
            Err(ProviderError::Malformed(
                "verify answered 200 without \"token\": \"is valid\"",
            ))
        }
    }

    /// Creates a OneTouch approval request and returns its uuid.
    ///
    /// # Errors
    /// [`ProviderError::Api`] with a 4xx when the user cannot receive pushes; see [`ProviderError`].
    pub async fn create_approval_request(
        &self,
        authy_id: u64,
        request: &PushRequest,
    ) -> Result<String, ProviderError> {
        let url = self.url(&format!(
            "/onetouch/json/users/{authy_id}/approval_requests"
        ));
        let body = self.send(self.http.post(url).json(request)).await?;
        body.pointer("/approval_request/uuid")
            .and_then(Value::as_str)
            .filter(|u| !u.is_empty())
            .map(str::to_owned)
            .ok_or(ProviderError::Malformed(
                "approval_requests without approval_request.uuid",
            ))
    }

    /// Reads an approval request's status. Retried on transient failure.
    ///
    /// # Errors
    /// [`ProviderError::Api`] with code `60049` for an unknown uuid; see [`ProviderError`].
    pub async fn approval_request_status(&self, uuid: &str) -> Result<PushStatus, ProviderError> {
        if uuid.is_empty() || !uuid.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(ProviderError::Malformed(
                "approval uuid has unexpected characters",
            ));
        }
        let url = self.url(&format!("/onetouch/json/approval_requests/{uuid}"));
        let body = self.read(|| self.http.get(&url)).await?;
        match body
            .pointer("/approval_request/status")
            .and_then(Value::as_str)
        {
            Some("pending") => Ok(PushStatus::Pending),
            Some("approved") => Ok(PushStatus::Approved),
            Some("denied") => Ok(PushStatus::Denied),
            Some("expired") => Ok(PushStatus::Expired),
            _ => Err(ProviderError::Malformed(
                "approval request without a known status",
            )),
        }
    }

    /// Removes a user from the Authy application.
    ///
    /// # Errors
    /// See [`ProviderError`].
    pub async fn delete_user(&self, authy_id: u64) -> Result<(), ProviderError> {
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
    ) -> Result<Value, ProviderError> {
        let mut attempt = 0;
        loop {
            match self.send(request()).await {
                Err(e) if attempt < self.read_retries && is_transient(&e) => attempt += 1,
                other => return other,
            }
        }
    }

    /// Sends once and decodes Authy's envelope.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<Value, ProviderError> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ConfigError;

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
