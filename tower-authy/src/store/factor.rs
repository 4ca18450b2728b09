//! The factor store's contract: [`Factor`], [`FactorKind`] and [`FactorStore`], re-exported
//! by [`crate::factors`], which holds what tower-authy does with them.

use super::StoreError;
use async_trait::async_trait;
use serde::{Deserialize, Serialize};

/// What a factor does at login; decides how it is offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum FactorKind {
    /// A phone app that approves pushes (Authy, Verify Push); it also shows codes.
    Push,
    /// An authenticator app's codes (TOTP).
    App,
    /// Codes by SMS or call to a proved number.
    Phone,
    /// A passkey or security key (WebAuthn), kept in the
    /// [`PasskeyStore`](crate::store::passkey::PasskeyStore) under the factor's subject; its
    /// [`provider`](Factor::provider) is [`PASSKEY_PROVIDER`].
    Passkey,
}

/// The [`Factor::provider`] of every passkey: tower-authy proves them itself.
pub const PASSKEY_PROVIDER: &str = "webauthn";

impl FactorKind {
    /// Login offers passkeys first (they cannot be phished), then push, apps, phones.
    pub(crate) fn rank(self) -> u8 {
        match self {
            FactorKind::Passkey => 0,
            FactorKind::Push => 1,
            FactorKind::App => 2,
            FactorKind::Phone => 3,
        }
    }

    /// The wire name: `passkey`, `push`, `app`, `phone`.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Push => "push",
            FactorKind::App => "app",
            FactorKind::Phone => "phone",
            FactorKind::Passkey => "passkey",
        }
    }
}

/// One enrolled second factor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Factor {
    /// Random, unique per user; what the pages and forms name it by.
    pub id: String,
    /// What it does at login.
    pub kind: FactorKind,
    /// The provider that serves it, by [`name`](crate::SecondFactorProvider::name).
    pub provider: String,
    /// That provider's reference (Authy id, Verify entity, TOTP subject).
    pub subject: u64,
    /// The user's name for it ("work phone"), at most 64 characters.
    pub label: String,
    /// The phone number it was registered with (E.164, `+` and digits), for providers that
    /// register a phone; what the factors page shows the last digits of.
    #[serde(default)]
    pub phone: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last login it proved; `None` before the first.
    pub last_used_at: Option<i64>,
}

/// Where the application keeps each user's factors.
///
/// Writes that change the set are compare-and-sets on the ids the caller saw (`expected`, in
/// any order): an enrolment begun before the user changed their factors must not write. The
/// conformance suite `tower_authy::conformance::factor_store` (feature `test-util`) checks an
/// implementation.
#[async_trait]
pub trait FactorStore: Send + Sync + 'static {
    /// The user's factors, oldest first (none for an unknown user).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError>;

    /// Adds `factor` if the user's factor ids are exactly `expected`: `true` when added,
    /// `false` (and no change) otherwise, or for an unknown user or a taken id.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn add(
        &self,
        user_id: &str,
        factor: Factor,
        expected: &[String],
    ) -> Result<bool, StoreError>;

    /// Removes the factor `factor_id` if the user's factor ids are exactly `expected`, and
    /// raises the user's [`credential_epoch`](crate::UserRecord::credential_epoch) in the same
    /// write (sessions proved with it end): `true` when removed, `false` (and no change)
    /// otherwise.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn remove(
        &self,
        user_id: &str,
        factor_id: &str,
        expected: &[String],
    ) -> Result<bool, StoreError>;

    /// Renames a factor; `false` when the user has no such factor.
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn rename(&self, user_id: &str, factor_id: &str, label: &str)
    -> Result<bool, StoreError>;

    /// Records that the factor proved a login at `at` (Unix seconds).
    ///
    /// # Errors
    /// [`StoreError`] when the store cannot answer.
    async fn touch(&self, user_id: &str, factor_id: &str, at: i64) -> Result<(), StoreError>;
}

#[async_trait]
impl<T: FactorStore + ?Sized> FactorStore for std::sync::Arc<T> {
    async fn factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError> {
        (**self).factors(user_id).await
    }
    async fn add(
        &self,
        user_id: &str,
        factor: Factor,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        (**self).add(user_id, factor, expected).await
    }
    async fn remove(
        &self,
        user_id: &str,
        factor_id: &str,
        expected: &[String],
    ) -> Result<bool, StoreError> {
        (**self).remove(user_id, factor_id, expected).await
    }
    async fn rename(
        &self,
        user_id: &str,
        factor_id: &str,
        label: &str,
    ) -> Result<bool, StoreError> {
        (**self).rename(user_id, factor_id, label).await
    }
    async fn touch(&self, user_id: &str, factor_id: &str, at: i64) -> Result<(), StoreError> {
        (**self).touch(user_id, factor_id, at).await
    }
}

/// Whether `ids` and `expected` name the same factors, in any order.
pub fn same_ids<'a>(ids: impl IntoIterator<Item = &'a str>, expected: &[String]) -> bool {
    let mut a: Vec<&str> = ids.into_iter().collect();
    let mut b: Vec<&str> = expected.iter().map(String::as_str).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// The order login offers factors in: the last used first, then passkey, push, app, phone;
/// then the oldest.
pub(crate) fn login_order(factors: &mut [Factor]) {
    factors.sort_by(|a, b| {
        b.last_used_at
            .cmp(&a.last_used_at)
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(a.created_at.cmp(&b.created_at))
    });
}
