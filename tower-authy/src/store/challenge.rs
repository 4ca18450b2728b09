//! The challenge store's contract: challenges, their states, and the atomic operations the
//! flows need.

use super::StoreError;
use crate::limits::AttemptLimits;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// Where a challenge is in its life. Only `Pending` can change; every other state is final
/// except `Approved`, which becomes `Completed` once the session is upgraded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChallengeState {
    /// Waiting for the push to be answered or a token to be entered.
    Pending,
    /// Approved by a valid callback; the browser still has to confirm.
    Approved,
    /// Denied on the phone.
    Denied,
    /// Not answered before its deadline.
    Expired,
    /// Too many wrong tokens.
    Locked,
    /// The session was upgraded. Nothing can use this challenge again.
    Completed,
}

impl ChallengeState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ChallengeState::Pending => "pending",
            ChallengeState::Approved => "approved",
            ChallengeState::Denied => "denied",
            ChallengeState::Expired => "expired",
            ChallengeState::Locked => "locked",
            ChallengeState::Completed => "completed",
        }
    }
}

/// One login attempt's second factor. Created after the password is accepted, bound to the
/// session that created it, to the user, to the factor and to the provider's push.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Random id, kept only in the server-side session.
    pub id: String,
    /// The application user.
    pub user_id: String,
    /// The provider's subject for the factor being proved (an Authy id, a Verify entity, a
    /// TOTP subject).
    #[serde(alias = "authy_id")]
    pub subject: u64,
    /// The provider of that factor, by name; empty for the first provider.
    #[serde(default)]
    pub provider: String,
    /// The factor being proved (its [`Factor::id`](crate::factors::Factor::id)); empty when unknown.
    #[serde(default)]
    pub factor_id: String,
    /// The provider's id for the push, when one was sent (Authy's approval uuid, Verify's
    /// challenge sid).
    #[serde(alias = "approval_uuid")]
    pub push_id: Option<String>,
    /// A short code shown on the login page and in the push, so that the user can tell their
    /// own request from someone else's.
    pub match_code: String,
    /// Current state.
    pub state: ChallengeState,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; a pending challenge past this is expired, whatever Authy says.
    pub expires_at: i64,
}

/// Whether a token attempt may go ahead.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptDecision {
    /// Counted; go ahead.
    Allowed,
    /// This challenge has used all its attempts.
    ChallengeExhausted,
    /// The account is locked.
    AccountLocked,
}

/// Per-login state with the atomic operations the flow needs. Every method must be atomic with
/// respect to the others on the same key, across every instance that shares the store.
#[async_trait]
pub trait ChallengeStore: Send + Sync + 'static {
    /// Stores a new challenge.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn create(&self, challenge: Challenge) -> Result<(), StoreError>;

    /// The challenge with this id.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn get(&self, id: &str) -> Result<Option<Challenge>, StoreError>;

    /// The challenge that sent this approval request.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn find_by_approval(&self, uuid: &str) -> Result<Option<Challenge>, StoreError>;

    /// Compare-and-set: moves the challenge from `from` to `to`. `Ok(false)` when it was not in
    /// `from` (or does not exist); then nothing changed.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn transition(
        &self,
        id: &str,
        from: ChallengeState,
        to: ChallengeState,
    ) -> Result<bool, StoreError>;

    /// Counts a token attempt against the challenge and the account, unless either is at its
    /// limit. Counting happens before Authy is asked, so parallel guesses cannot overshoot.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<AttemptDecision, StoreError>;

    /// Whether the account is locked now.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn account_locked(
        &self,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Forgets the account's failures (after a completed second factor).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError>;

    /// Takes one use of a rate-limited action (`key` names action and subject): `Ok(false)` when
    /// `max` uses already happened in the last `window_secs`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Records a callback nonce: `Ok(true)` the first time, `Ok(false)` for a replay. The record
    /// may be forgotten after `expires_at`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn consume_nonce(&self, key: &str, expires_at: i64, now: i64)
    -> Result<bool, StoreError>;

    /// Counts one attempt against a throttled key (a password guess, per account or per client
    /// address) unless the key is throttled. `Ok(false)`, and nothing counted, when `max`
    /// attempts are counted and the newest is less than `lockout_secs` old. A key idle for
    /// `lockout_secs` starts over from zero. Counting happens before the password is checked,
    /// so parallel guesses cannot overshoot `max`; a correct password is handed back with
    /// [`refund_attempt`](Self::refund_attempt).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError>;

    /// Hands back one attempt counted by [`take_attempt`](Self::take_attempt) (the password
    /// was right), so only failures add up. Never goes below zero.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError>;

    /// Keeps a ceremony's server-side state (a WebAuthn challenge, say) under `key` until
    /// `expires_at`, replacing any state there. The caller binds the key to what may finish the
    /// ceremony (the session, the user). The default keeps nothing and fails: a store that
    /// implements neither this nor [`take_ceremony`](Self::take_ceremony) supports no ceremony.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer (or keeps no ceremonies).
    async fn keep_ceremony(
        &self,
        key: &str,
        state: Vec<u8>,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let _ = (key, state, expires_at, now);
        Err(StoreError::unavailable(std::io::Error::other(
            "this challenge store keeps no ceremony state",
        )))
    }

    /// Takes the state kept under `key` and deletes it in the same step: `Some` for the first
    /// caller only, on whichever instance asks, and `None` once it expired or was taken, so a
    /// ceremony finishes at most once.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer (or keeps no ceremonies).
    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let _ = (key, now);
        Err(StoreError::unavailable(std::io::Error::other(
            "this challenge store keeps no ceremony state",
        )))
    }
}

/// A shared store is a store: hand the builder an `Arc` you also keep (or an
/// `Arc<dyn ChallengeStore>`).
#[async_trait]
impl<T: ChallengeStore + ?Sized> ChallengeStore for std::sync::Arc<T> {
    async fn create(&self, challenge: Challenge) -> Result<(), StoreError> {
        (**self).create(challenge).await
    }

    async fn get(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        (**self).get(id).await
    }

    async fn find_by_approval(&self, uuid: &str) -> Result<Option<Challenge>, StoreError> {
        (**self).find_by_approval(uuid).await
    }

    async fn transition(
        &self,
        id: &str,
        from: ChallengeState,
        to: ChallengeState,
    ) -> Result<bool, StoreError> {
        (**self).transition(id, from, to).await
    }

    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<AttemptDecision, StoreError> {
        (**self).begin_attempt(id, user_id, limits, now).await
    }

    async fn account_locked(
        &self,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError> {
        (**self).account_locked(user_id, limits, now).await
    }

    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        (**self).clear_failures(user_id).await
    }

    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        (**self).take_quota(key, max, window_secs, now).await
    }

    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        (**self).consume_nonce(key, expires_at, now).await
    }

    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        (**self).take_attempt(key, max, lockout_secs, now).await
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        (**self).refund_attempt(key).await
    }
    async fn keep_ceremony(
        &self,
        key: &str,
        state: Vec<u8>,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        (**self).keep_ceremony(key, state, expires_at, now).await
    }
    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).take_ceremony(key, now).await
    }
}
