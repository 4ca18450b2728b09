//! Where the application keeps each subject's sealed TOTP secret and the last time step used.

use crate::store::StoreError;
use async_trait::async_trait;
#[cfg(feature = "memory-store")]
use std::collections::HashMap;
#[cfg(feature = "memory-store")]
use std::sync::Mutex;

/// Where the application keeps the TOTP provider's secrets, sealed (encrypted and
/// authenticated under the [`TotpKey`](super::TotpKey), so a copy of the store alone reveals
/// nothing), and the last time step a code was accepted for.
///
/// Every instance must use the same store: [`advance`](Self::advance) is how a code used on one
/// instance is refused on another. The conformance suite
/// `tower_authy::conformance::totp_secret_store` (feature `test-util`) checks an
/// implementation.
#[async_trait]
pub trait TotpSecretStore: Send + Sync + 'static {
    /// Stores a new subject's sealed secret; `false` (and no change) when the subject exists.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn insert(&self, subject: u64, sealed: Vec<u8>) -> Result<bool, StoreError>;

    /// The subject's sealed secret.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn sealed(&self, subject: u64) -> Result<Option<Vec<u8>>, StoreError>;

    /// Records that a code of time step `step` was accepted, atomically, only if `step` is
    /// later than every step accepted before for this subject: `true` when recorded, `false`
    /// (and no change) otherwise, or for an unknown subject.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn advance(&self, subject: u64, step: u64) -> Result<bool, StoreError>;

    /// Forgets a subject (the second factor was turned off).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn remove(&self, subject: u64) -> Result<(), StoreError>;

    /// Replaces the subject's sealed secret with `sealed` (the same secret sealed under a newer
    /// key), atomically, only if it is still `expected`: `true` when replaced, `false` (and no
    /// change) otherwise, or for an unknown subject. The last step used is kept.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn reseal(
        &self,
        subject: u64,
        expected: &[u8],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
impl<T: TotpSecretStore + ?Sized> TotpSecretStore for std::sync::Arc<T> {
    async fn insert(&self, subject: u64, sealed: Vec<u8>) -> Result<bool, StoreError> {
        (**self).insert(subject, sealed).await
    }
    async fn sealed(&self, subject: u64) -> Result<Option<Vec<u8>>, StoreError> {
        (**self).sealed(subject).await
    }
    async fn advance(&self, subject: u64, step: u64) -> Result<bool, StoreError> {
        (**self).advance(subject, step).await
    }
    async fn remove(&self, subject: u64) -> Result<(), StoreError> {
        (**self).remove(subject).await
    }
    async fn reseal(
        &self,
        subject: u64,
        expected: &[u8],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        (**self).reseal(subject, expected, sealed).await
    }
}

#[cfg(feature = "memory-store")]
/// A sealed secret and the last step used.
type Entry = (Vec<u8>, Option<u64>);

#[cfg(feature = "memory-store")]
/// [`TotpSecretStore`] in memory: one instance, tests and examples.
#[derive(Debug, Default)]
pub struct MemoryTotpSecretStore {
    subjects: Mutex<HashMap<u64, Entry>>,
}

#[cfg(feature = "memory-store")]
impl MemoryTotpSecretStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Entry>> {
        self.subjects
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(feature = "memory-store")]
#[async_trait]
impl TotpSecretStore for MemoryTotpSecretStore {
    async fn insert(&self, subject: u64, sealed: Vec<u8>) -> Result<bool, StoreError> {
        let mut map = self.lock();
        if map.contains_key(&subject) {
            return Ok(false);
        }
        map.insert(subject, (sealed, None));
        Ok(true)
    }

    async fn sealed(&self, subject: u64) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.lock().get(&subject).map(|(s, _)| s.clone()))
    }

    async fn advance(&self, subject: u64, step: u64) -> Result<bool, StoreError> {
        let mut map = self.lock();
        let Some((_, last)) = map.get_mut(&subject) else {
            return Ok(false);
        };
        if last.is_some_and(|l| l >= step) {
            return Ok(false);
        }
        *last = Some(step);
        Ok(true)
    }

    async fn remove(&self, subject: u64) -> Result<(), StoreError> {
        self.lock().remove(&subject);
        Ok(())
    }

    async fn reseal(
        &self,
        subject: u64,
        expected: &[u8],
        sealed: Vec<u8>,
    ) -> Result<bool, StoreError> {
        let mut map = self.lock();
        match map.get_mut(&subject) {
            Some((current, _)) if current.as_slice() == expected => {
                *current = sealed;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
