//! The three providers a [`World`](crate::World) can run on, and what a test does to each
//! through one vocabulary: register a user, see and answer the push, read the code the phone
//! shows or was sent, count the code checks.

use crate::WAIT;
use crate::world::World;
use async_trait::async_trait;
use mock_authy::{MockAuthy, OneTouchBehaviour};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower_authy::{
    SecondFactorProvider, provider::Capabilities, provider::CodeChannel, provider::ProviderError,
    provider::PushAnswer, provider::PushRequest, provider::PushStatus, provider::SendOutcome,
    provider::WebhookError, provider::WebhookRequest, secret::Token,
};

/// Which provider proves the second factor.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProviderKind {
    /// The Authy API ([`tower_authy::provider::authy::AuthyClient`]) on the mock.
    Authy,
    /// Twilio Verify v2 ([`tower_authy::provider::verify::VerifyProvider`]) on the mock.
    Verify,
    /// The self-hosted [`tower_authy::provider::totp::TotpProvider`]: no network.
    Totp,
}

impl ProviderKind {
    /// Every provider.
    pub const ALL: [ProviderKind; 3] = [
        ProviderKind::Authy,
        ProviderKind::Verify,
        ProviderKind::Totp,
    ];

    /// Whether it sends pushes.
    pub fn pushes(self) -> bool {
        self != ProviderKind::Totp
    }
}

/// Counts the code checks that reach a provider (the brute-force bound is about these).
#[derive(Debug)]
pub struct Counting<P> {
    inner: P,
    /// Calls to `verify_code` so far.
    pub checks: Arc<AtomicUsize>,
}

impl<P> Counting<P> {
    /// Wraps a provider.
    pub fn new(inner: P) -> (Counting<P>, Arc<AtomicUsize>) {
        let checks = Arc::new(AtomicUsize::new(0));
        (
            Counting {
                inner,
                checks: Arc::clone(&checks),
            },
            checks,
        )
    }
}

#[async_trait]
impl<P: SecondFactorProvider> SecondFactorProvider for Counting<P> {
    fn name(&self) -> &'static str {
        self.inner.name()
    }
    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }
    fn app_label(&self) -> &'static str {
        self.inner.app_label()
    }
    async fn register(&self, email: &str, phone: &str, cc: &str) -> Result<u64, ProviderError> {
        self.inner.register(email, phone, cc).await
    }
    async fn start_push(&self, subject: u64, r: &PushRequest) -> Result<String, ProviderError> {
        self.inner.start_push(subject, r).await
    }
    async fn push_status(&self, subject: u64, id: &str) -> Result<PushStatus, ProviderError> {
        self.inner.push_status(subject, id).await
    }
    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.checks.fetch_add(1, Ordering::SeqCst);
        self.inner.verify_code(subject, code).await
    }
    async fn confirm_enrolment(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.inner.confirm_enrolment(subject, code).await
    }
    async fn phone_of(&self, subject: u64) -> Result<Option<String>, ProviderError> {
        self.inner.phone_of(subject).await
    }
    async fn send_code(&self, subject: u64, c: CodeChannel) -> Result<SendOutcome, ProviderError> {
        self.inner.send_code(subject, c).await
    }
    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        self.inner.authenticator_uri(subject, label).await
    }
    fn authenticate_webhook(&self, r: &WebhookRequest<'_>) -> Result<PushAnswer, WebhookError> {
        self.inner.authenticate_webhook(r)
    }
}

/// An app's provider of `kind` on the mock at `mock_base`, counted: the provider, its code
/// checks so far, and the TOTP provider itself when that is the kind. A Verify provider has its
/// webhook pointed at `callback_url`.
pub async fn provider(
    kind: ProviderKind,
    mock_base: &str,
    authy_key: &str,
    timeout: std::time::Duration,
    clock: impl tower_authy::store::Clock + Clone,
    callback_url: &str,
) -> (
    Arc<dyn SecondFactorProvider>,
    Arc<AtomicUsize>,
    Option<tower_authy::provider::totp::TotpProvider>,
) {
    let connect = timeout.min(std::time::Duration::from_secs(1));
    match kind {
        ProviderKind::Authy => {
            let authy = tower_authy::provider::authy::AuthyClient::builder(
                tower_authy::secret::ApiKey::new(authy_key),
            )
            .base_url(mock_base)
            .timeouts(connect, timeout)
            .build()
            .unwrap();
            let (counting, checks) = Counting::new(authy);
            (Arc::new(counting), checks, None)
        }
        ProviderKind::Verify => {
            let verify = tower_authy::provider::verify::VerifyProvider::builder(
                mock_authy::DEFAULT_ACCOUNT_SID,
                tower_authy::secret::ApiKey::new(mock_authy::DEFAULT_AUTH_TOKEN),
                mock_authy::DEFAULT_SERVICE_SID,
            )
            .base_url(mock_base)
            .timeouts(connect, timeout)
            .clock(clock)
            .build()
            .unwrap();
            verify.ensure_webhook(callback_url).await.unwrap();
            let (counting, checks) = Counting::new(verify);
            (Arc::new(counting), checks, None)
        }
        ProviderKind::Totp => {
            let totp = tower_authy::provider::totp::TotpProvider::builder(
                tower_authy::provider::totp::TotpKey::from_bytes([11; 32]),
                tower_authy::provider::totp::MemoryTotpSecretStore::new(),
            )
            .clock(clock)
            .build()
            .unwrap();
            let (counting, checks) = Counting::new(totp.clone());
            (Arc::new(counting), checks, Some(totp))
        }
    }
}

/// A push as the phone shows it, whatever the provider.
#[derive(Debug, Clone)]
pub struct ShownPush {
    /// The id the provider gave it (approval uuid, challenge sid).
    pub id: String,
    /// The subject it was sent to.
    pub subject: u64,
    /// The notification's text.
    pub message: String,
    /// Label → value pairs shown in the app.
    pub details: serde_json::Map<String, serde_json::Value>,
    /// The hidden details.
    pub hidden: serde_json::Value,
    /// Seconds until the provider expires it.
    pub ttl: i64,
    /// Unix seconds on the mock's clock.
    pub created_at: i64,
}

fn identity(subject: u64) -> String {
    format!("ta-{subject:016x}")
}

/// Every push `kind` has sent through `mock`, oldest first.
pub fn pushes(kind: ProviderKind, mock: &MockAuthy) -> Vec<ShownPush> {
    match kind {
        ProviderKind::Authy => mock
            .approval_requests()
            .into_iter()
            .map(|a| ShownPush {
                id: a.uuid,
                subject: a.authy_id,
                message: a.message,
                details: a.details.as_object().cloned().unwrap_or_default(),
                hidden: a.hidden_details,
                ttl: a.seconds_to_expire,
                created_at: a.created_at,
            })
            .collect(),
        ProviderKind::Verify => mock
            .verify_challenges()
            .into_iter()
            .filter(|c| c.factor_type == "push")
            .map(|c| ShownPush {
                subject: u64::from_str_radix(&c.identity[3..], 16).unwrap_or(0),
                id: c.sid,
                message: c.message,
                details: c
                    .fields
                    .iter()
                    .map(|f| {
                        (
                            f["label"].as_str().unwrap_or("").to_owned(),
                            f["value"].clone(),
                        )
                    })
                    .collect(),
                hidden: c.hidden_details,
                ttl: c.expires_at - c.created_at,
                created_at: c.created_at,
            })
            .collect(),
        ProviderKind::Totp => Vec::new(),
    }
}

/// The codes `kind` sent through `mock` to `subject`, whose phone is `phone` (E.164), oldest
/// first: (`sms` or `call`, code, Unix seconds).
pub fn sent_codes(
    kind: ProviderKind,
    mock: &MockAuthy,
    subject: u64,
    phone: &str,
) -> Vec<(String, String, i64)> {
    match kind {
        ProviderKind::Authy => mock
            .outbox(subject)
            .unwrap_or_default()
            .into_iter()
            .map(|m| {
                (
                    format!("{:?}", m.channel).to_lowercase(),
                    m.token,
                    m.sent_at,
                )
            })
            .collect(),
        ProviderKind::Verify => mock
            .verify_codes()
            .into_iter()
            .filter(|c| c.to == phone)
            .map(|c| (c.channel, c.code, c.created_at))
            .collect(),
        ProviderKind::Totp => Vec::new(),
    }
}

/// Answers a push on `mock`'s phone: the deliveries of its callback or webhooks.
pub async fn answer(
    kind: ProviderKind,
    mock: &MockAuthy,
    push: &str,
    approve: bool,
) -> Vec<mock_authy::CallbackDelivery> {
    match kind {
        ProviderKind::Authy => {
            let d = if approve {
                mock.approve(push).await
            } else {
                mock.deny(push).await
            };
            d.ok().flatten().into_iter().collect()
        }
        _ => mock
            .answer_challenge(push, approve)
            .await
            .unwrap_or_default(),
    }
}

/// The code the app of `subject` on `kind` shows now (the TOTP provider's own for `Totp`).
pub async fn app_code(
    kind: ProviderKind,
    mock: &MockAuthy,
    totp: Option<&tower_authy::provider::totp::TotpProvider>,
    subject: u64,
    now: i64,
) -> String {
    match kind {
        ProviderKind::Authy => mock.app_token(subject).unwrap(),
        ProviderKind::Verify => mock.verify_entity_totp_code(&identity(subject)).unwrap(),
        ProviderKind::Totp => totp.unwrap().code_at(subject, now).await.unwrap(),
    }
}

impl World {
    /// Every push sent so far, oldest first.
    pub fn pushes(&self) -> Vec<ShownPush> {
        pushes(self.provider, &self.mock)
    }

    /// The newest push to `subject`, waiting for it to exist.
    pub async fn latest_push(&self, subject: u64) -> String {
        self.mock
            .wait_for(WAIT, |_| {
                self.pushes()
                    .into_iter()
                    .rev()
                    .find(|p| p.subject == subject)
                    .map(|p| p.id)
            })
            .await
            .expect("a push was sent")
    }

    /// Answers a push on the phone; the HTTP status the app gave each webhook or callback it
    /// was sent (empty when none was).
    pub async fn answer(&self, push: &str, approve: bool) -> Vec<Option<u16>> {
        let deliveries = answer(self.provider, &self.mock, push, approve).await;
        deliveries
            .iter()
            .map(mock_authy::CallbackDelivery::last_status)
            .collect()
    }

    /// Taps Approve; panics unless the app took the callback.
    pub async fn approve(&self, push: &str) {
        assert_eq!(
            self.answer(push, true).await,
            [Some(200)],
            "the app took the callback"
        );
    }

    /// From now on the provider's answers reach nobody (the app must read them itself).
    pub fn lose_callbacks(&self) {
        self.mock.set_callback(None);
        self.mock.clear_verify_webhooks();
    }

    /// The code the user's app shows now.
    pub async fn app_code(&self, subject: u64) -> String {
        use tower_authy::store::Clock;
        app_code(
            self.provider,
            &self.mock,
            self.totp.as_ref(),
            subject,
            self.clock.now(),
        )
        .await
    }

    /// The codes sent to `subject`'s phone, oldest first: (`sms` or `call`, code).
    pub fn sent_codes(&self, subject: u64) -> Vec<(String, String)> {
        let phone = self
            .phones
            .lock()
            .unwrap()
            .get(&subject)
            .cloned()
            .unwrap_or_default();
        sent_codes(self.provider, &self.mock, subject, &phone)
            .into_iter()
            .map(|(channel, code, _)| (channel, code))
            .collect()
    }

    /// Whether the app asked the provider for a push's state (the poll fallback).
    pub fn read_a_push(&self) -> bool {
        self.mock.journal().iter().any(|e| {
            e.endpoint == "approval_request_get"
                || (e.endpoint == "verify_challenge" && e.method == "GET")
        })
    }

    /// Code checks that reached the provider so far.
    pub fn code_checks(&self) -> usize {
        self.checks.load(Ordering::SeqCst)
    }

    /// Registers a user whose phone cannot take pushes.
    pub async fn user_without_device(&self, email: &str, phone: &str) -> u64 {
        let id = self.user(email, phone).await;
        match self.provider {
            ProviderKind::Authy => self
                .mock
                .set_onetouch(id, OneTouchBehaviour::NoDevice)
                .unwrap(),
            ProviderKind::Verify => self.mock.remove_verify_push_factors(&identity(id)),
            ProviderKind::Totp => {}
        }
        id
    }
}

/// A Verify webhook's parameters answering `challenge` for `subject`, as delivery `uuid`.
pub fn verify_answer(
    uuid: &str,
    challenge: &str,
    subject: u64,
    approved: bool,
) -> Vec<(String, String)> {
    let event = if approved {
        "challenge.approved"
    } else {
        "challenge.denied"
    };
    [
        ("uuid", uuid.to_owned()),
        ("type", event.to_owned()),
        ("entity_identity", identity(subject)),
        ("challenge_sid", challenge.to_owned()),
        ("factor_type", "push".to_owned()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Posts `params` as a Verify webhook to `callback_url`, signed with `token` over `signed_url`;
/// the status the app answered.
pub async fn post_verify_webhook(
    callback_url: &str,
    params: &[(String, String)],
    token: &str,
    signed_url: &str,
) -> u16 {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    reqwest::Client::new()
        .post(callback_url)
        .header("content-type", "application/x-www-form-urlencoded")
        .header(
            "x-twilio-signature",
            mock_authy::signature::twilio(token, signed_url, params),
        )
        .body(body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

impl World {
    /// Registers a user and logs them in with the password: the browser, the subject, and the
    /// push sent (waited for).
    pub async fn pending_login(&self, email: &str, phone: &str) -> (crate::Browser, u64, String) {
        let subject = self.user(email, phone).await;
        let mut b = self.browser();
        assert_eq!(b.login(email, crate::PASSWORD).await.status, 303);
        let push = self.latest_push(subject).await;
        (b, subject, push)
    }
}
