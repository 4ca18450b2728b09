//! Metrics through the [`metrics`] facade: tower-authy records them and installs no exporter;
//! the application picks one (`metrics-exporter-prometheus`, as the demo does) or none, and
//! then they cost next to nothing. Names and labels follow Authelia's
//! (`authelia_authn_second_factor{success, type}`), under `tower_authy_`:
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `tower_authy_first_factor_total` | counter | `outcome`: `success`, `failure`, `throttled` |
//! | `tower_authy_second_factor_total` | counter | `outcome`: `success`, `failure`, `locked`, `expired`, `not_required` (a policy let a user without a factor in); `kind`: `push`, `code`, `recovery_code`, `remembered_device`, `none` |
//! | `tower_authy_pushes_total` | counter | `outcome`: `sent`, `unavailable`, `approved`, `denied` |
//! | `tower_authy_codes_sent_total` | counter | `channel`: `sms`, `call` |
//! | `tower_authy_throttled_total` | counter | `limit`: `password`, `code`, `factor`, `send`, `push`, `streams`, `busy` (hashing queue full) |
//! | `tower_authy_factor_changes_total` | counter | `change`: `enabled`, `disabled` |
//! | `tower_authy_recovery_codes_total` | counter | `event`: `generated`, `used` |
//! | `tower_authy_event_streams_open` | gauge | |
//! | `tower_authy_provider_request_duration_seconds` | histogram | `provider`; `operation`; `outcome`: `ok`, `refused`, `unavailable` |
//!
//! No label carries a user, an address or anything secret: their values are the fixed words
//! above, so the number of series is bounded.

use crate::provider::{
    Capabilities, CodeChannel, ProviderError, PushAnswer, PushRequest, PushStatus,
    SecondFactorProvider, SendOutcome, WebhookError, WebhookRequest,
};
use crate::secret::Token;
use async_trait::async_trait;
use std::sync::Arc;

/// The password step's outcome.
pub(crate) fn first_factor(outcome: &'static str) {
    metrics::counter!("tower_authy_first_factor_total", "outcome" => outcome).increment(1);
}

/// The second factor's outcome, by what proved (or failed to prove) it.
pub(crate) fn second_factor(outcome: &'static str, kind: &'static str) {
    metrics::counter!("tower_authy_second_factor_total", "outcome" => outcome, "kind" => kind)
        .increment(1);
}

/// A push sent, not sendable, or answered.
pub(crate) fn push(outcome: &'static str) {
    metrics::counter!("tower_authy_pushes_total", "outcome" => outcome).increment(1);
}

/// A push answered (from the callback, or read from the provider): the second factor's
/// outcome too.
pub(crate) fn pushed(to: crate::store::ChallengeState) {
    match to {
        crate::store::ChallengeState::Approved => {
            push("approved");
            second_factor("success", "push");
        }
        crate::store::ChallengeState::Denied => {
            push("denied");
            second_factor("failure", "push");
        }
        crate::store::ChallengeState::Expired => second_factor("expired", "push"),
        _ => {}
    }
}

/// A code sent by SMS or call.
pub(crate) fn code_sent(channel: CodeChannel) {
    metrics::counter!("tower_authy_codes_sent_total", "channel" => channel.as_str()).increment(1);
}

/// A request refused by one of the limits.
pub(crate) fn throttled(limit: &'static str) {
    metrics::counter!("tower_authy_throttled_total", "limit" => limit).increment(1);
}

/// A second factor turned on or off.
pub(crate) fn factor_change(change: &'static str) {
    metrics::counter!("tower_authy_factor_changes_total", "change" => change).increment(1);
}

/// A set of recovery codes made, or one used.
pub(crate) fn recovery_codes(event: &'static str) {
    metrics::counter!("tower_authy_recovery_codes_total", "event" => event).increment(1);
}

/// One more (`1.0`) or one fewer (`-1.0`) event stream open.
pub(crate) fn event_streams(delta: f64) {
    metrics::gauge!("tower_authy_event_streams_open").increment(delta);
}

/// A provider whose calls are timed into `tower_authy_provider_request_duration_seconds`.
#[derive(Debug)]
pub(crate) struct Timed(pub(crate) Arc<dyn SecondFactorProvider>);

impl Timed {
    async fn time<T>(
        &self,
        operation: &'static str,
        call: impl std::future::Future<Output = Result<T, ProviderError>>,
    ) -> Result<T, ProviderError> {
        let started = std::time::Instant::now();
        let result = call.await;
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) if e.is_unavailable() => "unavailable",
            Err(_) => "refused",
        };
        metrics::histogram!(
            "tower_authy_provider_request_duration_seconds",
            "provider" => self.0.name(),
            "operation" => operation,
            "outcome" => outcome,
        )
        .record(started.elapsed().as_secs_f64());
        result
    }
}

#[async_trait]
impl SecondFactorProvider for Timed {
    fn name(&self) -> &'static str {
        self.0.name()
    }
    fn capabilities(&self) -> Capabilities {
        self.0.capabilities()
    }
    fn app_label(&self) -> &'static str {
        self.0.app_label()
    }
    async fn register(&self, email: &str, phone: &str, cc: &str) -> Result<u64, ProviderError> {
        self.time("register", self.0.register(email, phone, cc))
            .await
    }
    async fn start_push(&self, subject: u64, r: &PushRequest) -> Result<String, ProviderError> {
        self.time("start_push", self.0.start_push(subject, r)).await
    }
    async fn push_status(&self, subject: u64, id: &str) -> Result<PushStatus, ProviderError> {
        self.time("push_status", self.0.push_status(subject, id))
            .await
    }
    async fn verify_code(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.time("verify_code", self.0.verify_code(subject, code))
            .await
    }
    async fn confirm_enrolment(&self, subject: u64, code: &Token) -> Result<(), ProviderError> {
        self.time("confirm_enrolment", self.0.confirm_enrolment(subject, code))
            .await
    }
    async fn send_code(&self, subject: u64, c: CodeChannel) -> Result<SendOutcome, ProviderError> {
        self.time("send_code", self.0.send_code(subject, c)).await
    }
    async fn phone_of(&self, subject: u64) -> Result<Option<String>, ProviderError> {
        self.time("phone_of", self.0.phone_of(subject)).await
    }
    async fn authenticator_uri(&self, subject: u64, label: &str) -> Result<String, ProviderError> {
        self.time(
            "authenticator_uri",
            self.0.authenticator_uri(subject, label),
        )
        .await
    }
    fn authenticate_webhook(&self, r: &WebhookRequest<'_>) -> Result<PushAnswer, WebhookError> {
        self.0.authenticate_webhook(r)
    }
}
