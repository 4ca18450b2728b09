//! [`MemoryChallengeStore`]: the challenge store for one instance.

use super::{AttemptDecision, Challenge, ChallengeState, ChallengeStore, StoreError};
use crate::limits::AttemptLimits;
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory [`ChallengeStore`] for one instance. State is lost on restart, which fails
/// closed: a pending login cannot be completed after it.
///
/// Every entry expires as its twin in `RedisChallengeStore` does (challenges an hour after
/// their deadline, counters and quotas when their window or lockout has passed, nonces at
/// their expiry), and refused requests create none, so a flood of distinct keys cannot grow
/// it without bound: expired entries are swept as the store is used, in amortised constant
/// time per operation.
#[derive(Debug, Clone, Default)]
pub struct MemoryChallengeStore {
    inner: Arc<Mutex<MemoryChallenges>>,
}

#[derive(Debug, Default)]
struct MemoryChallenges {
    challenges: HashMap<String, Challenge>,
    by_uuid: HashMap<String, String>,
    /// Token attempts per challenge, and when the count expires.
    attempts: HashMap<String, (u32, i64)>,
    /// Failed codes per account: count, time of the newest, the lockout it counts for.
    accounts: HashMap<String, Counter>,
    /// Uses of a quota (oldest first) and its window.
    quotas: HashMap<String, (VecDeque<i64>, i64)>,
    nonces: HashMap<String, i64>,
    /// Ceremonies' states and their expiry.
    ceremonies: HashMap<String, (Vec<u8>, i64)>,
    /// Throttled keys: attempts counted, the newest one's time, the lockout.
    throttles: HashMap<String, Counter>,
    /// Operations since the last sweep, how many may pass before the next, and its time.
    since_sweep: usize,
    sweep_every: usize,
    swept_at: i64,
}

/// A count, the time of the newest event counted, and how long it lasts after that.
#[derive(Debug, Clone, Copy)]
struct Counter {
    count: u32,
    last: i64,
    lasts: i64,
}

impl Counter {
    fn expired(&self, now: i64) -> bool {
        now - self.last >= self.lasts
    }
}

/// Finished challenges are kept this long after their deadline, so late callbacks are refused
/// with "not pending" rather than "unknown".
const RETAIN_SECS: i64 = 3600;
/// A challenge's attempt count lasts this long (as in Redis).
const ATTEMPTS_TTL_SECS: i64 = 7200;
/// The fewest operations between two sweeps.
const MIN_SWEEP_EVERY: usize = 1024;
/// The longest time between two sweeps while the store is used, in seconds.
const SWEEP_SECS: i64 = 60;

impl MemoryChallengeStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many entries the store holds (challenges, counters, quotas, nonces): what it costs
    /// in memory, for metrics and tests.
    pub fn entries(&self) -> usize {
        self.lock().entries()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryChallenges> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The state, after sweeping expired entries if enough operations have passed.
    fn lock_at(&self, now: i64) -> std::sync::MutexGuard<'_, MemoryChallenges> {
        let mut s = self.lock();
        s.since_sweep += 1;
        if s.since_sweep >= s.sweep_every.max(MIN_SWEEP_EVERY) || now - s.swept_at >= SWEEP_SECS {
            s.sweep(now);
        }
        s
    }
}

impl MemoryChallenges {
    fn entries(&self) -> usize {
        self.challenges.len()
            + self.by_uuid.len()
            + self.attempts.len()
            + self.accounts.len()
            + self.quotas.len()
            + self.nonces.len()
            + self.throttles.len()
            + self.ceremonies.len()
    }

    /// Drops every expired entry. The next sweep comes after half as many operations as
    /// entries remain (so sweeping costs a constant per operation on average), or a minute
    /// later, whichever is first.
    fn sweep(&mut self, now: i64) {
        let stale: Vec<String> = self
            .challenges
            .values()
            .filter(|c| c.expires_at + RETAIN_SECS < now)
            .map(|c| c.id.clone())
            .collect();
        for id in stale {
            if let Some(c) = self.challenges.remove(&id) {
                if let Some(u) = c.push_id {
                    self.by_uuid.remove(&u);
                }
            }
        }
        self.attempts.retain(|_, (_, until)| *until > now);
        self.accounts.retain(|_, c| !c.expired(now));
        self.quotas
            .retain(|_, (uses, window)| uses.back().is_some_and(|&t| now - t < *window));
        self.nonces.retain(|_, exp| *exp >= now);
        self.throttles.retain(|_, c| !c.expired(now));
        self.ceremonies.retain(|_, (_, exp)| *exp > now);
        self.since_sweep = 0;
        self.sweep_every = self.entries() / 2;
        self.swept_at = now;
    }

    fn account_locked(&mut self, user_id: &str, limits: &AttemptLimits, now: i64) -> bool {
        match self.accounts.get(user_id) {
            Some(c) if now - c.last >= limits.lockout_secs => {
                // The lock (or the streak) has run out.
                self.accounts.remove(user_id);
                false
            }
            Some(c) => c.count >= limits.per_account,
            None => false,
        }
    }
}

#[async_trait]
impl ChallengeStore for MemoryChallengeStore {
    async fn create(&self, challenge: Challenge) -> Result<(), StoreError> {
        let mut s = self.lock_at(challenge.created_at);
        if let Some(u) = &challenge.push_id {
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
        let mut s = self.lock_at(now);
        if s.account_locked(user_id, limits, now) {
            return Ok(AttemptDecision::AccountLocked);
        }
        let used = s
            .attempts
            .get(id)
            .filter(|(_, until)| *until > now)
            .map_or(0, |(n, _)| *n);
        if used >= limits.per_challenge {
            return Ok(AttemptDecision::ChallengeExhausted);
        }
        s.attempts
            .insert(id.to_owned(), (used + 1, now + ATTEMPTS_TTL_SECS));
        let count = s.accounts.get(user_id).map_or(0, |c| c.count);
        let account = Counter {
            count: count + 1,
            last: now,
            lasts: limits.lockout_secs.max(1),
        };
        s.accounts.insert(user_id.to_owned(), account);
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
        let mut s = self.lock_at(now);
        let window = window_secs.max(1);
        let full = match s.quotas.get_mut(key) {
            Some((uses, kept)) => {
                while uses.front().is_some_and(|&t| now - t >= window) {
                    uses.pop_front();
                }
                *kept = window;
                uses.len() >= max as usize
            }
            None => max == 0,
        };
        if full {
            return Ok(false);
        }
        let (uses, _) = s
            .quotas
            .entry(key.to_owned())
            .or_insert_with(|| (VecDeque::new(), window));
        uses.push_back(now);
        Ok(true)
    }

    async fn consume_nonce(
        &self,
        key: &str,
        expires_at: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock_at(now);
        match s.nonces.get(key) {
            Some(&exp) if exp >= now => Ok(false),
            _ => {
                s.nonces.insert(key.to_owned(), expires_at);
                Ok(true)
            }
        }
    }

    async fn keep_ceremony(
        &self,
        key: &str,
        state: Vec<u8>,
        expires_at: i64,
        now: i64,
    ) -> Result<(), StoreError> {
        let mut s = self.lock_at(now);
        s.ceremonies.insert(key.to_owned(), (state, expires_at));
        Ok(())
    }

    async fn take_ceremony(&self, key: &str, now: i64) -> Result<Option<Vec<u8>>, StoreError> {
        let mut s = self.lock_at(now);
        Ok(s.ceremonies
            .remove(key)
            .filter(|(_, exp)| *exp > now)
            .map(|(state, _)| state))
    }

    async fn take_attempt(
        &self,
        key: &str,
        max: u32,
        lockout_secs: i64,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut s = self.lock_at(now);
        let lasts = lockout_secs.max(1);
        let count = match s.throttles.get(key) {
            Some(c) if now - c.last < lockout_secs => c.count,
            _ => 0,
        };
        if count >= max {
            return Ok(false);
        }
        let counter = Counter {
            count: count + 1,
            last: now,
            lasts,
        };
        s.throttles.insert(key.to_owned(), counter);
        Ok(true)
    }

    async fn refund_attempt(&self, key: &str) -> Result<(), StoreError> {
        if let Some(c) = self.lock().throttles.get_mut(key) {
            c.count = c.count.saturating_sub(1);
        }
        Ok(())
    }
}
