//! [`MockAuthy`]: the handle tests hold to steer and inspect a running mock.

use crate::authy::ControlError;
use crate::authy::{
    ApprovalRequest, ApprovalStatus, OneTouchBehaviour, OutboxMessage, PhoneInfo,
    PhoneVerification, User,
};
use crate::callback::{CallbackDelivery, CallbackMethod};
use crate::limits::RateLimits;
use crate::model::{Fault, JournalEntry};
use crate::state::{CallbackTarget, Inner, reset};
use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, PoisonError};
use std::time::Duration;
use tokio::sync::watch;

/// A running mock Authy. Dropping it stops the server.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// let mock = mock_authy::MockAuthy::start().await?;
/// assert!(mock.base_url().starts_with("http://127.0.0.1:"));
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct MockAuthy {
    pub(crate) inner: Arc<Inner>,
    pub(crate) addr: SocketAddr,
    pub(crate) stop: watch::Sender<bool>,
    pub(crate) server: Option<tokio::task::JoinHandle<()>>,
}

impl MockAuthy {
    /// `http://127.0.0.1:PORT`, the base URL to give an Authy client.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The API key the mock accepts.
    pub fn api_key(&self) -> &str {
        &self.inner.config.api_key
    }

    /// Sets (or clears) where OneTouch callbacks are delivered.
    pub fn set_callback(&self, target: Option<(String, CallbackMethod)>) {
        *self
            .inner
            .callback
            .lock()
            .unwrap_or_else(PoisonError::into_inner) =
            target.map(|(url, method)| CallbackTarget { url, method });
    }

    /// Every registered user.
    pub fn users(&self) -> Vec<User> {
        self.inner
            .with_world(|w| w.authy.users.values().cloned().collect())
    }

    /// One user.
    pub fn user(&self, authy_id: u64) -> Option<User> {
        self.inner
            .with_world(|w| w.authy.users.get(&authy_id).cloned())
    }

    /// The SMS and voice codes sent to a user, oldest first.
    pub fn outbox(&self, authy_id: u64) -> Option<Vec<OutboxMessage>> {
        self.user(authy_id).map(|u| u.outbox)
    }

    /// The token the user's Authy app shows right now (on the mock's clock).
    pub fn app_token(&self, authy_id: u64) -> Option<String> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| w.authy.app_token(authy_id, now))
    }

    /// Every approval request, oldest first, with expiry applied.
    pub fn approval_requests(&self) -> Vec<ApprovalRequest> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| {
            w.authy.expire_overdue(now);
            w.authy.approvals.clone()
        })
    }

    /// Every phone verification (Phone Verification API), oldest first, with expiry applied:
    /// each has the code and the text the phone received.
    pub fn phone_verifications(&self) -> Vec<PhoneVerification> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| {
            w.authy.expire_verifications(now);
            w.authy.verifications.clone()
        })
    }

    /// What `phones/info` (and a verification's `carrier` and `is_cellphone`) say about a
    /// number from now on. Every number starts as a mobile on "Mock Mobile".
    ///
    /// # Errors
    /// [`ControlError::InvalidPhoneNumber`] when the number is not possible in that country.
    pub fn set_phone_info(
        &self,
        country_code: &str,
        number: &str,
        info: PhoneInfo,
    ) -> Result<(), ControlError> {
        let number = crate::numbering::PhoneNumber::parse(country_code, number)
            .map_err(|_| ControlError::InvalidPhoneNumber)?;
        self.inner
            .with_world(|w| w.authy.phone_info.insert(number.key(), info));
        Ok(())
    }

    /// Replaces the rate limits (SMS, calls, phone verifications per number).
    pub fn set_rate_limits(&self, limits: RateLimits) {
        self.inner.with_world(|w| w.rate_limits = limits);
    }

    /// Approves a pending request as the user's phone would, and delivers the callback.
    ///
    /// # Errors
    /// [`ControlError`] when the uuid is unknown or the request is no longer pending.
    pub async fn approve(&self, uuid: &str) -> Result<Option<CallbackDelivery>, ControlError> {
        self.inner
            .decide(uuid, ApprovalStatus::Approved)
            .await
            .map(|(_, d)| d)
    }

    /// Denies a pending request, and delivers the callback.
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub async fn deny(&self, uuid: &str) -> Result<Option<CallbackDelivery>, ControlError> {
        self.inner
            .decide(uuid, ApprovalStatus::Denied)
            .await
            .map(|(_, d)| d)
    }

    /// Every code sent through Verify v2 (SMS, call, email), oldest first, with expiry applied.
    pub fn verify_codes(&self) -> Vec<crate::VerifyCode> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| {
            w.verify.expire(now);
            w.verify.codes.clone()
        })
    }

    /// Every Verify v2 challenge, oldest first, with expiry applied.
    pub fn verify_challenges(&self) -> Vec<crate::VerifyChallenge> {
        let now = self.inner.clock.now();
        self.inner.with_world(|w| {
            w.verify.expire(now);
            w.verify.challenges.clone()
        })
    }

    /// Approves (`true`) or denies a pending Verify push challenge as the phone would, and
    /// delivers the webhooks subscribed to it.
    ///
    /// # Errors
    /// [`ControlError`] when the challenge is unknown, not a push, or no longer pending.
    pub async fn answer_challenge(
        &self,
        sid: &str,
        approve: bool,
    ) -> Result<Vec<CallbackDelivery>, ControlError> {
        crate::api::verify::decide(&self.inner, sid, approve)
            .await
            .map(|(_, d)| d)
    }

    /// The code the authenticator app holding a Verify TOTP factor shows now, as the user
    /// would read it off the phone. `None` for an unknown or push factor.
    pub fn verify_totp_code(&self, factor_sid: &str) -> Option<String> {
        let now = self.inner.clock.now();
        self.inner
            .with_world(|w| w.verify.totp_code(factor_sid, now))
    }

    /// The code the app holding an entity's newest TOTP factor shows now. `None` when the
    /// entity has no TOTP factor.
    pub fn verify_entity_totp_code(&self, identity: &str) -> Option<String> {
        let now = self.inner.clock.now();
        self.inner
            .with_world(|w| w.verify.entity_totp_code(identity, now))
    }

    /// Marks an entity's TOTP factors verified, as if the user had entered a code from the app
    /// at enrolment; how many there were.
    pub fn verify_totp_factors(&self, identity: &str) -> usize {
        self.inner
            .with_world(|w| w.verify.verify_totp_factors(identity))
    }

    /// Sets the metadata of an entity's TOTP factors, as the application that made them
    /// would have written it; how many there were.
    pub fn set_verify_totp_metadata(&self, identity: &str, metadata: &serde_json::Value) -> usize {
        self.inner
            .with_world(|w| w.verify.set_totp_metadata(identity, metadata))
    }

    /// Removes an entity's push factors, as if the user deleted the app: its challenges then
    /// cannot be pushed.
    pub fn remove_verify_push_factors(&self, identity: &str) {
        self.inner.with_world(|w| {
            w.verify
                .factors
                .retain(|f| !(f.identity == identity && f.push))
        });
    }

    /// Removes every Verify webhook subscription: answers then reach nobody.
    pub fn clear_verify_webhooks(&self) {
        self.inner.with_world(|w| w.verify.webhooks.clear());
    }

    /// The Twilio account SID the Verify v2 API accepts.
    pub fn twilio_account_sid(&self) -> &str {
        &self.inner.config.twilio.account_sid
    }

    /// The Twilio auth token the Verify v2 API accepts and signs webhooks with.
    pub fn twilio_auth_token(&self) -> &str {
        &self.inner.config.twilio.auth_token
    }

    /// Expires a pending request now. Authy sends no callback for expiry.
    ///
    /// # Errors
    /// As [`approve`](Self::approve).
    pub fn expire(&self, uuid: &str) -> Result<ApprovalRequest, ControlError> {
        let now = self.inner.clock.now();
        let r = self
            .inner
            .with_world(|w| w.authy.transition(uuid, ApprovalStatus::Expired, now));
        self.inner.notify();
        r
    }

    /// Sets how a user's phone answers OneTouch requests.
    ///
    /// # Errors
    /// [`ControlError::UnknownUser`].
    pub fn set_onetouch(
        &self,
        authy_id: u64,
        behaviour: OneTouchBehaviour,
    ) -> Result<(), ControlError> {
        let r = self.inner.with_world(|w| {
            let user = w
                .authy
                .users
                .get_mut(&authy_id)
                .ok_or(ControlError::UnknownUser)?;
            user.onetouch = behaviour;
            Ok(())
        });
        self.inner.notify();
        r
    }

    /// Adds a fault.
    pub fn inject_fault(&self, fault: Fault) {
        self.inner.with_world(|w| w.faults.push(fault));
    }

    /// Removes every fault.
    pub fn clear_faults(&self) {
        self.inner.with_world(|w| w.faults.clear());
    }

    /// Every Authy API request received (not control requests), oldest first.
    pub fn journal(&self) -> Vec<JournalEntry> {
        self.inner
            .with_world(|w| w.journal.iter().cloned().collect())
    }

    /// Every callback delivery, oldest first.
    pub fn deliveries(&self) -> Vec<CallbackDelivery> {
        self.inner.with_world(|w| w.deliveries.clone())
    }

    /// Forgets users, requests, faults and the journal, and puts the clock back.
    pub fn reset(&self) {
        reset(&self.inner);
    }

    /// Moves the mock's clock forward.
    pub fn advance_clock(&self, by: Duration) {
        self.inner
            .clock
            .advance(i64::try_from(by.as_secs()).unwrap_or(i64::MAX));
        self.inner.notify();
    }

    /// The mock's current Unix time in seconds.
    pub fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// Waits until `probe` returns `Some`, re-checking whenever the mock's state changes, for at
    /// most `deadline`. Returns `None` on timeout.
    pub async fn wait_for<T>(
        &self,
        deadline: Duration,
        mut probe: impl FnMut(&MockAuthy) -> Option<T>,
    ) -> Option<T> {
        let mut changes = self.inner.changes.subscribe();
        let wait = async {
            loop {
                if let Some(v) = probe(self) {
                    return v;
                }
                if changes.changed().await.is_err() {
                    std::future::pending::<()>().await;
                }
            }
        };
        tokio::time::timeout(deadline, wait).await.ok()
    }

    /// Stops accepting connections and waits for the accept loop to end.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }

    /// A future that completes when the mock's state next changes (a request, a decision, a reset).
    pub fn changed(&self) -> impl Future<Output = ()> + Send + 'static {
        let mut changes = self.inner.changes.subscribe();
        async move {
            let _ = changes.changed().await;
        }
    }
}

impl Drop for MockAuthy {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}
