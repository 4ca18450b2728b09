//! [`MemoryChallengeStore`]: the challenge store for one instance.

use super::{AttemptDecision, Challenge, ChallengeState, ChallengeStore, StoreError};
use crate::limits::AttemptLimits;
use async_trait::async_trait;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, PoisonError};

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
