//! The application's users: the first factor. Their second factors are kept apart, in a
//! [`FactorStore`](crate::FactorStore).

use super::StoreError;
use crate::secret::Password;
use async_trait::async_trait;

/// An application user, as tower-authy needs to know them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    /// Stable id, kept in the session.
    pub id: String,
    /// What the user types to log in (an email in the tutorial).
    pub login: String,
    /// A number the application bumps whenever earlier proofs of identity must stop counting:
    /// a password change, a second-factor reset, "log out everywhere". A remembered device
    /// is bound to it. `0` for applications that never bump it.
    pub credential_epoch: u64,
}

/// The application's users: the first factor.
///
/// `Ok(None)` means "no such user" or "wrong password", never an error. Implementations should
/// spend about as long on an unknown login as on a wrong password (hash a dummy password), so
/// that timing does not reveal which logins exist.
///
/// ```
/// use tower_authy::{store::MemoryUserStore, secret::Password, UserStore};
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// let users = MemoryUserStore::new();
/// let id = users.insert("ada@example.com", "correct horse", []);
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

/// A shared store is a store: hand the builder an `Arc` you also keep (or an
/// `Arc<dyn UserStore>`).
#[async_trait]
impl<T: UserStore + ?Sized> UserStore for std::sync::Arc<T> {
    async fn verify_password(
        &self,
        login: &str,
        password: &Password,
    ) -> Result<Option<UserRecord>, StoreError> {
        (**self).verify_password(login, password).await
    }

    async fn load(&self, id: &str) -> Result<Option<UserRecord>, StoreError> {
        (**self).load(id).await
    }
}
