//! The remembered devices' contract and settings: [`RememberDevice`], [`RememberKey`],
//! [`DeviceStore`] and its memory implementation, re-exported by [`crate::remember`], which
//! holds the cookie and the pages.

use crate::store::StoreError;
use async_trait::async_trait;
use serde::Serialize;
#[cfg(feature = "memory-store")]
use std::collections::HashMap;
use std::sync::Arc;
#[cfg(feature = "memory-store")]
use std::sync::{Mutex, PoisonError};

/// How long a device is remembered, and how many per user. Used with
/// [`TwoFactorBuilder::remember_devices`](crate::TwoFactorBuilder::remember_devices).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RememberDevice {
    /// Days a remembered device skips the second factor (1 to 365). Default 30.
    pub days: u32,
    /// Devices kept per user (1 to 100); remembering one more forgets the oldest. Default 5.
    pub per_user: usize,
}

impl Default for RememberDevice {
    fn default() -> Self {
        RememberDevice {
            days: 30,
            per_user: 5,
        }
    }
}

/// The key that signs remembered-device cookies. Every instance needs the same one, from
/// configuration; a new key forgets every device. Its `Debug` shows nothing.
#[derive(Clone)]
pub struct RememberKey([u8; 32]);

impl RememberKey {
    /// A key from configuration (32 random bytes).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        RememberKey(bytes)
    }

    /// A fresh random key: for one instance whose devices may be forgotten at each restart.
    pub fn random() -> Self {
        RememberKey(crate::random::bytes())
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

impl std::fmt::Debug for RememberKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RememberKey(..)")
    }
}

/// A device a user asked to be remembered on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RememberedDevice {
    /// Random id, also in the device's cookie.
    pub id: String,
    /// What the browser said it was (its `User-Agent`, shortened).
    pub label: String,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds; after this the device is no longer remembered.
    pub expires_at: i64,
}

/// Where each user's remembered devices are listed. With several instances, a shared one.
#[async_trait]
pub trait DeviceStore: Send + Sync + 'static {
    /// Adds a device, then keeps only the newest `keep` of the user's devices.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn remember(
        &self,
        user_id: &str,
        device: RememberedDevice,
        keep: usize,
    ) -> Result<(), StoreError>;

    /// The user's devices not yet expired at `now`, newest first.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn devices(&self, user_id: &str, now: i64) -> Result<Vec<RememberedDevice>, StoreError>;

    /// Forgets one device (`Some(id)`) or all of them (`None`); returns how many went.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn forget(&self, user_id: &str, device_id: Option<&str>) -> Result<usize, StoreError>;
}

#[async_trait]
impl<T: DeviceStore + ?Sized> DeviceStore for Arc<T> {
    async fn remember(
        &self,
        user_id: &str,
        device: RememberedDevice,
        keep: usize,
    ) -> Result<(), StoreError> {
        (**self).remember(user_id, device, keep).await
    }

    async fn devices(&self, user_id: &str, now: i64) -> Result<Vec<RememberedDevice>, StoreError> {
        (**self).devices(user_id, now).await
    }

    async fn forget(&self, user_id: &str, device_id: Option<&str>) -> Result<usize, StoreError> {
        (**self).forget(user_id, device_id).await
    }
}

#[cfg(feature = "memory-store")]
/// Remembered devices in this process's memory. Cheap to clone; clones share the devices.
#[derive(Debug, Clone, Default)]
pub struct MemoryDeviceStore {
    users: Arc<Mutex<HashMap<String, Vec<RememberedDevice>>>>,
}

#[cfg(feature = "memory-store")]
impl MemoryDeviceStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn with<R>(&self, f: impl FnOnce(&mut HashMap<String, Vec<RememberedDevice>>) -> R) -> R {
        f(&mut self.users.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

#[cfg(feature = "memory-store")]
#[async_trait]
impl DeviceStore for MemoryDeviceStore {
    async fn remember(
        &self,
        user_id: &str,
        device: RememberedDevice,
        keep: usize,
    ) -> Result<(), StoreError> {
        self.with(|users| {
            let list = users.entry(user_id.to_owned()).or_default();
            list.insert(0, device);
            list.truncate(keep);
        });
        Ok(())
    }

    async fn devices(&self, user_id: &str, now: i64) -> Result<Vec<RememberedDevice>, StoreError> {
        Ok(self.with(|users| {
            users.get(user_id).map_or_else(Vec::new, |list| {
                list.iter()
                    .filter(|d| d.expires_at > now)
                    .cloned()
                    .collect()
            })
        }))
    }

    async fn forget(&self, user_id: &str, device_id: Option<&str>) -> Result<usize, StoreError> {
        Ok(self.with(|users| {
            let Some(list) = users.get_mut(user_id) else {
                return 0;
            };
            let before = list.len();
            list.retain(|d| device_id.is_some_and(|id| d.id != id));
            before - list.len()
        }))
    }
}

/// Remembering, as configured.
pub(crate) struct Remembering {
    pub(crate) settings: RememberDevice,
    /// Signs new cookies, and checks them.
    pub(crate) key: RememberKey,
    /// Older keys: cookies they signed still count, and are signed again with `key` when
    /// used (key rotation).
    pub(crate) previous: Vec<RememberKey>,
    pub(crate) store: Arc<dyn DeviceStore>,
}
