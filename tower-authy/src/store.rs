//! Where state lives: the application's users ([`UserStore`]), and the per-login challenges,
//! counters and nonces ([`ChallengeStore`]). Both are traits so that a shared store can serve
//! several instances: the callback may land on instance B while the browser waits on instance A.

use crate::limits::AttemptLimits;
use crate::secret::{Password, ct_eq};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

/// A store could not answer. Nobody gets in while this happens.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The backing service failed or could not be reached.
    #[error("the store is unavailable")]
    Unavailable(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl StoreError {
    /// Wraps the backing service's error.
    pub fn unavailable(e: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        StoreError::Unavailable(e.into())
    }
}

/// An application user, as tower-authy needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Stable id, kept in the session.
    pub id: String,
    /// What the user types to log in (an email in the tutorial).
    pub login: String,
    /// The Authy id from registration; `None` means no second factor is set up, and such a user
    /// cannot log in through tower-authy.
    pub authy_id: Option<u64>,
}

/// The application's users: the first factor.
///
/// `Ok(None)` means "no such user" or "wrong password", never an error. Implementations should
/// spend about as long on an unknown login as on a wrong password (hash a dummy password), so
/// that timing does not reveal which logins exist.
///
/// ```
/// use tower_authy::{MemoryUserStore, Password, UserStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let users = MemoryUserStore::new();
/// let id = users.insert("ada@example.com", "correct horse", Some(1234));
/// let found = users.verify_password("ada@example.com", &Password::new("correct horse")).await.unwrap();
/// assert_eq!(found.unwrap().id, id);
/// assert!(users.verify_password("ada@example.com", &Password::new("wrong")).await.unwrap().is_none());
/// # }
/// ```
#[async_trait]
pub trait UserStore: Send + Sync + 'static {
    /// The user with this login, if the password is theirs.
    ///
    /// # Errors
    /// [`StoreError`] only when the store cannot answer.
    async fn verify_password(
        &self,
        login: &str,
        password: &Password,
    ) -> Result<Option<UserRecord>, StoreError>;

    /// The user with this id.
    ///
    /// # Errors
    /// [`StoreError`] only when the store cannot answer.
    async fn load(&self, id: &str) -> Result<Option<UserRecord>, StoreError>;
}

/// An in-memory [`UserStore`] for tests and examples. Passwords are kept as keyed hashes and
/// compared in constant time.
#[derive(Clone)]
pub struct MemoryUserStore {
    inner: Arc<Mutex<MemoryUsers>>,
}

struct MemoryUsers {
    key: [u8; 32],
    by_login: HashMap<String, (UserRecord, [u8; 32])>,
    next_id: u64,
}

impl std::fmt::Debug for MemoryUserStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = self
            .inner
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .by_login
            .len();
        f.debug_struct("MemoryUserStore")
            .field("users", &n)
            .finish()
    }
}

impl Default for MemoryUserStore {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        MemoryUserStore {
            inner: Arc::new(Mutex::new(MemoryUsers {
                key: crate::random::bytes(),
                by_login: HashMap::new(),
                next_id: 1,
            })),
        }
    }

    /// Adds (or replaces) a user and returns their id.
    pub fn insert(&self, login: &str, password: &str, authy_id: Option<u64>) -> String {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let id = users
            .by_login
            .get(login)
            .map_or_else(|| users.next_id.to_string(), |(u, _)| u.id.clone());
        users.next_id += 1;
        let hash = keyed_hash(&users.key, password);
        users.by_login.insert(
            login.to_owned(),
            (
                UserRecord {
                    id: id.clone(),
                    login: login.to_owned(),
                    authy_id,
                },
                hash,
            ),
        );
        id
    }
}

fn keyed_hash(key: &[u8], password: &str) -> [u8; 32] {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(password.as_bytes());
    mac.finalize().into_bytes().into()
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn verify_password(
        &self,
        login: &str,
        password: &Password,
    ) -> Result<Option<UserRecord>, StoreError> {
        let users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let given = keyed_hash(&users.key, password.expose());
        // Compare against a dummy for unknown logins too, so both paths do the same work.
        let (user, stored) = match users.by_login.get(login) {
            Some((u, h)) => (Some(u), *h),
            None => (None, [0u8; 32]),
        };
        let matches = ct_eq(&given, &stored);
        Ok(user.filter(|_| matches).cloned())
    }

    async fn load(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        let users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(users
            .by_login
            .values()
            .find(|(u, _)| u.id == id)
            .map(|(u, _)| u.clone()))
    }
}

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
/// session that created it, to the user, and to the Authy approval request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Challenge {
    /// Random id, kept only in the server-side session.
    pub id: String,
    /// The application user.
    pub user_id: String,
    /// The user's Authy id.
    pub authy_id: u64,
    /// The OneTouch approval request, when a push was sent.
    pub approval_uuid: Option<String>,
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
}

/// An in-memory [`ChallengeStore`] for one instance. State is lost on restart, which fails
/// closed: a pending login cannot be completed after it.
#[derive(Debug, Clone, Default)]
pub struct MemoryChallengeStore {
    inner: Arc<Mutex<MemoryChallenges>>,
}

#[derive(Debug, Default)]
struct MemoryChallenges {
    challenges: HashMap<String, Challenge>,
    by_uuid: HashMap<String, String>,
    attempts: HashMap<String, u32>,
    accounts: HashMap<String, (u32, i64)>,
    quotas: HashMap<String, VecDeque<i64>>,
    nonces: HashMap<String, i64>,
    /// Throttled keys: attempts counted and the time of the newest.
    throttles: HashMap<String, (u32, i64)>,
    creates: u64,
}

/// Finished challenges are kept this long after their deadline, so late callbacks are refused
/// with "not pending" rather than "unknown".
const RETAIN_SECS: i64 = 3600;

impl MemoryChallengeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryChallenges> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl MemoryChallenges {
    fn purge(&mut self, now: i64) {
        let stale: Vec<String> = self
            .challenges
            .values()
            .filter(|c| c.expires_at + RETAIN_SECS < now)
            .map(|c| c.id.clone())
            .collect();
        for id in stale {
            if let Some(c) = self.challenges.remove(&id) {
                if let Some(u) = c.approval_uuid {
                    self.by_uuid.remove(&u);
                }
            }
            self.attempts.remove(&id);
        }
        self.nonces.retain(|_, exp| *exp >= now);
        // No lockout is configured longer than a day.
        self.throttles.retain(|_, (_, last)| now - *last < 86_400);
    }

    fn account_locked(&mut self, user_id: &str, limits: &AttemptLimits, now: i64) -> bool {
        match self.accounts.get(user_id) {
            Some(&(failures, last)) if now - last >= limits.lockout_secs => {
                // The lock (or the streak) has run out.
                if failures > 0 {
                    self.accounts.remove(user_id);
                }
                false
            }
            Some(&(failures, _)) => failures >= limits.per_account,
            None => false,
        }
    }
}

#[async_trait]
impl ChallengeStore for MemoryChallengeStore {
    async fn create(&self, challenge: Challenge) -> Result<(), StoreError> {
        let mut s = self.lock();
        s.creates += 1;
        if s.creates % 4096 == 0 {
            let now = challenge.created_at;
            s.purge(now);
        }
        if let Some(u) = &challenge.approval_uuid {
            s.by_uuid.insert(u.clone(), challenge.id.clone());
        }
        s.challenges.insert(challenge.id.clone(), challenge);
        Ok(())
    }

    async fn get(&self, id: &str) -> Result<Option<Challenge>, StoreError> {
        Ok(self.lock().challenges.get(id).cloned())
    }

    async fn find_by_approval(&self, uuid: &str) -> Result<Option<Challenge>, StoreError> {
        let s = self.lock();
        Ok(s.by_uuid
            .get(uuid)
            .and_then(|id| s.challenges.get(id))
            .cloned())
    }

    async fn transition(
        &self,
        id: &str,
        from: ChallengeState,
        to: ChallengeState,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        Ok(match s.challenges.get_mut(id) {
            Some(c) if c.state == from => {
                c.state = to;
                true
            }
            _ => false,
        })
    }

    async fn begin_attempt(
        &self,
        id: &str,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<AttemptDecision, StoreError> {
        let mut s = self.lock();
        if s.account_locked(user_id, limits, now) {
            return Ok(AttemptDecision::AccountLocked);
        }
        let used = s.attempts.get(id).copied().unwrap_or(0);
        if used >= limits.per_challenge {
            return Ok(AttemptDecision::ChallengeExhausted);
        }
        s.attempts.insert(id.to_owned(), used + 1);
        let account = s.accounts.entry(user_id.to_owned()).or_insert((0, now));
        *account = (account.0 + 1, now);
        Ok(AttemptDecision::Allowed)
    }

    async fn account_locked(
        &self,
        user_id: &str,
        limits: &AttemptLimits,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(self.lock().account_locked(user_id, limits, now))
    }

    async fn clear_failures(&self, user_id: &str) -> Result<(), StoreError> {
        self.lock().accounts.remove(user_id);
        Ok(())
    }

    async fn take_quota(
        &self,
        key: &str,
        max: u32,
        window_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let uses = s.quotas.entry(key.to_owned()).or_default();
        while uses.front().is_some_and(|&t| now - t >= window_secs) {
            uses.pop_front();
        }
        if uses.len() >= max as usize {
            return Ok(false);
        }
        uses.push_back(now);
        Ok(true)
    }

    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        if s.nonces.len() > 10_000 {
            s.nonces.retain(|_, exp| *exp >= now);
        }
        match s.nonces.get(key) {
            Some(&exp) if exp >= now => Ok(false),
            _ => {
                s.nonces.insert(key.to_owned(), expires_at);
                Ok(true)
            }
        }
    }

    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock();
        let (count, last) = s.throttles.entry(key.to_owned()).or_insert((0, now));
        if now - *last >= lockout_secs {
            *count = 0;
        }
        if *count >= max {
            return Ok(false);
        }
        *count += 1;
        *last = now;
        Ok(true)
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        if let Some((count, _)) = self.lock().throttles.get_mut(key) {
            *count = count.saturating_sub(1);
        }
        Ok(())
    }
}

/// The time, in Unix seconds. Tests substitute a [`ManualClock`] to test expiry without sleeping.
pub trait Clock: Send + Sync + std::fmt::Debug + 'static {
    /// Now, in Unix seconds.
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
    }
}

/// A clock that moves only when told. Clones share the same time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock reading `unix_seconds`.
    pub fn new(unix_seconds: i64) -> Self {
        ManualClock(Arc::new(AtomicI64::new(unix_seconds)))
    }

    /// Moves the clock forward.
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}
