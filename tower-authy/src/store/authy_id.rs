//! The legacy enrolment store's contract: [`AuthyIdStore`] writes a user's one Authy id,
//! re-exported by [`crate::enrolment`].

use super::StoreError;
use async_trait::async_trait;

/// A phone proved at enrolment: registered with Authy, and a token from it checked.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EnrolledPhone {
    /// Authy's id for the user.
    pub authy_id: u64,
    /// Digits only, such as `1` or `44`.
    pub country_code: String,
    /// Digits only.
    pub phone: String,
}

/// Where the application keeps each user's Authy id (and phone), for enrolment to write.
#[async_trait]
pub trait AuthyIdStore: Send + Sync + 'static {
    /// Sets (`Some`) or clears (`None`) the user's second factor, only if the user's Authy id
    /// is still `expected` (`None`: no second factor), as one atomic compare-and-set; `false`,
    /// with nothing written, otherwise (or when there is no such user). From then on
    /// [`UserStore::load`](crate::UserStore::load) and the first factor report its
    /// `authy_id`.
    ///
    /// The comparison is what stops a stale enrolment (begun while the user had no second
    /// factor) from replacing the factor the user set up since: in SQL,
    /// `UPDATE users SET authy_id = ? ... WHERE id = ? AND authy_id IS ?`.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn set_second_factor(
        &self,
        user_id: &str,
        expected: Option<u64>,
        phone: Option<EnrolledPhone>,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
impl<T: AuthyIdStore + ?Sized> AuthyIdStore for std::sync::Arc<T> {
    async fn set_second_factor(
        &self,
        user_id: &str,
        expected: Option<u64>,
        phone: Option<EnrolledPhone>,
    ) -> Result<bool, StoreError> {
        (**self).set_second_factor(user_id, expected, phone).await
    }
}
