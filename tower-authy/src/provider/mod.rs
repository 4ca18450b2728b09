//! Who proves the second factor: the [`SecondFactorProvider`] trait, which the flows call, and
//! its implementations.
//!
//! The Layer, the pages, the challenge store, the limits and the event stream are the same for
//! every provider. A provider turns a factor's *subject* (the number kept in
//! [`Factor::subject`](crate::factors::Factor::subject), which is Authy's id for the Authy
//! provider and a number the provider chose at registration for the others) into calls to its
//! service, and says with [`Capabilities`] what it can do, so that the pages offer nothing else.

#[cfg(feature = "authy")]
pub mod authy;
#[cfg(any(feature = "authy", feature = "verify"))]
mod http;
#[cfg(feature = "totp")]
pub mod totp;
#[cfg(feature = "verify")]
pub mod verify;
mod vocabulary;
#[cfg(feature = "webauthn")]
pub mod webauthn;
mod webhook;

#[cfg(any(feature = "authy", feature = "verify"))]
pub(crate) use http::http_client;
pub use vocabulary::{ProviderError, PushRequest, PushStatus, SendOutcome, Subject};
#[cfg(any(feature = "authy", feature = "verify"))]
pub(crate) use vocabulary::{classify, is_transient};
pub use webhook::{PushAnswer, WebhookError, WebhookRequest};

use crate::secret::Token;
use async_trait::async_trait;

/// How a code travels to the user's phone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeChannel {
    /// A text message.
    Sms,
    /// A voice call that reads the code out.
    Call,
}

impl CodeChannel {
    /// `sms` or `call`, as logs and JSON answers name it.
    pub fn as_str(self) -> &'static str {
        match self {
            CodeChannel::Sms => "sms",
            CodeChannel::Call => "call",
        }
    }
}

/// What a provider can do. The pages offer only these: no "Call me" button for a provider
/// without calls, no push for one without pushes, no phone field for one that needs no phone.
///
/// ```
/// use tower_authy::provider::Capabilities;
/// let totp_only = Capabilities::default().app_codes(true).authenticator_enrolment(true);
/// assert!(!totp_only.push && !totp_only.sms && totp_only.app_codes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Capabilities {
    /// Push approvals (Authy OneTouch, Verify Push).
    pub push: bool,
    /// Codes sent by SMS.
    pub sms: bool,
    /// Codes read out in a voice call.
    pub call: bool,
    /// Codes from an app on the phone (Authy app, authenticator apps).
    pub app_codes: bool,
    /// Enrolment can show an `otpauth://` QR code for an authenticator app.
    pub authenticator_enrolment: bool,
    /// Registration needs the user's phone number.
    pub needs_phone: bool,
}

impl Capabilities {
    /// Everything: pushes, SMS, calls, app codes and an enrolment QR code, with a phone.
    pub fn everything() -> Self {
        Capabilities {
            push: true,
            sms: true,
            call: true,
            app_codes: true,
            authenticator_enrolment: true,
            needs_phone: true,
        }
    }

    /// With or without push approvals.
    #[must_use]
    pub fn push(mut self, on: bool) -> Self {
        self.push = on;
        self
    }
    /// With or without SMS codes.
    #[must_use]
    pub fn sms(mut self, on: bool) -> Self {
        self.sms = on;
        self
    }
    /// With or without voice calls.
    #[must_use]
    pub fn call(mut self, on: bool) -> Self {
        self.call = on;
        self
    }
    /// With or without codes from an app.
    #[must_use]
    pub fn app_codes(mut self, on: bool) -> Self {
        self.app_codes = on;
        self
    }
    /// With or without an authenticator-app QR code at enrolment.
    #[must_use]
    pub fn authenticator_enrolment(mut self, on: bool) -> Self {
        self.authenticator_enrolment = on;
        self
    }
    /// Whether registration asks for a phone number.
    #[must_use]
    pub fn needs_phone(mut self, on: bool) -> Self {
        self.needs_phone = on;
        self
    }
    /// Whether a code can be sent on this channel.
    pub fn sends(&self, channel: CodeChannel) -> bool {
        match channel {
            CodeChannel::Sms => self.sms,
            CodeChannel::Call => self.call,
        }
    }
}

/// A second-factor service: Authy ([`AuthyClient`](crate::provider::authy::AuthyClient)), Twilio Verify v2, or a
/// self-hosted TOTP provider. tower-authy calls it; implement it to bring another.
///
/// Errors are [`ProviderError`]s whatever the provider: [`ProviderError::is_unavailable`] makes the
/// flows fail closed, [`ProviderError::is_token_rejection`] means a wrong code, and
/// [`ProviderError::Unsupported`] is what the default methods answer for what a provider cannot
/// do. Nothing that sends, creates or verifies may be retried by an implementation.
#[async_trait]
pub trait SecondFactorProvider: Send + Sync + std::fmt::Debug + 'static {
    /// A short name for logs and pages (`authy`, `verify`, `totp`).
    fn name(&self) -> &'static str;

    /// What this provider can do.
    fn capabilities(&self) -> Capabilities;

    /// How the pages name the app that shows codes and pushes ("the Authy app").
    fn app_label(&self) -> &'static str {
        "your authenticator app"
    }

    /// Registers a user (phone digits and country code when
    /// [`needs_phone`](Capabilities::needs_phone)) and returns their subject.
    ///
    /// # Errors
    /// See [`ProviderError`].
    async fn register(
        &self,
        email: &str,
        phone: &str,
        country_code: &str,
    ) -> Result<u64, ProviderError>;

    /// Sends a push and returns its id, which [`push_status`](Self::push_status) and webhooks
    /// name it by.
    ///
    /// # Errors
    /// [`ProviderError::Unsupported`] by default; a 4xx [`ProviderError::Api`] when this user cannot
    /// receive pushes (the flow then asks for a code).
    async fn start_push(
        &self,
        _subject: u64,
        _request: &PushRequest,
    ) -> Result<String, ProviderError> {
        Err(ProviderError::Unsupported("push"))
    }

    /// Reads a push's status. May be retried (it changes nothing).
    ///
    /// # Errors
    /// [`ProviderError::Unsupported`] by default.
    async fn push_status(
        &self,
        _subject: u64,
        _push_id: &str,
    ) -> Result<PushStatus, ProviderError> {
        Err(ProviderError::Unsupported("push"))
    }

    /// Checks a code from the app, an SMS or a call.
    ///
    /// # Errors
    /// An error with [`is_token_rejection`](ProviderError::is_token_rejection) for a wrong or
    /// reused code.
    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError>;

    /// Checks the first code of a second factor being set up (the enrolment page's), which may
    /// also complete the set-up at the provider. By default, [`verify_code`](Self::verify_code).
    ///
    /// # Errors
    /// As [`verify_code`](Self::verify_code).
    async fn confirm_enrolment(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.verify_code(subject, code).await
    }

    /// Sends a code by SMS or call, even to a user who has an app.
    ///
    /// # Errors
    /// [`ProviderError::Unsupported`] by default.
    async fn send_code(
        &self,
        _subject: u64,
        channel: CodeChannel,
    ) -> Result<SendOutcome, ProviderError> {
        Err(ProviderError::Unsupported(channel.as_str()))
    }

    /// The phone number (E.164) that [`send_code`](Self::send_code) would send to, when the
    /// subject does not already stand for one phone: send limits then count per number, so
    /// that several accounts holding one number share its allowance. `None` by default (an
    /// Authy id is one phone).
    ///
    /// # Errors
    /// When the provider cannot answer (then nothing is sent).
    async fn phone_of(&self, _subject: u64) -> Result<Option<String>, ProviderError> {
        Ok(None)
    }

    /// The `otpauth://` URI for an authenticator app to scan at enrolment.
    ///
    /// # Errors
    /// [`ProviderError::Unsupported`] by default.
    async fn authenticator_uri(
        &self,
        _subject: u64,
        _label: &str,
    ) -> Result<String, ProviderError> {
        Err(ProviderError::Unsupported("authenticator app"))
    }

    /// Authenticates an incoming webhook about a push and says what it answered. Only the
    /// provider knows its signature scheme; the callback route then checks freshness, replay,
    /// the challenge and its state.
    ///
    /// # Errors
    /// [`WebhookError`]; [`WebhookError::Unsupported`] by default.
    fn authenticate_webhook(
        &self,
        _request: &WebhookRequest<'_>,
    ) -> Result<PushAnswer, WebhookError> {
        Err(WebhookError::Unsupported)
    }
}

#[async_trait]
impl<T: SecondFactorProvider + ?Sized> SecondFactorProvider for std::sync::Arc<T> {
    fn name(&self) -> &'static str {
        (**self).name()
    }
    fn capabilities(&self) -> Capabilities {
        (**self).capabilities()
    }
    fn app_label(&self) -> &'static str {
        (**self).app_label()
    }
    async fn register(&self, email: &str, phone: &str, cc: &str) -> Result<u64, ProviderError> {
        (**self).register(email, phone, cc).await
    }
    async fn start_push(&self, subject: u64, r: &PushRequest) -> Result<String, ProviderError> {
        (**self).start_push(subject, r).await
    }
    async fn push_status(&self, subject: u64, id: &str) -> Result<PushStatus, ProviderError> {
        (**self).push_status(subject, id).await
    }
    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        (**self).verify_code(subject, code).await
    }
    async fn confirm_enrolment(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        (**self).confirm_enrolment(subject, code).await
    }
    async fn send_code(&self, subject: u64, c: CodeChannel) -> Result<SendOutcome, ProviderError> {
        (**self).send_code(subject, c).await
    }
    async fn phone_of(&self, subject: u64) -> Result<Option<String>, ProviderError> {
        (**self).phone_of(subject).await
    }
    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        (**self).authenticator_uri(subject, label).await
    }
    fn authenticate_webhook(&self, r: &WebhookRequest<'_>) -> Result<PushAnswer, WebhookError> {
        (**self).authenticate_webhook(r)
    }
}
