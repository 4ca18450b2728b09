//! Second factors: a user holds zero or more, each served by one provider.
//!
//! A [`Factor`] names its provider ([`SecondFactorProvider::name`](crate::SecondFactorProvider::name))
//! and that provider's reference for it (the `subject`: an Authy id, a Verify entity, a sealed
//! TOTP secret's row). The application keeps them in a [`FactorStore`], usually beside its
//! users, and turns the model on with
//! [`TwoFactorBuilder::factors`](crate::TwoFactorBuilder::factors). At login the user's factors
//! are offered the last used first; a verified user lists, adds, renames and removes them at
//! `{prefix}/factors`.
//!
//! **Migration.** A [`UserRecord`](crate::UserRecord) that still carries an `authy_id` keeps
//! logging in: tower-authy shows it as a factor of the first provider (id `legacy`) beside the
//! store's, until the application moves it into its store (insert a factor with the same
//! provider and subject, then clear the column) — the demo does this when it starts.

mod reset;

pub use reset::{Reset, Stores, reset_second_factor};

use crate::store::StoreError;
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
}

impl FactorKind {
    /// The wire name: `push`, `app`, `phone`.
    pub fn as_str(self) -> &'static str {
        match self {
            FactorKind::Push => "push",
            FactorKind::App => "app",
            FactorKind::Phone => "phone",
        }
    }

    /// The kind of factor `provider` registers: push where it pushes, else phone where it
    /// needs a number, else an authenticator app.
    pub(crate) fn of(provider: &dyn crate::SecondFactorProvider) -> FactorKind {
        let caps = provider.capabilities();
        if caps.push {
            FactorKind::Push
        } else if caps.needs_phone {
            FactorKind::Phone
        } else {
            FactorKind::App
        }
    }

    /// Login offers push first, then apps, then phones.
    pub(crate) fn rank(self) -> u8 {
        match self {
            FactorKind::Push => 0,
            FactorKind::App => 1,
            FactorKind::Phone => 2,
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

/// The id of the factor a user record's legacy `authy_id` stands for.
pub(crate) const LEGACY: &str = "legacy";

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

/// The factor a user record's legacy Authy id stands for: one of the first provider.
fn legacy(shared: &crate::config::Shared, subject: u64) -> Factor {
    Factor {
        id: LEGACY.to_owned(),
        kind: FactorKind::of(shared.client.as_ref()),
        provider: shared.client.name().to_owned(),
        subject,
        label: capitalised(shared.client.app_label()),
        phone: None,
        created_at: 0,
        last_used_at: None,
    }
}

/// `text` with its first letter in upper case ("the Authy app" → "The Authy app").
pub(crate) fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// The user's factors in the order login offers them: the store's (when the factor model is
/// on), and the record's legacy Authy id unless the store already holds it.
pub(crate) async fn of_user(
    shared: &crate::config::Shared,
    user: &crate::UserRecord,
) -> Result<Vec<Factor>, StoreError> {
    let mut all = match &shared.factors {
        Some(store) => store.factors(&user.id).await?,
        None => Vec::new(),
    };
    if let Some(subject) = user.authy_id {
        let primary = shared.client.name();
        if !all
            .iter()
            .any(|f| f.subject == subject && f.provider == primary)
        {
            all.push(legacy(shared, subject));
        }
    }
    // A factor of a provider no longer configured cannot be proved: never offered.
    all.retain(|f| shared.provider_named(&f.provider).is_some());
    login_order(&mut all);
    Ok(all)
}

/// The user's factors other than the one challenge `c` proves ("try another way"); none
/// without the factor model.
pub(crate) async fn others(
    shared: &crate::config::Shared,
    c: &crate::store::Challenge,
) -> Result<Vec<Factor>, StoreError> {
    if shared.factors.is_none() {
        return Ok(Vec::new());
    }
    let Some(user) = shared.users.load(&c.user_id).await? else {
        return Ok(Vec::new());
    };
    let mut all = of_user(shared, &user).await?;
    all.retain(|f| f.id != c.factor_id);
    Ok(all)
}

/// The ids a [`FactorStore`] holds among `ids` (a legacy Authy id is not in it).
pub(crate) fn stored_ids(ids: &[String]) -> Vec<String> {
    ids.iter().filter(|id| *id != LEGACY).cloned().collect()
}

/// Whether `ids` and `expected` name the same factors, in any order.
pub fn same_ids<'a>(ids: impl IntoIterator<Item = &'a str>, expected: &[String]) -> bool {
    let mut a: Vec<&str> = ids.into_iter().collect();
    let mut b: Vec<&str> = expected.iter().map(String::as_str).collect();
    a.sort_unstable();
    b.sort_unstable();
    a == b
}

/// The order login offers factors in: the last used first, then push, app, phone; then the
/// oldest.
pub(crate) fn login_order(factors: &mut [Factor]) {
    factors.sort_by(|a, b| {
        b.last_used_at
            .cmp(&a.last_used_at)
            .then(a.kind.rank().cmp(&b.kind.rank()))
            .then(a.created_at.cmp(&b.created_at))
    });
}

/// A label as the forms take it: trimmed, 1 to 64 characters, no control characters.
pub(crate) fn label(input: &str) -> Option<String> {
    let t = input.trim();
    let ok = !t.is_empty() && t.chars().count() <= 64 && !t.chars().any(char::is_control);
    ok.then(|| t.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(id: &str, kind: FactorKind, created: i64, used: Option<i64>) -> Factor {
        Factor {
            id: id.into(),
            kind,
            provider: "p".into(),
            subject: 1,
            label: id.into(),
            phone: None,
            created_at: created,
            last_used_at: used,
        }
    }

    #[test]
    fn login_offers_the_last_used_then_push_app_phone() {
        let mut all = vec![
            f("phone", FactorKind::Phone, 1, None),
            f("app", FactorKind::App, 2, None),
            f("push", FactorKind::Push, 3, None),
        ];
        login_order(&mut all);
        let ids: Vec<&str> = all.iter().map(|f| f.id.as_str()).collect();
        assert_eq!(ids, ["push", "app", "phone"]);
        all[2].last_used_at = Some(100);
        login_order(&mut all);
        assert_eq!(all[0].id, "phone", "the last used first");
    }

    #[test]
    fn labels_are_trimmed_and_bounded() {
        assert_eq!(label("  work phone "), Some("work phone".into()));
        assert_eq!(label(""), None);
        assert_eq!(label("a\u{7}b"), None);
        assert_eq!(label(&"x".repeat(65)), None);
        assert!(same_ids(["b", "a"], &["a".into(), "b".into()]));
        assert!(!same_ids(["a"], &["a".into(), "b".into()]));
    }
}
