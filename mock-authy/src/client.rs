//! A typed client for the control API (`/__mock`), for tests that drive the mock-authy
//! **binary** (or any mock reached over HTTP) without writing JSON by hand.
//!
//! ```no_run
//! # async fn demo() -> Result<(), mock_authy::ClientError> {
//! use mock_authy::{ControlClient, OneTouchBehaviour};
//!
//! let mock = ControlClient::new("http://127.0.0.1:3031")?;
//! mock.set_onetouch(1, OneTouchBehaviour::AutoApprove { after_ms: 0 }).await?;
//! for request in mock.approval_requests().await? {
//!     mock.approve(&request.uuid).await?;
//! }
//! # Ok(()) }
//! ```

use crate::authy::{
    ApprovalRequest, OneTouchBehaviour, OutboxMessage, PhoneInfo, PhoneVerification, User,
};
use crate::callback::{CallbackDelivery, CallbackMethod};
use crate::endpoint::Endpoint;
use crate::limits::RateLimits;
use crate::model::{Fault, JournalEntry};
use reqwest::Method;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};
use std::time::Duration;

/// Why a control request failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// The base URL is not an absolute `http` or `https` URL.
    #[error("the mock's base URL must be an absolute http(s) URL")]
    BaseUrl,
    /// The mock could not be reached, or its answer could not be read.
    #[error("control request failed: {0}")]
    Http(#[from] reqwest::Error),
    /// The mock refused the request (unknown user or request, not pending, bad body, ...).
    #[error("the mock answered {status}: {message}")]
    Refused {
        /// The HTTP status.
        status: u16,
        /// The mock's `error` text.
        message: String,
    },
}

/// The code the user's Authy app shows now.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct AppToken {
    /// The digits.
    pub token: String,
    /// Seconds before the code changes.
    pub valid_for: i64,
}

/// What approving, denying or expiring a request did.
#[derive(Debug, Clone, Deserialize)]
pub struct Decision {
    /// The request after the decision.
    pub approval_request: ApprovalRequest,
    /// The callback sent to the application, if one was configured (never for `expire`).
    pub callback: Option<CallbackDelivery>,
}

/// A client for one mock's control API. Cheap to clone.
#[derive(Debug, Clone)]
pub struct ControlClient {
    http: reqwest::Client,
    base: url::Url,
    token: Option<String>,
}

impl ControlClient {
    /// A client for the mock at `base_url` (for example `http://127.0.0.1:3031`).
    ///
    /// # Errors
    /// [`ClientError::BaseUrl`] when `base_url` is not an absolute http(s) URL.
    pub fn new(base_url: &str) -> Result<ControlClient, ClientError> {
        let base = url::Url::parse(base_url).map_err(|_| ClientError::BaseUrl)?;
        if !matches!(base.scheme(), "http" | "https") || base.cannot_be_a_base() {
            return Err(ClientError::BaseUrl);
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        Ok(ControlClient {
            http,
            base,
            token: None,
        })
    }

    /// Sends `token` as `X-Mock-Control-Token` (for a mock started with `--control-token`).
    #[must_use]
    pub fn with_control_token(mut self, token: impl Into<String>) -> ControlClient {
        self.token = Some(token.into());
        self
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> Result<reqwest::Response, ClientError> {
        let mut url = self.base.clone();
        url.set_path(&format!("/__mock{path}"));
        let mut req = self.http.request(method, url);
        if let Some(t) = &self.token {
            req = req.header("x-mock-control-token", t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let answer = req.send().await?;
        let status = answer.status();
        if status.is_success() {
            return Ok(answer);
        }
        let message = answer
            .json::<Value>()
            .await
            .ok()
            .and_then(|v| v["error"].as_str().map(str::to_owned))
            .unwrap_or_default();
        Err(ClientError::Refused {
            status: status.as_u16(),
            message,
        })
    }

    async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        Ok(self.call(Method::GET, path, None).await?.json().await?)
    }

    /// Every registered user.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn users(&self) -> Result<Vec<User>, ClientError> {
        self.get("/users").await
    }

    /// The SMS and voice codes sent to a user, oldest first.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) for an unknown user.
    pub async fn outbox(&self, authy_id: u64) -> Result<Vec<OutboxMessage>, ClientError> {
        self.get(&format!("/users/{authy_id}/outbox")).await
    }

    /// The code the user's Authy app shows now.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) for an unknown user.
    pub async fn app_token(&self, authy_id: u64) -> Result<AppToken, ClientError> {
        self.get(&format!("/users/{authy_id}/app_token")).await
    }

    /// How the user's phone answers OneTouch requests from now on.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) for an unknown user.
    pub async fn set_onetouch(
        &self,
        authy_id: u64,
        behaviour: OneTouchBehaviour,
    ) -> Result<(), ClientError> {
        let body = serde_json::to_value(behaviour).unwrap_or(Value::Null);
        let path = format!("/users/{authy_id}/onetouch");
        self.call(Method::PUT, &path, Some(body)).await.map(drop)
    }

    /// Every approval request, oldest first.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn approval_requests(&self) -> Result<Vec<ApprovalRequest>, ClientError> {
        self.get("/approval_requests").await
    }

    async fn decide(&self, uuid: &str, action: &str) -> Result<Decision, ClientError> {
        let path = format!("/approval_requests/{uuid}/{action}");
        Ok(self.call(Method::POST, &path, None).await?.json().await?)
    }

    /// Taps Approve on the phone; the callback goes out before this returns.
    ///
    /// # Errors
    /// [`ClientError::Refused`]: 404 for an unknown uuid, 409 when no longer pending.
    pub async fn approve(&self, uuid: &str) -> Result<Decision, ClientError> {
        self.decide(uuid, "approve").await
    }

    /// Taps Deny on the phone; the callback goes out before this returns.
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub async fn deny(&self, uuid: &str) -> Result<Decision, ClientError> {
        self.decide(uuid, "deny").await
    }

    /// Every code sent through Verify v2, oldest first.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn verify_codes(&self) -> Result<Vec<crate::VerifyCode>, ClientError> {
        Ok(self
            .call(Method::GET, "/verify/codes", None)
            .await?
            .json()
            .await?)
    }

    /// The code the app holding an entity's newest TOTP factor shows now.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) when the entity has no TOTP factor.
    pub async fn verify_totp_code_of(&self, identity: &str) -> Result<String, ClientError> {
        #[derive(Deserialize)]
        struct Shown {
            code: String,
        }
        let shown: Shown = self
            .get(&format!("/verify/entities/{identity}/code"))
            .await?;
        Ok(shown.code)
    }

    /// Marks an entity's TOTP factors verified, as if the user had entered a code from the app
    /// at enrolment.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) when the entity has no TOTP factor.
    pub async fn verify_totp_factors(&self, identity: &str) -> Result<(), ClientError> {
        let path = format!("/verify/entities/{identity}/verify_totp");
        self.call(Method::POST, &path, None).await.map(drop)
    }

    /// Sets the metadata of an entity's TOTP factors, as the application that made them would
    /// have written it.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (404) when the entity has no TOTP factor.
    pub async fn set_verify_totp_metadata(
        &self,
        identity: &str,
        metadata: &Value,
    ) -> Result<(), ClientError> {
        let path = format!("/verify/entities/{identity}/totp_metadata");
        self.call(Method::POST, &path, Some(metadata.clone()))
            .await
            .map(drop)
    }

    /// Every Verify v2 challenge, oldest first.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn verify_challenges(&self) -> Result<Vec<crate::VerifyChallenge>, ClientError> {
        let r = self.call(Method::GET, "/verify/challenges", None).await?;
        Ok(r.json().await?)
    }

    /// Approves (`true`) or denies a pending Verify push challenge; the webhooks go out before
    /// this returns.
    ///
    /// # Errors
    /// [`ClientError::Refused`]: 404 for an unknown challenge, 409 when no longer pending.
    pub async fn answer_challenge(&self, sid: &str, approve: bool) -> Result<(), ClientError> {
        let action = if approve { "approve" } else { "deny" };
        let path = format!("/verify/challenges/{sid}/{action}");
        self.call(Method::POST, &path, None).await.map(drop)
    }

    /// Lets the request expire now (Authy sends no callback for that).
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub async fn expire(&self, uuid: &str) -> Result<Decision, ClientError> {
        self.decide(uuid, "expire").await
    }

    /// Injects a fault.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (400) for a fault the mock cannot apply.
    pub async fn add_fault(&self, fault: &Fault) -> Result<(), ClientError> {
        let body = serde_json::to_value(fault).unwrap_or(Value::Null);
        self.call(Method::POST, "/faults", Some(body))
            .await
            .map(drop)
    }

    /// The faults in force.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn faults(&self) -> Result<Vec<Fault>, ClientError> {
        self.get("/faults").await
    }

    /// Removes every fault.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn clear_faults(&self) -> Result<(), ClientError> {
        self.call(Method::DELETE, "/faults", None).await.map(drop)
    }

    /// Every request the mock received, oldest first.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn journal(&self) -> Result<Vec<JournalEntry>, ClientError> {
        self.get("/journal").await
    }

    /// How many requests reached one endpoint.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn calls(&self, endpoint: Endpoint) -> Result<usize, ClientError> {
        let name = endpoint.name();
        let journal = self.journal().await?;
        Ok(journal.iter().filter(|e| e.endpoint == name).count())
    }

    /// Every callback delivery, with its attempts.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn callbacks(&self) -> Result<Vec<CallbackDelivery>, ClientError> {
        self.get("/callbacks").await
    }

    /// Where OneTouch callbacks go (`None`: nowhere).
    ///
    /// # Errors
    /// [`ClientError::Refused`] (400) for a URL that is not http(s).
    pub async fn set_callback(
        &self,
        target: Option<(&str, CallbackMethod)>,
    ) -> Result<(), ClientError> {
        let body = match target {
            Some((url, method)) => json!({"url": url, "method": method}),
            None => json!({"url": null}),
        };
        self.call(Method::PUT, "/callback", Some(body))
            .await
            .map(drop)
    }

    /// Every phone verification, oldest first, with its code and text.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn phone_verifications(&self) -> Result<Vec<PhoneVerification>, ClientError> {
        self.get("/phone_verifications").await
    }

    /// What `phones/info` says about a number from now on.
    ///
    /// # Errors
    /// [`ClientError::Refused`] (400) for a number that is not possible in that country.
    pub async fn set_phone_info(
        &self,
        country_code: &str,
        number: &str,
        info: &PhoneInfo,
    ) -> Result<(), ClientError> {
        let body = serde_json::to_value(info).unwrap_or(Value::Null);
        let path = format!("/phones/{country_code}/{number}/info");
        self.call(Method::PUT, &path, Some(body)).await.map(drop)
    }

    /// The rate limits in force.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn rate_limits(&self) -> Result<RateLimits, ClientError> {
        self.get("/rate_limits").await
    }

    /// Replaces the rate limits (`RateLimits::off()` turns them all off).
    ///
    /// # Errors
    /// [`ClientError::Refused`] (400) for a limit of zero.
    pub async fn set_rate_limits(&self, limits: &RateLimits) -> Result<(), ClientError> {
        let body = serde_json::to_value(limits).unwrap_or(Value::Null);
        self.call(Method::PUT, "/rate_limits", Some(body))
            .await
            .map(drop)
    }

    /// Forgets users, requests, faults and the journal.
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn reset(&self) -> Result<(), ClientError> {
        self.call(Method::POST, "/reset", None).await.map(drop)
    }

    /// Moves the mock's clock forward; returns the new time (Unix seconds).
    ///
    /// # Errors
    /// See [`ClientError`].
    pub async fn advance_clock(&self, by: Duration) -> Result<i64, ClientError> {
        #[derive(Deserialize)]
        struct Now {
            now: i64,
        }
        let seconds = u32::try_from(by.as_secs()).unwrap_or(u32::MAX);
        let body = json!({ "seconds": seconds });
        let answer = self.call(Method::POST, "/clock/advance", Some(body));
        Ok(answer.await?.json::<Now>().await?.now)
    }
}
