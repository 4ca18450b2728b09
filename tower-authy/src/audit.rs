//! Audit events: what happened to a user's sign-in, as typed events handed to an
//! [`AuditSink`] the application implements (a "recent security activity" page, a notice
//! by email when a factor changes, a SIEM).
//!
//! Each action emits its event once, where the store's compare-and-set decides it happened
//! (a push approved by the callback and noticed by a poll is approved once). Every event
//! carries the user, a digest of the session id (never the id itself), the client address
//! (as the login throttle counts it: behind trusted proxies the one they saw, IPv6 by
//! prefix) and the time. No event carries a password, code, key, token or signature.
//!
//! ```
//! use std::sync::{Arc, Mutex};
//! use tower_authy::audit::{AuditEvent, AuditSink, EventKind};
//!
//! /// Keeps the events of factor changes, to email the user about them.
//! #[derive(Default)]
//! struct FactorChanges(Mutex<Vec<AuditEvent>>);
//!
//! impl AuditSink for FactorChanges {
//!     fn record(&self, event: &AuditEvent) {
//!         if matches!(event.kind, EventKind::FactorAdded { .. } | EventKind::FactorRemoved { .. }) {
//!             self.0.lock().unwrap().push(event.clone());
//!         }
//!     }
//! }
//! # let authy = tower_authy::provider::authy::AuthyClient::builder(tower_authy::secret::ApiKey::new("k")).build().unwrap();
//! let changes = Arc::new(FactorChanges::default());
//! let two_factor = tower_authy::TwoFactor::builder(authy, tower_authy::store::MemoryUserStore::new(), tower_authy::store::MemoryUserStore::new())
//!     .callback_url("https://app.example/authy/callback")
//!     .audit(Arc::clone(&changes))
//!     .build()
//!     .unwrap();
//! # drop(two_factor);
//! ```

use crate::store::factor::FactorKind;
use serde::Serialize;
use std::sync::Arc;
use tower_sessions::Session;

/// Where the events go. `record` runs on the request's task, inside the action: keep it quick
/// and never block (hand slow work, such as sending mail, to a task or a channel).
pub trait AuditSink: Send + Sync + 'static {
    /// One event, once.
    fn record(&self, event: &AuditEvent);
}

impl<T: AuditSink + ?Sized> AuditSink for Arc<T> {
    fn record(&self, event: &AuditEvent) {
        (**self).record(event);
    }
}

/// Drops every event. What an application without a sink gets.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoAudit;

impl AuditSink for NoAudit {
    fn record(&self, _event: &AuditEvent) {}
}

/// Logs every event with `tracing` at `info` (target `tower_authy::audit`), as
/// `audit = "<kind as JSON>"` with the user, session digest and client address as fields.
#[derive(Debug, Clone, Copy, Default)]
pub struct TracingAudit;

impl AuditSink for TracingAudit {
    fn record(&self, e: &AuditEvent) {
        let kind = serde_json::to_string(&e.kind).unwrap_or_default();
        tracing::info!(
            target: "tower_authy::audit",
            audit = %kind,
            user_id = e.user_id.as_deref().unwrap_or(""),
            session = e.session.as_deref().unwrap_or(""),
            client = e.client.as_deref().unwrap_or(""),
            at = e.at,
            "audit event"
        );
    }
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub struct AuditEvent {
    /// What happened.
    pub kind: EventKind,
    /// The user it happened to (`None`: a password refused for a login that names nobody
    /// known, or one not checked).
    pub user_id: Option<String>,
    /// A digest of the session id the request came with (16 hex digits of its SHA-256), to
    /// tell one browser's events from another's; `None` for a request without a session (a
    /// provider's callback) and outside a request (an administrator's reset).
    pub session: Option<String>,
    /// The client's address, as the login throttle counts it; `None` when unknown, and for
    /// what a provider's callback reports.
    pub client: Option<String>,
    /// Unix seconds, from the configured clock.
    pub at: i64,
}

/// How a second factor was proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Method {
    /// A push approved on the phone.
    Push,
    /// A code from an app, an SMS or a call.
    Code,
    /// One of the user's recovery codes.
    RecoveryCode,
    /// A device the user asked to be remembered stood in for the second factor.
    RememberedDevice,
    /// A passkey or security key (WebAuthn).
    Passkey,
}

/// What a push came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum PushOutcome {
    /// Approved on the phone.
    Approved,
    /// Denied on the phone.
    Denied,
    /// Not answered in time.
    Expired,
}

/// What happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// The first factor was accepted.
    PasswordAccepted,
    /// The first factor was refused: wrong, or not checked because the login or address is
    /// throttled.
    PasswordRefused {
        /// Refused unchecked by the throttle.
        throttled: bool,
    },
    /// The second factor was proved (the login completes, or a session proves it again).
    SecondFactorProved {
        /// How.
        method: Method,
        /// Which of the user's factors, when one was (not for a remembered device).
        factor_id: Option<String>,
    },
    /// A code (or recovery code) was wrong.
    SecondFactorRefused {
        /// Which kind of code.
        method: Method,
    },
    /// Too many wrong codes: the account is locked for a while.
    Locked,
    /// A push was sent.
    PushSent {
        /// The factor it was sent to.
        factor_id: String,
    },
    /// A push was answered, or expired.
    PushAnswered {
        /// How.
        outcome: PushOutcome,
    },
    /// A code was sent by SMS or call.
    CodeSent {
        /// `sms` or `call`.
        channel: &'static str,
    },
    /// A factor was added (enrolment proved it).
    FactorAdded {
        /// Its id.
        factor_id: String,
        /// Its kind.
        kind: FactorKind,
    },
    /// A factor was removed (by the user, or switched off).
    FactorRemoved {
        /// Its id.
        factor_id: String,
    },
    /// New recovery codes replaced any earlier set.
    RecoveryCodesGenerated,
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// How many unused codes are left.
        codes_left: usize,
    },
    /// The browser was remembered for the second factor.
    DeviceRemembered,
    /// Remembered devices were forgotten.
    DevicesForgotten {
        /// How many.
        count: usize,
    },
    /// tower-authy raised the user's credential epoch (a factor removed, a reset): every
    /// earlier session and remembered device stops counting.
    EpochBumped,
    /// An administrator reset the user's second factors.
    AdminReset {
        /// Factors removed.
        factors_removed: usize,
    },
}

/// The request an event comes from: set around each of tower-authy's routes and the guard.
#[derive(Clone)]
pub(crate) struct Origin {
    /// The digest of the session id the request came with.
    pub(crate) session: Option<String>,
    pub(crate) client: Option<String>,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

/// Runs `f` with `origin` as the origin of the events it emits.
pub(crate) async fn within<F: std::future::Future>(origin: Origin, f: F) -> F::Output {
    ORIGIN.scope(origin, f).await
}

/// The configured sink (if any) and the clock that stamps its events.
#[derive(Clone)]
pub(crate) struct Auditor {
    pub(crate) sink: Option<Arc<dyn AuditSink>>,
    pub(crate) clock: Arc<dyn crate::store::Clock>,
}

impl Auditor {
    /// Whether events go anywhere.
    pub(crate) fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// Hands `kind`, for `user_id`, to the sink (if any), with the current request's session
    /// digest and client address.
    pub(crate) fn emit(&self, kind: EventKind, user_id: Option<&str>) {
        let Some(sink) = &self.sink else {
            return;
        };
        let (session, client) = ORIGIN
            .try_with(|o| (o.session.clone(), o.client.clone()))
            .unwrap_or((None, None));
        sink.record(&AuditEvent {
            kind,
            user_id: user_id.map(str::to_owned),
            session,
            client,
            at: self.clock.now(),
        });
    }
}

/// Hands `kind` to `sink` outside any request (an administrator's call), stamped with the
/// system clock.
pub(crate) fn record_now(sink: &dyn AuditSink, kind: EventKind, user_id: &str) {
    let at = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX));
    sink.record(&AuditEvent {
        kind,
        user_id: Some(user_id.to_owned()),
        session: None,
        client: None,
        at,
    });
}

/// 16 hex digits of the SHA-256 of `id`.
fn digest(id: &str) -> String {
    use sha2::{Digest, Sha256};
    data_encoding::HEXLOWER.encode(&Sha256::digest(id.as_bytes())[..8])
}

/// The origin of a request: the digest of the session id it came with (a login changes it
/// before its events are emitted) and its client address.
pub(crate) fn origin(session: Option<&Session>, client: Option<String>) -> Origin {
    Origin {
        session: session
            .and_then(Session::id)
            .map(|id| digest(&id.to_string())),
        client,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_serialise_with_their_kind_and_no_more() {
        let e = EventKind::SecondFactorProved {
            method: Method::RecoveryCode,
            factor_id: None,
        };
        assert_eq!(
            serde_json::to_string(&e).unwrap(),
            r#"{"event":"second_factor_proved","method":"recovery_code","factor_id":null}"#
        );
        assert_eq!(digest("x").len(), 16);
    }
}
