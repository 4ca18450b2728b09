//! [`MemoryUserStore`]: users in memory, for tests and examples.

use super::{StoreError, UserRecord, UserStore};
use crate::secret::{Password, ct_eq};
use async_trait::async_trait;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

/// An in-memory [`UserStore`] for tests and examples. Passwords are kept as keyed hashes and
/// compared in constant time.
#[derive(Clone)]
pub struct MemoryUserStore {
    inner: Arc<Mutex<MemoryUsers>>,
}

struct MemoryUsers {
    key: [u8; 32],
    by_login: HashMap<String, (UserRecord, [u8; 32])>,
    /// Id to login, so that [`UserStore::load`] (on every guarded request) is one lookup.
    login_of: HashMap<String, String>,
    /// Each user's second factors, oldest first (with [`crate::FactorStore`]).
    factors: HashMap<String, Vec<super::factor::Factor>>,
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
                login_of: HashMap::new(),
                factors: HashMap::new(),
                next_id: 1,
            })),
        }
    }

    /// Adds (or replaces) a user holding `factors` (replacing any they held) and returns their
    /// id: `[]` for a user without a second factor, or `[Factor::of(&provider, subject, 0)]`
    /// (see [`Factor::of`](crate::factors::Factor::of)).
    pub fn insert(
        &self,
        login: &str,
        password: &str,
        factors: impl IntoIterator<Item = super::factor::Factor>,
    ) -> String {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let id = users
            .by_login
            .get(login)
            .map_or_else(|| users.next_id.to_string(), |(u, _)| u.id.clone());
        users.next_id += 1;
        let hash = keyed_hash(&users.key, password);
        users.login_of.insert(id.clone(), login.to_owned());
        users.by_login.insert(
            login.to_owned(),
            (
                UserRecord {
                    id: id.clone(),
                    login: login.to_owned(),
                    credential_epoch: 0,
                },
                hash,
            ),
        );
        users
            .factors
            .insert(id.clone(), factors.into_iter().collect());
        id
    }

    /// Bumps a user's [`credential_epoch`](UserRecord::credential_epoch), as an application
    /// does on a password change or "log out everywhere": their remembered devices stop
    /// counting. `false` when there is no such user.
    pub fn bump_credential_epoch(&self, login: &str) -> bool {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        users
            .by_login
            .get_mut(login)
            .map(|(u, _)| u.credential_epoch += 1)
            .is_some()
    }

    /// Deletes a user; `true` when there was one. Their verified sessions end at their next
    /// request.
    pub fn remove(&self, login: &str) -> bool {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match users.by_login.remove(login) {
            Some((user, _)) => {
                users.login_of.remove(&user.id);
                users.factors.remove(&user.id);
                true
            }
            None => false,
        }
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
            .login_of
            .get(id)
            .and_then(|login| users.by_login.get(login))
            .map(|(u, _)| u.clone()))
    }
}

/// Each user's second factors, beside the users; removing one raises the user's epoch.
#[async_trait]
impl super::factor::FactorStore for MemoryUserStore {
    async fn factors(&self, user_id: &str) -> Result<Vec<super::factor::Factor>, StoreError> {
        let users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(users.factors.get(user_id).cloned().unwrap_or_default())
    }

    async fn add(
        &self,
        user_id: &str,
        factor: super::factor::Factor,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if !users.login_of.contains_key(user_id) {
            return Ok(false);
        }
        let list = users.factors.entry(user_id.to_owned()).or_default();
        let same = super::factor::same_ids(list.iter().map(|f| f.id.as_str()), expected);
        if !same || list.iter().any(|f| f.id == factor.id) {
            return Ok(false);
        }
        list.push(factor);
        Ok(true)
    }

    async fn remove(
        &self,
        user_id: &str,
        factor_id: &str,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        let mut guard = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let users = &mut *guard;
        let Some(list) = users.factors.get_mut(user_id) else {
            return Ok(false);
        };
        let same = super::factor::same_ids(list.iter().map(|f| f.id.as_str()), expected);
        let Some(at) = list.iter().position(|f| f.id == factor_id).filter(|_| same) else {
            return Ok(false);
        };
        list.remove(at);
        let login = users.login_of.get(user_id).cloned();
        if let Some((user, _)) = login.and_then(|l| users.by_login.get_mut(&l)) {
            user.credential_epoch += 1;
        }
        Ok(true)
    }

    async fn rename(
        &self,
        user_id: &str,
        factor_id: &str,
        label: &str,
    ) -> Result<bool, StoreError> {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let found = users
            .factors
            .get_mut(user_id)
            .and_then(|list| list.iter_mut().find(|f| f.id == factor_id));
        Ok(found.map(|f| f.label = label.to_owned()).is_some())
    }

    async fn touch(&self, user_id: &str, factor_id: &str, at: i64) -> Result<(), StoreError> {
        let mut users = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(f) = users
            .factors
            .get_mut(user_id)
            .and_then(|list| list.iter_mut().find(|f| f.id == factor_id))
        {
            f.last_used_at = Some(at);
        }
        Ok(())
    }
}
