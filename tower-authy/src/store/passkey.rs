//! The passkey store's contract: each registered WebAuthn credential, under the subject of the
//! factor it is, re-exported by [`crate::provider::webauthn`].

use super::StoreError;
use async_trait::async_trait;
#[cfg(feature = "memory-store")]
use std::collections::HashMap;
#[cfg(feature = "memory-store")]
use std::sync::{Arc, Mutex, PoisonError};

/// One registered credential, as the store keeps it.
#[derive(Clone, PartialEq, Eq)]
pub struct StoredCredential {
    /// The user it belongs to.
    pub user_id: String,
    /// The credential's id, unique among every user's.
    pub credential_id: Vec<u8>,
    /// The credential itself (public key, counter, flags), serialised by tower-authy.
    pub credential: Vec<u8>,
    /// The signature counter of its last accepted assertion (0 for authenticators that keep
    /// none, as synced passkeys).
    pub counter: u32,
}

impl std::fmt::Debug for StoredCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoredCredential")
            .field("user_id", &self.user_id)
            .field("counter", &self.counter)
            .finish_non_exhaustive()
    }
}

/// Where the application keeps its users' WebAuthn credentials, each under the subject of its
/// factor. Every write that a login or a registration decides is a compare-and-set, so two
/// instances accepting assertions of one credential at once cannot both win.
#[async_trait]
pub trait PasskeyStore: Send + Sync + 'static {
    /// Keeps `stored` under `subject`: `false` (and no change) when the subject is taken or
    /// the credential id is registered already, to anyone.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn register(&self, subject: u64, stored: StoredCredential) -> Result<bool, StoreError>;

    /// The credential under `subject`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn get(&self, subject: u64) -> Result<Option<StoredCredential>, StoreError>;

    /// The credential whose id is `credential_id`, and its subject: how a passkey sign-in
    /// (which names no user) finds its account.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn find(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(u64, StoredCredential)>, StoreError>;

    /// Replaces the credential under `subject` with `stored` if its counter is still
    /// `expected_counter`: `false` (and no change) otherwise.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn update(
        &self,
        subject: u64,
        expected_counter: u32,
        stored: StoredCredential,
    ) -> Result<bool, StoreError>;

    /// Forgets the credential under `subject`; `true` when there was one.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn remove(&self, subject: u64) -> Result<bool, StoreError>;
}

/// Credentials in this process's memory: one instance, tests and examples.
#[cfg(feature = "memory-store")]
#[derive(Debug, Clone, Default)]
pub struct MemoryPasskeyStore {
    inner: Arc<Mutex<HashMap<u64, StoredCredential>>>,
}

#[cfg(feature = "memory-store")]
impl MemoryPasskeyStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }
}

#[cfg(feature = "memory-store")]
#[async_trait]
impl PasskeyStore for MemoryPasskeyStore {
    async fn register(&self, subject: u64, stored: StoredCredential) -> Result<bool, StoreError> {
        let mut all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        let taken = all.contains_key(&subject)
            || all
                .values()
                .any(|c| c.credential_id == stored.credential_id);
        if taken {
            return Ok(false);
        }
        all.insert(subject, stored);
        Ok(true)
    }

    async fn get(&self, subject: u64) -> Result<Option<StoredCredential>, StoreError> {
        let all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(all.get(&subject).cloned())
    }

    async fn find(
        &self,
        credential_id: &[u8],
    ) -> Result<Option<(u64, StoredCredential)>, StoreError> {
        let all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(all
            .iter()
            .find(|(_, c)| c.credential_id == credential_id)
            .map(|(subject, c)| (*subject, c.clone())))
    }

    async fn update(
        &self,
        subject: u64,
        expected_counter: u32,
        stored: StoredCredential,
    ) -> Result<bool, StoreError> {
        let mut all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        match all.get_mut(&subject) {
            Some(c) if c.counter == expected_counter && c.credential_id == stored.credential_id => {
                *c = stored;
                Ok(true)
            }
            _ => Ok(false),
        }
    }

    async fn remove(&self, subject: u64) -> Result<bool, StoreError> {
        let mut all = self.inner.lock().unwrap_or_else(PoisonError::into_inner);
        Ok(all.remove(&subject).is_some())
    }
}
